"""Tests for fit, evaluate, accuracy and History."""

import copy
import warnings

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data.batches import Batches
from course.models import MLP
from course.train import EarlyStopping, History, accuracy, evaluate, fit, train_one_epoch


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
    assert history.best_epoch == 0 and history.weights_epoch == 0
    assert history["val_loss"][1] > history["val_loss"][0] and history["val_loss"][2] > history["val_loss"][0]
    after_one_epoch = copy.deepcopy(start)
    fit(after_one_epoch, (x, y), epochs=1, batch_size=16, lr=3e-2, progress=False)
    for p, q in zip(model.parameters(), after_one_epoch.parameters()):
        torch.testing.assert_close(p, q)
    assert evaluate(model, val)["loss"] == pytest.approx(history["val_loss"][0], rel=1e-5)


def test_early_stopping_without_a_rise_runs_all_epochs():
    x, y = blobs()
    model = MLP(2, [8], 2)
    history = fit(model, (x, y), (x, y), epochs=4, lr=1e-2, early_stopping=3, progress=False)
    assert history.epochs == 4 and not history.stopped_early
    # the best weights are restored all the same, and the History says whose they are
    assert history.weights_epoch == history.best_epoch
    assert evaluate(model, (x, y))["loss"] == pytest.approx(history["val_loss"][history.best_epoch], rel=1e-5)


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


def opposite_labels_run(**kwargs):
    """A run whose val_loss rises after epoch 0: validation labels are the opposite of the training labels."""
    x, y = blobs(64)
    torch.manual_seed(1)
    model = MLP(2, [8], 2)
    history = fit(model, (x, y), (x, 1 - y), batch_size=16, lr=3e-2, progress=False, **kwargs)
    return model, history, (x, 1 - y)


def test_best_weights_are_restored_only_when_asked_or_with_early_stopping():
    model, history, val = opposite_labels_run(epochs=4)
    assert history.best_epoch == 0 and history.weights_epoch == 3  # the last weights, not the best
    assert evaluate(model, val)["loss"] == pytest.approx(history["val_loss"][3], rel=1e-5)
    model, history, val = opposite_labels_run(epochs=4, restore_best=True)
    assert history.weights_epoch == history.best_epoch == 0 and not history.stopped_early
    assert evaluate(model, val)["loss"] == pytest.approx(history["val_loss"][0], rel=1e-5)
    model, history, val = opposite_labels_run(epochs=5, early_stopping=2, restore_best=False)
    assert history.stopped_early and history.weights_epoch == 2 == history.epochs - 1
    with pytest.raises(ValueError, match="restore_best.*val="):
        fit(MLP(2, [4], 2), blobs(16), restore_best=True, progress=False)


def test_fit_leaves_the_global_random_generator_as_it_was():
    x, y = blobs()
    model = MLP(2, [16], 2, dropout=0.5)  # dropout draws random numbers during training
    torch.manual_seed(123)
    before = torch.get_rng_state()
    fit(model, (x, y), (x, y), epochs=2, progress=False)
    fit(model, (x, y), epochs=1, seed=7, progress=False)
    assert torch.equal(torch.get_rng_state(), before)
    # seed=None draws from the global generator instead, and moves it on: two runs differ
    start = copy.deepcopy(model)
    h1 = fit(model, (x, y), epochs=1, seed=None, progress=False)
    assert not torch.equal(torch.get_rng_state(), before)
    h2 = fit(start, (x, y), epochs=1, seed=None, progress=False)
    assert h1["train_loss"] != h2["train_loss"]


def test_regression_targets_need_metrics_off():
    x = torch.linspace(-1, 1, 40)[:, None]
    y = 3 * x + 0.5  # real-valued targets: "accuracy" would be meaningless
    with pytest.raises(ValueError, match=r"values other than 0 and 1.*metrics=\(\)"):
        fit(nn.Linear(1, 1), (x, y), epochs=1, loss_fn=F.mse_loss, progress=False)
    with pytest.raises(ValueError, match=r"metrics=\(\)"):
        accuracy(torch.zeros(3), torch.tensor([0.5, 1.0, 0.0]))
    history = fit(nn.Linear(1, 1), (x, y), epochs=30, batch_size=8, lr=0.1, loss_fn=F.mse_loss, metrics=(),
                  progress=False)
    assert set(history) == {"train_loss"} and history["train_loss"][-1] < 0.1 * history["train_loss"][0]


def sgd_lrs(model):
    """An SGD optimizer (lr 0.1) and the list of learning rates it will use, one per step."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    lrs = []
    optimizer.register_step_pre_hook(lambda opt, args, kwargs: lrs.append(opt.param_groups[0]["lr"]))
    return optimizer, lrs


def test_schedules_per_step_and_per_epoch_in_one_fit():
    x, y = blobs(64)  # 4 batches of 16 per epoch
    model = MLP(2, [8], 2)
    optimizer, lrs = sgd_lrs(model)
    fit(model, (x, y), epochs=2, batch_size=16, optimizer=optimizer, progress=False,
        scheduler=lambda step: 0.1 if step < 6 else 0.01)  # two phases, in steps
    assert lrs == pytest.approx([0.1] * 6 + [0.01] * 2)
    optimizer, lrs = sgd_lrs(model)
    fit(model, (x, y), epochs=3, batch_size=16, optimizer=optimizer, progress=False,
        scheduler=lambda epoch: 0.1 if epoch < 2 else 0.02, scheduler_interval="epoch")
    assert lrs == pytest.approx([0.1] * 8 + [0.02] * 4)
    optimizer, lrs = sgd_lrs(model)
    steps = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    fit(model, (x, y), epochs=3, batch_size=16, optimizer=optimizer, scheduler=steps, scheduler_interval="epoch",
        progress=False)
    assert lrs == pytest.approx([0.1] * 4 + [0.05] * 4 + [0.025] * 4)


def test_reduce_lr_on_plateau_is_stepped_per_epoch_with_val_loss():
    x, y = blobs(64)
    torch.manual_seed(1)
    model = MLP(2, [8], 2)
    optimizer, lrs = sgd_lrs(model)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.1, patience=1)
    history = fit(model, (x, y), (x, 1 - y), epochs=4, batch_size=16, optimizer=optimizer, scheduler=plateau,
                  progress=False)
    assert history.best_epoch == 0  # epochs 1 and 2 are worse: after the second, the lr drops
    assert lrs == pytest.approx([0.1] * 12 + [0.01] * 4)


@pytest.mark.parametrize("make, kwargs, message", [
    (lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt), {}, "ReduceLROnPlateau watches val_loss"),
    (lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(opt), dict(val=blobs(16), scheduler_interval="step"),
     "once per epoch"),
    (lambda opt: torch.optim.lr_scheduler.StepLR(opt, 1), dict(scheduler_interval="batch"), '"step" or "epoch"'),
    (lambda opt: None, dict(scheduler_interval="epoch"), "pass one with scheduler="),
    (lambda opt: 0.1, {}, "a function lr_at"),
    (lambda opt: (lambda t: 0.0), {}, "must return a number > 0"),
])
def test_bad_schedulers(make, kwargs, message):
    model = MLP(2, [4], 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=message):
        fit(model, blobs(16), optimizer=optimizer, scheduler=make(optimizer), progress=False, **kwargs)


def test_ignored_arguments_raise():
    x, y = blobs(32)
    model = MLP(2, [4], 2)
    with pytest.raises(ValueError, match="lr=0.1 would be ignored: the optimizer"):
        fit(model, (x, y), optimizer=torch.optim.SGD(model.parameters(), lr=0.5), lr=0.1, progress=False)
    with pytest.raises(ValueError, match="lr=0.1 would be ignored: the scheduler function"):
        fit(model, (x, y), lr=0.1, scheduler=lambda t: 0.01, progress=False)
    with pytest.raises(ValueError, match="batch_size=32 would be ignored: train is already Batches of 8"):
        fit(model, Batches(x, y, batch_size=8), batch_size=32, progress=False)
    # the defaults are fine: a scheduler function with the default optimizer, and Batches without batch_size
    assert fit(model, Batches(x, y, batch_size=8), epochs=1, scheduler=lambda t: 0.01, progress=False).epochs == 1


class Interrupting(nn.Module):
    """A linear model whose forward raises KeyboardInterrupt (like Ctrl-C) on call number `at` + 1."""

    def __init__(self, at):
        super().__init__()
        self.linear, self.calls, self.at = nn.Linear(2, 2), 0, at

    def forward(self, x):
        self.calls += 1
        if self.calls > self.at:
            raise KeyboardInterrupt
        return self.linear(x)


def test_ctrl_c_returns_the_history_so_far_and_closes_the_bar(monkeypatch):
    import tqdm.auto

    bars, closed = [], []

    class Bar(tqdm.auto.tqdm):
        """A bar that closes only when told to (tqdm's own iterator also closes when it is dropped)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            bars.append(self)  # held here: no closing when fit lets go of it either

        def __iter__(self):
            yield from self.iterable

        def close(self):
            closed.append(True)
            super().close()

    monkeypatch.setattr(tqdm.auto, "tqdm", Bar)
    x, y = blobs(64)
    model = Interrupting(at=8)  # 4 batches per epoch: Ctrl-C at the first batch of epoch 2
    with pytest.warns(UserWarning, match="interrupted after 2 of 10 epochs.*partly trained"):
        history = fit(model, (x, y), epochs=10, batch_size=16, progress=True)
    assert history.interrupted and not history.stopped_early
    assert history.epochs == 2 and len(history["train_loss"]) == 2 and history.weights_epoch is None
    assert closed == [True]
    # with early stopping the best weights come back, as at a normal end
    model = Interrupting(at=4 + 1 + 4 + 1 + 2)  # epochs of 4 batches and 1 validation batch
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = fit(model, (x, y), (x, y), epochs=10, batch_size=16, early_stopping=5, progress=False)
    assert history.interrupted and history.weights_epoch == history.best_epoch
    assert "the weights of epoch" in str(caught[-1].message)


def test_under_the_grader_an_interrupt_stops_the_cell(monkeypatch):
    """nbgrader's time limit arrives as KeyboardInterrupt: fit must not swallow it and let the cell run on."""
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    x, y = blobs(64)
    with pytest.raises(KeyboardInterrupt):
        fit(Interrupting(at=8), (x, y), epochs=10, batch_size=16, progress=False)


def test_train_one_epoch_and_early_stopping_on_their_own():
    x, y = blobs(64)
    model = MLP(2, [8], 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    result = train_one_epoch(model, Batches(x, y, batch_size=16), optimizer, after_step=lambda: steps.append(1))
    assert set(result) == {"loss", "accuracy"} and len(steps) == 4
    watcher = EarlyStopping(patience=2, keep_best=True)
    stops = [watcher.update(epoch, loss, model) for epoch, loss in enumerate([1.0, 0.5, 0.5, 0.7, 0.4])]
    assert stops == [False, False, False, True, False] and watcher.best_epoch == 4
    assert watcher.restore(model) and not EarlyStopping().restore(model)
