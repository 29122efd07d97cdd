"""Claims of Unit 7 (lectures/07_convolutional_networks.ipynb), reproduced with the notebook's code and seeds."""

import copy

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data import Batches, augment_shift_rotate, load_mnist
from course.experiments import u07
from course.models import LeNet5, LeNet5Classic, count_parameters


@pytest.fixture(scope="module")
def mnist():
    train = load_mnist("train", size="subset", verbose=False)
    test = load_mnist("test", size="subset", verbose=False)
    return train, test


def test_difference_kernel_worked_example():
    x = torch.tensor([0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4], dtype=torch.float32)
    u = torch.tensor([-1, 1], dtype=torch.float32)
    out = F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1)).flatten()
    assert out.tolist() == [0, 0, 0, 1, 1, 1, 1, 0, 0, 0]
    assert len(out) == len(x) - len(u) + 1
    assert torch.equal(out, x[1:] - x[:-1])  # a difference operator


def test_kernel_is_a_template_matcher():
    signal = torch.tensor([0, 1, 0, 0, 1, 2, 1, 0, 0, 2, 0, 0, 1, 1, 1, 0], dtype=torch.float32)
    response = F.conv1d(signal.view(1, 1, -1), torch.tensor([[[1.0, 2.0, 1.0]]])).flatten()
    best = int(response.argmax())
    assert best == 4 and signal[best:best + 3].tolist() == [1, 2, 1]
    assert response[best] == 6 and (response < 6).sum() == len(response) - 1


def test_3x3_filter_on_6x6_image_gives_4x4_map():
    image = torch.tensor([[10, 10, 10, 0, 0, 0]] * 6, dtype=torch.float32)
    kernel = torch.tensor([[1, 0, -1]] * 3, dtype=torch.float32)
    out = F.conv2d(image.view(1, 1, 6, 6), kernel.view(1, 1, 3, 3))[0, 0]
    assert out.shape == (4, 4)
    assert out.tolist() == [[0, 30, 30, 0]] * 4


def test_multichannel_formula_matches_conv2d():
    g = torch.Generator().manual_seed(0)
    x3, u3 = torch.randn(3, 6, 6, generator=g), torch.randn(3, 3, 3, generator=g)
    manual = torch.stack([torch.stack([(x3[:, i:i + 3, j:j + 3] * u3).sum() for j in range(4)]) for i in range(4)])
    torch.testing.assert_close(manual, F.conv2d(x3[None], u3[None])[0, 0], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("n,k,s,p", [(6, 3, 1, 0), (6, 3, 1, 1), (6, 3, 2, 1), (28, 5, 1, 2), (7, 3, 2, 0),
                                     (224, 11, 4, 2), (9, 4, 3, 1)])
def test_output_size_formula(n, k, s, p):
    actual = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p).shape[-1]
    assert u07.output_size(n, k, s, p) == actual


def test_output_size_rejects_kernel_larger_than_input():
    with pytest.raises(ValueError, match="larger than the padded input"):
        u07.output_size(3, 5)


def test_receptive_fields_of_lenet_front():
    layers = [(5, 1), (2, 2), (5, 1), (2, 2)]
    expected = [5, 6, 14, 16]
    for depth, side in enumerate(expected, start=1):
        assert u07.receptive_field(layers[:depth]) == side
        assert u07.receptive_field_by_gradient(layers[:depth]) == side
    assert u07.receptive_field([(3, 1)] * 14) == 29  # the Think! answer
    assert u07.receptive_field([(3, 2)] * 4) == 31


@pytest.mark.parametrize("padding", [0, 1, 2])
def test_banded_matrix_equals_conv1d(padding):
    u = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    x = torch.tensor([1.0, -1.0, 2.0, 0.0, 3.0], dtype=torch.float64)
    M = u07.conv_matrix(u, 5, padding=padding)
    torch.testing.assert_close(M @ x, F.conv1d(x.view(1, 1, -1), u.view(1, 1, -1), padding=padding).flatten())
    assert all(torch.equal(M.diagonal(offset=b - padding), torch.full_like(M.diagonal(b - padding), u[b]))
               for b in range(3))  # constant diagonals: shared weights


def test_circulant_matrix_equals_circular_conv1d():
    u = torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)
    x = torch.randn(7, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    C = u07.conv_matrix(u, 7, circular=True)
    wrapped = F.pad(x.view(1, 1, -1), (1, 1), mode="circular")
    torch.testing.assert_close(C @ x, F.conv1d(wrapped, u.view(1, 1, -1)).flatten())
    torch.testing.assert_close(C[1:, 1:], C[:-1, :-1])  # circulant: each row is the previous one rotated
    torch.testing.assert_close(C[0], C[-1].roll(1))


def test_dense_25_weights_vs_convolution_3():
    assert count_parameters(nn.Linear(5, 5, bias=False)) == 25
    assert count_parameters(nn.Conv1d(1, 1, 3, padding=1, bias=False)) == 3
    banded = u07.conv_matrix(torch.tensor([1.0, 2.0, 3.0]), 5, padding=1)
    assert len(torch.unique(banded[banded != 0])) == 3


def test_local_connectivity_and_sharing_counts():
    gray = u07.weight_counts(200, 200, hidden=40_000, patch=10, kernel=10)
    assert gray["dense"] == 1_600_000_000 and gray["local"] == 4_000_000 and gray["shared"] == 100
    colour = u07.weight_counts(256, 256, channels=3, kernel=3)
    assert colour["dense"] == 38_654_705_664 and 1e10 < colour["dense"] < 1e11
    assert colour["shared"] == 27
    small = u07.weight_counts(8, 8, channels=3, kernel=3)
    assert small["dense"] == count_parameters(nn.Linear(192, 192, bias=False))
    assert small["shared"] == count_parameters(nn.Conv2d(3, 1, 3, bias=False))


def test_true_convolution_flips_the_kernel():
    x = np.array([0, 0, 0, 0, 1, 2, 3, 4, 4, 4, 4], dtype=np.float32)
    true_conv = np.convolve(x, [-1.0, 1.0], mode="valid")
    assert true_conv.tolist() == [0, 0, 0, -1, -1, -1, -1, 0, 0, 0]
    flipped = F.conv1d(torch.from_numpy(x).view(1, 1, -1), torch.tensor([[[1.0, -1.0]]])).flatten()
    assert flipped.tolist() == true_conv.tolist()
    rng = np.random.default_rng(0)
    signal, kernel = rng.normal(size=20), rng.normal(size=4)
    cross = F.conv1d(torch.from_numpy(signal).view(1, 1, -1), torch.from_numpy(kernel[::-1].copy()).view(1, 1, -1))
    np.testing.assert_allclose(cross.flatten().numpy(), np.convolve(signal, kernel, mode="valid"), rtol=1e-10)
    emboss = u07.FILTERS["emboss"]
    assert torch.equal(emboss.flip(0, 1), -emboss)


def test_equivariance_exact_and_pooling_gives_partial_shift_invariance(mnist):
    train, _ = mnist
    digit = train.x[0, 0]
    sobel = u07.FILTERS["sobel x (vertical edges)"]
    moved = torch.roll(digit, 1, dims=-1)
    assert torch.equal(torch.roll(u07.filter_image(digit, sobel), 1, dims=-1), u07.filter_image(moved, sobel))
    changes = [u07.shift_change(train.x[:500], sobel, pool=p) for p in (1, 2, 4, 7)]
    assert [round(c, 2) for c in changes] == [0.86, 0.63, 0.41, 0.28]  # the notebook's numbers
    assert changes == sorted(changes, reverse=True)


def test_filter_image_validates_kernel():
    with pytest.raises(ValueError, match="odd sides"):
        u07.filter_image(torch.zeros(28, 28), torch.zeros(2, 2))


def test_training_rejects_more_decay_epochs_than_epochs(mnist):
    train, test = mnist
    with pytest.raises(ValueError, match="decay_epochs"):
        u07.train_lenet((train.x[:8], train.y[:8]), (test.x[:8], test.y[:8]), epochs=1, decay_epochs=2)


def test_lenet5_parameter_counts():
    counts = LeNet5Classic().layer_parameter_counts()
    assert {k: counts[k] for k in ("C1", "S2", "C3", "S4", "C5", "F6")} == {
        "C1": 156, "S2": 12, "C3": 1516, "S4": 32, "C5": 48120, "F6": 10164}
    assert count_parameters(LeNet5Classic()) == 60_000
    assert (6 * 3 + 9 * 4 + 1 * 6) * 25 + 16 == 1516
    assert count_parameters(LeNet5()) == 61_706


def split(train, seed=0):
    """The notebook's split: a random tenth of the training images is the validation split."""
    n_val = len(train) // 10
    order = torch.randperm(len(train), generator=torch.Generator().manual_seed(seed))
    return (train.x[order[n_val:]], train.y[order[n_val:]]), (train.x[order[:n_val]], train.y[order[:n_val]])


def test_step_schedule_is_one_call_with_a_tenfold_drop():
    lr_at = u07.step_schedule(2e-3, epochs=8, decay_epochs=2)
    assert [lr_at(e) for e in range(8)] == [2e-3] * 6 + [2e-4] * 2
    with pytest.raises(ValueError, match="decay_epochs"):
        u07.step_schedule(2e-3, epochs=1, decay_epochs=2)


def test_the_notebooks_hand_written_loop_gives_the_same_weights_as_fit(mnist):
    """The notebook trains LeNet-5 with a loop written out in full and says course.fit gives the same weights."""
    train, test = mnist
    torch.set_num_threads(1)
    (x_train, y_train), (x_val, y_val) = split(train)
    x_train, y_train = x_train[:1000], y_train[:1000]
    epochs, lr_at = 3, u07.step_schedule(2e-3, 3, 1)
    torch.manual_seed(0)
    model = LeNet5()
    batches = Batches(x_train, y_train, batch_size=128, shuffle=True, seed=0)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr_at(0))
    best_loss, best_weights = float("inf"), None
    for epoch in range(epochs):
        for group in optimizer.param_groups:
            group["lr"] = lr_at(epoch)
        model.train()
        for xb, yb in batches:
            loss = F.cross_entropy(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            val_loss = F.cross_entropy(model(x_val), y_val).item()
        if val_loss < best_loss:
            best_loss, best_weights = val_loss, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_weights)
    packaged, _, _ = u07.train_lenet((x_train, y_train), (test.x, test.y), epochs=3, decay_epochs=1, seed=0,
                                     val=(x_val, y_val))
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), packaged.state_dict().values()))


@pytest.fixture(scope="module")
def trained(mnist):
    torch.set_num_threads(1)  # the notebook trains on one thread too
    train, test = mnist
    fit_part, val = split(train)
    lenet, history, lenet_error = u07.train_lenet(fit_part, (test.x, test.y), epochs=8, seed=0, val=val)
    mlp, mlp_history, mlp_error = u07.train_mlp(fit_part, (test.x, test.y), epochs=8, seed=0, val=val)
    return lenet, history, lenet_error, mlp_error, mlp


@pytest.mark.slow
def test_lenet_beats_fully_connected_net_on_the_subset(trained):
    _, history, lenet_error, mlp_error, _ = trained
    assert lenet_error == pytest.approx(0.0215, abs=0.006)  # notebook: 2.1% (43 of 2,000)
    assert mlp_error == pytest.approx(0.0465, abs=0.008)  # notebook: 4.7% (93 of 2,000)
    assert lenet_error < 0.6 * mlp_error  # "less than half the errors"
    assert len(history["val_accuracy"]) == 8  # one fit call: 6 epochs at lr 2e-3, then 2 at 2e-4
    # the best epoch is chosen on the validation split, and its weights are the ones tested
    assert history.best_epoch == int(np.argmin(history["val_loss"])) and history.weights_epoch == history.best_epoch
    assert history.best_epoch in (5, 6, 7)  # notebook: epoch 7 of 8, after the learning-rate step


@pytest.mark.slow
def test_distortions_hurt_a_net_trained_without_them(mnist, trained):
    _, test = mnist
    lenet = trained[0]
    distorted = augment_shift_rotate(max_shift=2, max_degrees=10.0)(test.x, torch.Generator().manual_seed(0))
    with torch.no_grad():
        clean = (lenet(test.x).argmax(1) != test.y).float().mean().item()
        shifted = (lenet(distorted).argmax(1) != test.y).float().mean().item()
    assert shifted > clean + 0.03  # notebook: 2.1% -> 9.0%


def test_fgsm_moves_each_pixel_by_at_most_eps():
    torch.manual_seed(0)
    model = LeNet5()
    x, y = torch.rand(4, 1, 28, 28), torch.tensor([0, 1, 2, 3])
    adversarial = u07.fgsm(model, x, y, 0.1)
    assert adversarial.min() >= 0 and adversarial.max() <= 1
    assert (adversarial - x).abs().max() <= 0.1 + 1e-6
    assert torch.equal(u07.fgsm(model, x, y, 0.0), x)


@pytest.mark.slow
def test_fgsm_accuracy_falls_clearly_as_eps_grows(mnist, trained):
    _, test = mnist
    lenet, mlp = trained[0], trained[4]
    x, y = test.x[:1000], test.y[:1000]
    epsilons = [0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3]
    attacked = u07.accuracy_under_attack(lenet, x, y, epsilons)
    random = u07.accuracy_under_attack(lenet, x, y, epsilons, random=True, seed=0)
    fully_connected = u07.accuracy_under_attack(mlp, x, y, epsilons)
    # notebook: 0.972 0.909 0.735 0.434 0.176 0.039 0.007 (FGSM); 0.961 at 0.2 with random signs; 0.065 at 0.1 (MLP)
    assert attacked[0] == pytest.approx(0.972, abs=0.012)
    assert attacked == sorted(attacked, reverse=True)
    assert attacked[2] < attacked[0] - 0.1  # eps = 0.1 costs well over 10 points
    assert attacked[4] < 0.4 and attacked[6] < 0.1  # eps = 0.2 and 0.3: most digits, then almost all, misread
    assert random[4] > 0.9 and random[4] > attacked[4] + 0.5  # the gradient's direction, not the size, does it
    assert fully_connected[2] < attacked[2] - 0.3  # the fully connected net is fooled far more easily


@pytest.mark.slow
def test_most_exciting_inputs_excite_more_than_real_digits(mnist, trained):
    _, test = mnist
    lenet = trained[0]
    excite = u07.most_exciting_input(lenet, lenet.c3, channels=16, steps=60, seed=0)
    assert excite.shape == (16, 1, 28, 28) and excite.min() >= 0 and excite.max() <= 1
    captured = []
    handle = lenet.c3.register_forward_hook(lambda m, i, o: captured.append(o.detach()))
    with torch.no_grad():
        lenet(excite)
        lenet(test.x[:500])
    handle.remove()
    synthetic = captured[0][torch.arange(16), torch.arange(16), 5, 5]
    real = captured[1][:, :, 5, 5]
    assert (synthetic > real.median(dim=0).values).all()  # beats a typical digit for every map
    assert (synthetic > real.quantile(0.9, dim=0)).sum() >= 12  # and 9 in 10 real digits for most maps
