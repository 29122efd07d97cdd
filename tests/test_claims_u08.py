"""Claims of Unit 8 (lectures/08_cnn_architectures.ipynb), reproduced with the notebook's code and seeds."""

import io

import pytest
import torch
import torch.nn as nn
from matplotlib.figure import Figure

from course.data import load_fashion_mnist
from course.experiments import u08
from course.models import count_parameters


@pytest.fixture(scope="module")
def fashion():
    torch.set_num_threads(1)  # the notebook trains on one thread too
    train = load_fashion_mnist("train", size="subset", verbose=False)
    test = load_fashion_mnist("test", size="subset", verbose=False)
    return train, test


def test_ablation_variants_keep_the_head_and_move_the_parameters():
    counts = {name: u08.AblationCNN(**options).parameter_split() for name, options in u08.ABLATIONS.items()}
    assert counts["full"] == {"conv": 4_896, "fc": 105_482}
    assert counts["minus FC layers"] == {"conv": 4_896, "fc": 1_450}
    assert counts["minus conv layers"] == {"conv": 192, "fc": 105_482}
    x = torch.zeros(2, 1, 28, 28)
    for options in u08.ABLATIONS.values():
        assert u08.AblationCNN(**options)(x).shape == (2, 10)


@pytest.mark.parametrize("kwargs, message", [({"conv_layers": 0}, "conv_layers"), ({"fc_layers": -1}, "fc_layers")])
def test_ablation_cnn_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        u08.AblationCNN(**kwargs)


@pytest.fixture(scope="module")
def ablations(fashion):
    train, test = fashion
    data = (train.x[:4000], train.y[:4000])
    return {seed: u08.ablation(data, (test.x, test.y), epochs=3, seed=seed) for seed in (0, 1)}


@pytest.mark.slow
def test_removing_conv_depth_costs_more_than_removing_fc_parameters(ablations):
    for seed, results in ablations.items():
        full = results["full"]["accuracy"]
        cost_fc = full - results["minus FC layers"]["accuracy"]
        cost_conv = full - results["minus conv layers"]["accuracy"]
        assert cost_conv > cost_fc + 0.02, f"seed {seed}: {results}"
        assert cost_fc < 0.02, f"seed {seed}: removing the FC layers should cost little, {results}"
        removed_fc = results["full"]["parameters"] - results["minus FC layers"]["parameters"]
        removed_conv = results["full"]["parameters"] - results["minus conv layers"]["parameters"]
        assert removed_fc > 20 * removed_conv  # many more parameters removed, far less accuracy lost


@pytest.mark.slow
def test_ablation_numbers_shown_in_the_notebook(ablations):
    results = ablations[0]
    assert results["full"]["accuracy"] == pytest.approx(0.831, abs=0.01)
    assert results["minus FC layers"]["accuracy"] == pytest.approx(0.829, abs=0.01)
    assert results["minus conv layers"]["accuracy"] == pytest.approx(0.777, abs=0.01)


def test_inception_block_shapes_and_parameter_counts():
    block = u08.InceptionBlock(192, c1=64, c3_reduce=96, c3=128, c5_reduce=16, c5=32, pool_proj=32)
    with torch.no_grad():
        out = block(torch.randn(1, 192, 28, 28))
    assert out.shape == (1, 256, 28, 28) and block.out_channels == 256
    assert [count_parameters(b) for b in (block.branch1, block.branch3, block.branch5, block.branch_pool)] == [
        12_352, 129_248, 15_920, 6_176]
    assert count_parameters(block) == 163_696
    no_reduce = sum(count_parameters(nn.Conv2d(192, c, k)) for c, k in ((64, 1), (128, 3), (32, 5), (32, 1)))
    assert no_reduce == 393_472
    assert count_parameters(nn.Conv2d(192, 256, 5)) == 1_229_056


def test_inception_branches_see_different_scales():
    block = u08.InceptionBlock(1, c1=1, c3_reduce=1, c3=1, c5_reduce=1, c5=1, pool_proj=1)
    x = torch.zeros(1, 1, 11, 11, requires_grad=True)
    sides = []
    for branch in (block.branch1, block.branch3, block.branch5):
        for module in branch:
            if isinstance(module, nn.Conv2d):
                nn.init.ones_(module.weight)
                nn.init.ones_(module.bias)
        (grad,) = torch.autograd.grad(branch(x)[0, 0, 5, 5], x)
        rows = grad[0, 0].abs().sum(1).nonzero()
        sides.append(int(rows.max() - rows.min() + 1))
    assert sides == [1, 3, 5]


def test_deep_cnn_plain_and_residual_have_the_same_parameters():
    plain, residual = u08.DeepCNN(depth=12, width=8, residual=False), u08.DeepCNN(depth=12, width=8, residual=True)
    assert count_parameters(plain) == count_parameters(residual) == 14_570
    weight_layers = [m for m in plain.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert len(weight_layers) == 26
    assert residual(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


@pytest.fixture(scope="module")
def deep_runs(fashion):
    train, test = fashion
    return {seed: u08.plain_vs_residual((train.x[:2000], train.y[:2000]), (test.x, test.y), depth=12, width=8,
                                        epochs=3, seed=seed, batch_size=64) for seed in (0, 1)}


@pytest.mark.slow
def test_residual_cnn_clearly_beats_plain_cnn_of_same_depth(deep_runs):
    # the notebook's setting (26 weight layers, 2,000 images, 3 epochs); measured here: residual 63%, 63%, 70% test
    # accuracy against plain 20%, 31%, 42% for seeds 0, 1, 2 (chance is 10%); two seeds are run, to keep CI short
    for seed, curves in deep_runs.items():
        (plain_history, plain_acc), (res_history, res_acc) = curves["plain"], curves["residual"]
        assert res_acc > plain_acc + 0.15, f"seed {seed}: residual {res_acc:.3f} vs plain {plain_acc:.3f}"
        assert res_acc > 0.5, f"seed {seed}: residual {res_acc:.3f} should be far above chance (0.1)"
        assert res_history["train_loss"][-1] < plain_history["train_loss"][-1] - 0.5, f"seed {seed}"
        assert all(r < p for r, p in zip(res_history["train_loss"], plain_history["train_loss"]))


@pytest.mark.slow
def test_residual_numbers_shown_in_the_notebook(deep_runs):
    (plain_history, plain_acc), (res_history, res_acc) = deep_runs[0]["plain"], deep_runs[0]["residual"]
    # notebook: plain 20%, residual 63%; training loss after 3 epochs 1.88 and 1.05
    assert res_acc == pytest.approx(0.63, abs=0.06) and plain_acc == pytest.approx(0.20, abs=0.12)
    assert res_history["train_loss"][-1] == pytest.approx(1.05, abs=0.1)
    assert plain_history["train_loss"][-1] == pytest.approx(1.88, abs=0.12)


def test_split_train_val_is_a_disjoint_random_split():
    x, y = torch.arange(50.0).view(50, 1), torch.arange(50)
    (xf, yf), (xv, yv) = u08.split_train_val(x, y, n_val=10, seed=0)
    assert len(yv) == 10 and len(yf) == 40
    assert sorted(torch.cat([yf, yv]).tolist()) == list(range(50))
    assert yv.tolist() != list(range(10))
    with pytest.raises(ValueError, match="n_val"):
        u08.split_train_val(x, y, n_val=50)


def test_grid_search_tries_every_setting_and_sorts_by_validation_accuracy():
    g = torch.Generator().manual_seed(0)
    x, y = torch.rand(64, 1, 28, 28, generator=g), torch.randint(0, 10, (64,), generator=g)
    rows = u08.grid_search(lambda conv_layers, fc_layers: u08.AblationCNN(conv_layers, fc_layers, width=4, fc_width=8),
                           {"conv_layers": [1, 3], "fc_layers": [0, 1]}, (x, y), (x[:16], y[:16]), epochs=1)
    assert sorted((r["conv_layers"], r["fc_layers"]) for r in rows) == [(1, 0), (1, 1), (3, 0), (3, 1)]
    accuracies = [r["val_accuracy"] for r in rows]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(r["parameters"] == count_parameters(r["model"]) for r in rows)


@pytest.mark.slow
def test_grid_search_prefers_convolutional_depth(fashion):
    train, _ = fashion
    fit_part, val_part = u08.split_train_val(train.x, train.y, n_val=1000, seed=0)
    rows = u08.grid_search(lambda conv_layers, fc_layers: u08.AblationCNN(conv_layers=conv_layers, fc_layers=fc_layers),
                           {"conv_layers": [1, 3], "fc_layers": [0, 1]}, (fit_part[0][:1500], fit_part[1][:1500]),
                           val_part, epochs=2, seed=0)
    assert (rows[0]["conv_layers"], rows[0]["fc_layers"]) == (3, 0)  # as in the notebook
    deep = {r["fc_layers"]: r["val_accuracy"] for r in rows if r["conv_layers"] == 3}
    shallow = {r["fc_layers"]: r["val_accuracy"] for r in rows if r["conv_layers"] == 1}
    assert all(deep[fc] > shallow[fc] + 0.02 for fc in (0, 1))


def test_saved_weights_reload_into_a_fresh_model():
    torch.manual_seed(0)
    model = u08.AblationCNN(conv_layers=3, fc_layers=0).eval()
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = u08.AblationCNN(conv_layers=3, fc_layers=0)
    fresh.load_state_dict(torch.load(buffer))
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(fresh.eval()(x), model(x))


def test_parameter_chart_is_a_figure_with_one_bar_per_layer():
    fig = u08.draw_parameters(conv_layers=2, fc_layers=1, width=8, fc_width=64)
    assert isinstance(fig, Figure)
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["conv1", "conv2", "fc1", "output"]
    assert "parameters" in fig.axes[0].get_title()
