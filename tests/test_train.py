"""Tests for fit, evaluate, accuracy and History."""

import copy

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data.batches import Batches
from course.models import MLP
from course.train import History, accuracy, evaluate, fit


pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def blobs(n=200, seed=0, shift=2.0):
    """Two well separated Gaussian blobs in 2-D."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    x = torch.randn(n, 2, generator=g) + shift * (2 * y[:, None] - 1)
    return x, y


def test_fit_reduces_loss_on_separable_data():
    x, y = blobs()
    xv, yv = blobs(100, seed=1)
    model = MLP(2, [16], 2)
    history = fit(model, (x, y), (xv, yv), epochs=8, batch_size=32, lr=1e-2, progress=False)
    assert isinstance(history, History)
    assert set(history) == {"train_loss", "train_accuracy", "val_loss", "val_accuracy"}
    assert history.epochs == 8 and all(len(v) == 8 for v in history.values())
    assert history["train_loss"][-1] < 0.5 * history["train_loss"][0]
    assert history["val_accuracy"][-1] > 0.95
    assert history.best_epoch == min(range(8), key=history["val_loss"].__getitem__)
    assert not history.stopped_early and history.seconds > 0


def test_same_seed_gives_identical_history_and_weights():
    x, y = blobs()
    torch.manual_seed(5)
    start = MLP(2, [16], 2, dropout=0.3)  # dropout makes the global RNG matter too

    def run(seed):
        model = copy.deepcopy(start)
        history = fit(model, (x, y), (x[:50], y[:50]), epochs=3, batch_size=16, seed=seed, progress=False)
        return history, model.linears[0].weight.detach().clone()

    (h1, w1), (h2, w2), (h3, w3) = run(0), run(0), run(1)
    assert h1 == h2 and torch.equal(w1, w2)
    assert h1["train_loss"] != h3["train_loss"]


def test_train_loss_is_the_exact_per_sample_mean_over_uneven_batches():
    x, y = torch.randn(20, 3), torch.randint(0, 3, (20,))
    x[:3] *= 10  # make the first samples matter a lot more than the rest
    model = MLP(3, [4], 3)
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)  # weights stay fixed: the loss is well defined
    history = fit(model, (x, y), epochs=1, batch_size=7, optimizer=frozen, progress=False)
    with torch.no_grad():
        logits = model(x)
    assert history["train_loss"][0] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert history["train_accuracy"][0] == pytest.approx((logits.argmax(1) == y).float().mean().item())


def test_early_stopping_stops_and_restores_best_weights():
    # the validation labels are the opposite of the training labels, so val_loss rises
    # as soon as the model learns the training set: epoch 0 is the best one.
    x, y = blobs(64)
    val = (x, 1 - y)
    torch.manual_seed(1)
    start = MLP(2, [8], 2)
    model = copy.deepcopy(start)
    history = fit(model, (x, y), val, epochs=20, batch_size=16, lr=3e-2, early_stopping=2, progress=False)
    assert history.stopped_early
    assert history.epochs == 3  # best at 0, two worse epochs, stop
    assert history.best_epoch == 0
    assert history["val_loss"][1] > history["val_loss"][0] and history["val_loss"][2] > history["val_loss"][0]
    after_one_epoch = copy.deepcopy(start)
    fit(after_one_epoch, (x, y), epochs=1, batch_size=16, lr=3e-2, progress=False)
    for p, q in zip(model.parameters(), after_one_epoch.parameters()):
        torch.testing.assert_close(p, q)
    assert evaluate(model, val)["loss"] == pytest.approx(history["val_loss"][0], rel=1e-5)


def test_early_stopping_without_a_rise_runs_all_epochs():
    x, y = blobs()
    history = fit(MLP(2, [8], 2), (x, y), (x, y), epochs=4, lr=1e-2, early_stopping=3, progress=False)
    assert history.epochs == 4 and not history.stopped_early


def test_clip_grad_limits_the_gradient_norm_seen_by_the_optimizer():
    x, y = blobs(64)
    x = x * 100  # big inputs, big gradients

    def norms_during_fit(clip):
        model = MLP(2, [8], 2)
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
        norms = []
        optimizer.register_step_pre_hook(
            lambda opt, args, kwargs: norms.append(
                torch.linalg.vector_norm(torch.stack([p.grad.norm() for p in model.parameters()])).item()
            )
        )
        fit(model, (x, y), epochs=2, batch_size=16, optimizer=optimizer, clip_grad=clip, progress=False)
        return norms

    unclipped, clipped = norms_during_fit(None), norms_during_fit(0.5)
    assert len(clipped) == 8
    assert max(unclipped) > 1.0
    assert max(clipped) <= 0.5 * (1 + 1e-4)


def test_scheduler_is_stepped_after_every_optimizer_step():
    x, y = blobs(64)
    model = MLP(2, [8], 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: lrs.append(opt.param_groups[0]["lr"]))
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0 / (1 + step))
    fit(model, (x, y), epochs=2, batch_size=16, optimizer=optimizer, scheduler=scheduler, progress=False)
    assert lrs == pytest.approx([0.1 / (1 + k) for k in range(8)])  # 4 batches x 2 epochs, one step each
    assert scheduler.last_epoch == 8


def test_scheduler_must_belong_to_the_optimizer():
    x, y = blobs(32)
    model = MLP(2, [8], 2)
    other = torch.optim.SGD(MLP(2, [8], 2).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.StepLR(other, step_size=1)
    for optimizer in (None, torch.optim.SGD(model.parameters(), lr=0.1)):
        with pytest.raises(ValueError, match="scheduler must be built on the optimizer"):
            fit(model, (x, y), epochs=1, optimizer=optimizer, scheduler=scheduler, progress=False)


def test_evaluate_matches_manual_computation_and_restores_mode():
    x, y = torch.randn(23, 4), torch.randint(0, 3, (23,))
    model = MLP(4, [8], 3, dropout=0.5)  # dropout would change the numbers if left in train mode
    model.train()
    result = evaluate(model, (x, y), batch_size=5)
    assert model.training
    model.eval()
    with torch.no_grad():
        logits = model(x)
    assert set(result) == {"loss", "accuracy"}
    assert result["loss"] == pytest.approx(F.cross_entropy(logits, y).item(), rel=1e-5)
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == y).float().mean().item())
    model.eval()
    evaluate(model, (x, y))
    assert not model.training  # the mode it had before


def test_evaluate_accepts_batches_and_a_custom_loss():
    x, y = torch.randn(10, 2), torch.randn(10, 1)
    model = nn.Linear(2, 1)
    result = evaluate(model, Batches(x, y, batch_size=3), loss_fn=F.mse_loss, metrics=())
    with torch.no_grad():
        expected = F.mse_loss(model(x), y).item()
    assert result == {"loss": pytest.approx(expected, rel=1e-5)}


def test_accuracy_from_logits_and_from_a_model():
    logits = torch.tensor([[2.0, 1.0], [0.0, 3.0], [1.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 1, 1, 1])
    assert accuracy(logits, y) == 0.75
    assert accuracy(logits, y=y) == 0.75
    assert accuracy(torch.tensor([2.0, -1.0, 0.5]), torch.tensor([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    model = nn.Linear(2, 2)
    x = torch.randn(30, 2)
    labels = model(x).argmax(1).detach()
    labels[:3] = 1 - labels[:3]
    assert accuracy(model, x, labels) == pytest.approx(0.9)


def test_fit_binary_logits_regression_and_autoencoder_targets():
    x, y = blobs()
    binary = fit(nn.Linear(2, 1), (x, y[:, None].float()), epochs=3, lr=0.1,
                 loss_fn=F.binary_cross_entropy_with_logits, progress=False)
    assert binary["train_accuracy"][-1] > 0.9
    auto = fit(nn.Linear(2, 2), (x, x), epochs=2, loss_fn=F.mse_loss, metrics=(), progress=False)
    assert set(auto) == {"train_loss"}
    with pytest.raises(ValueError, match=r"metrics=\(\)"):
        fit(nn.Linear(2, 2), (x, x), epochs=1, loss_fn=F.mse_loss, progress=False)


def test_fit_with_batches_objects_and_explicit_device():
    x, y = blobs()
    train = Batches(x, y, batch_size=32, shuffle=True, seed=3)
    model = MLP(2, [8], 2)
    history = fit(model, train, Batches(x, y, batch_size=64), epochs=3, lr=1e-2, device="cpu", progress=False)
    assert history.epochs == 3 and history["val_accuracy"][-1] > 0.9


def test_fit_accepts_objects_with_x_and_y():
    class Data:
        def __init__(self, x, y):
            self.x, self.y = x, y

    history = fit(MLP(2, [4], 2), Data(*blobs()), epochs=1, progress=False)
    assert history.epochs == 1


def test_fit_shows_a_progress_bar_only_when_asked(capsys):
    x, y = blobs(32)
    fit(MLP(2, [4], 2), (x, y), epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    fit(MLP(2, [4], 2), (x, y), epochs=2, progress=True)
    assert "epochs" in capsys.readouterr().err


@pytest.mark.parametrize("kwargs, message", [
    (dict(metrics=("accuracy", "f1")), "Valid metrics: \\['accuracy'\\]"),
    (dict(early_stopping=2), "val="),
    (dict(clip_grad=0.0), "clip_grad"),
    (dict(epochs=-1), "epochs"),
    (dict(batch_size=0), "batch_size"),
    (dict(lr=0.0), "lr"),
])
def test_fit_bad_options(kwargs, message):
    x, y = blobs(16)
    with pytest.raises(ValueError, match=message):
        fit(MLP(2, [4], 2), (x, y), progress=False, **kwargs)


def test_bad_data_raises_helpful_errors():
    model = MLP(2, [4], 2)
    x, y = blobs(16)
    with pytest.raises(ValueError, match="same length.*16 inputs and 15 targets"):
        fit(model, (x, y[:15]), progress=False)
    with pytest.raises(ValueError, match="same length"):
        evaluate(model, (x[:3], y))
    with pytest.raises(ValueError, match="pair"):
        fit(model, x, progress=False)
    with pytest.raises(ValueError, match="tensors"):
        fit(model, (x.numpy(), y), progress=False)
    with pytest.raises(ValueError, match="Unknown metric"):
        evaluate(model, (x, y), metrics=("precision",))
    with pytest.raises(ValueError, match="one label per row"):
        accuracy(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="accuracy\\(model, x, y\\)"):
        accuracy(model, x)
