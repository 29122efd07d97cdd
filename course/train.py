"""The training loop: `fit` a model on mini-batches, `evaluate` it, and keep a per-epoch `History`."""

from __future__ import annotations

import contextlib
import copy
import math
import os
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.optim.lr_scheduler import LRScheduler, ReduceLROnPlateau

from course.data.batches import Batches
from course.device import model_device

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _correct(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of right predictions in a batch: argmax of class scores, or logit > 0 for one output and 0/1 labels."""
    if logits.dim() == 2 and logits.shape[1] > 1 and y.shape == logits.shape[:1] and not y.is_floating_point():
        return (logits.argmax(dim=1) == y).sum()
    one_logit = logits.numel() == y.numel() == logits.shape[0]
    # Only labels 0 and 1 make "logit > 0" a prediction; regression targets would give a meaningless number.
    # (Checking the values waits for the device once per batch, in this binary case only.)
    if one_logit and bool(((y == 0) | (y == 1)).all()):
        return ((logits.reshape(-1) > 0) == (y.reshape(-1) > 0.5)).sum()
    labels = "values other than 0 and 1" if one_logit else "these shapes"
    raise ValueError(
        f"accuracy needs class scores (N, C) with integer class ids (N,), or one logit per sample with 0/1 "
        f"labels; got outputs {tuple(logits.shape)} and targets {tuple(y.shape)} ({y.dtype}) with {labels}. "
        "For regression or autoencoders pass metrics=()."
    )


# Each metric returns the SUM over a batch; dividing by the number of samples at the end
# gives the exact per-sample mean even when the last batch is smaller.
METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {"accuracy": _correct}


class History(dict):
    """Per-epoch numbers, e.g. ``history["val_loss"][i]`` for epoch i (from 0), and how the run ended.

    Attributes
    ----------
    best_epoch
        The epoch with the lowest val_loss (the first one on ties); None without validation data.
    weights_epoch
        The epoch whose end-of-epoch weights the model holds: the last one, or best_epoch when the best
        weights were restored; None when no epoch finished or an interrupt stopped an epoch midway.
    stopped_early, interrupted
        Whether early stopping ended the run, and whether Ctrl-C (KeyboardInterrupt) did.
    seconds
        Wall-clock time of the run.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.best_epoch: int | None = None
        self.weights_epoch: int | None = None
        self.stopped_early: bool = False
        self.interrupted: bool = False
        self.seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return max((len(values) for values in self.values()), default=0)

    def log(self, key: str, value: float) -> None:
        """Append one epoch's value to the list `key`."""
        self.setdefault(key, []).append(value)


class EarlyStopping:
    """Watch val_loss epoch by epoch: remember the best epoch (and, if asked, its weights); say when to stop.

    Parameters
    ----------
    patience
        Stop after this many epochs in a row without a lower val_loss; None never stops.
    keep_best
        Keep a copy of the weights of the best epoch, for `restore`.
    """

    def __init__(self, patience: int | None = None, keep_best: bool = False) -> None:
        self.patience, self.keep_best = patience, keep_best
        self.best_loss, self.waited = math.inf, 0
        self.best_epoch: int | None = None
        self.best_state: dict[str, Any] | None = None

    def update(self, epoch: int, val_loss: float, model: nn.Module) -> bool:
        """Record one epoch's val_loss; returns True when training should stop."""
        if val_loss < self.best_loss:  # a tie is no improvement; NaN never is one
            self.best_loss, self.best_epoch, self.waited = val_loss, epoch, 0
            if self.keep_best:
                self.best_state = copy.deepcopy(model.state_dict())
        else:
            self.waited += 1
        return self.patience is not None and self.waited >= self.patience

    def restore(self, model: nn.Module) -> bool:
        """Load the best epoch's weights into `model`; returns False when there are none to load."""
        if self.best_state is None:
            return False
        model.load_state_dict(self.best_state)
        return True


def train_one_epoch(
    model: nn.Module,
    batches: Iterable[tuple[torch.Tensor, torch.Tensor]],
    optimizer: torch.optim.Optimizer,
    loss_fn: LossFn = F.cross_entropy,
    metrics: Sequence[str] = ("accuracy",),
    clip_grad: float | None = None,
    after_step: Callable[[], None] | None = None,
) -> dict[str, float]:
    """One pass over `batches`: forward, loss, backward and an optimizer step for every mini-batch.

    Parameters
    ----------
    model, batches, optimizer, loss_fn
        What to train, on which mini-batches (they follow the model's device), how, and on which loss
        (it must return the batch MEAN).
    metrics
        Names from METRICS to average as well, e.g. ("accuracy",); () for none.
    clip_grad
        Largest allowed total gradient norm (None: no clipping).
    after_step
        Called after every optimizer step, e.g. a learning-rate scheduler's ``step``.

    Returns
    -------
    dict
        {"loss": ..., metric: ...}, per-sample means over the epoch while the weights changed.
    """
    metrics = _check_metrics(metrics)
    device = model_device(model)
    model.train()
    sums, n = torch.zeros(1 + len(metrics), device=device), 0
    for xb, yb in batches:
        xb, yb = _to(xb, device), _to(yb, device)
        out = model(xb)
        loss = loss_fn(out, yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad is not None:
            nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip_grad)
        optimizer.step()
        if after_step is not None:
            after_step()
        sums += _batch_sums(loss, out, yb, metrics)  # stays on the device: no sync per batch
        n += yb.shape[0]
    if n == 0:
        raise ValueError("train_one_epoch got no samples: the batches are empty.")
    return dict(zip(("loss", *metrics), (sums / n).tolist()))


Scheduler = LRScheduler | ReduceLROnPlateau | Callable[[int], float]


def fit(
    model: nn.Module,
    train: Batches | tuple[torch.Tensor, torch.Tensor],
    val: Batches | tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    epochs: int = 10,
    batch_size: int | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float | None = None,
    loss_fn: LossFn | None = None,
    metrics: Sequence[str] = ("accuracy",),
    early_stopping: int | None = None,
    restore_best: bool | None = None,
    clip_grad: float | None = None,
    scheduler: Scheduler | None = None,
    scheduler_interval: str | None = None,
    seed: int | None = 0,
    progress: bool = True,
    device: torch.device | str | None = None,
) -> History:
    """Train `model` for `epochs` epochs on mini-batches of `train`; return the per-epoch History.

    Parameters
    ----------
    model
        Stays on its device (or is moved to `device`); the batches follow it.
    train, val
        Batches, or (x, y) tensors (also objects with .x and .y) that become Batches of `batch_size`,
        shuffled for `train`. `val` (optional) is evaluated after every epoch ("val_*" numbers).
    epochs
        Number of passes over `train`.
    batch_size
        Mini-batch size for (x, y) data (default 128). Not allowed when `train` is already Batches.
    optimizer, lr
        Default: Adam with learning rate `lr` (default 1e-3). With your own optimizer, set its lr there.
    loss_fn
        loss_fn(output, target) -> batch MEAN loss; default F.cross_entropy. A model returning a tuple
        (e.g. a VAE) needs a loss_fn taking the tuple and metrics=().
    metrics
        Names from METRICS, default ("accuracy",): class scores (N, C) with integer class ids, or one
        logit per sample with 0/1 labels. Anything else, regression for one, needs metrics=() (a clear
        error says so at the first batch).
    early_stopping
        Patience: stop after this many epochs without a lower val_loss (needs `val`).
    restore_best
        Load the weights of `history.best_epoch` at the end (needs `val`). Default: True with early
        stopping (whether or not it stopped early), else False. `history.weights_epoch` says which
        epoch's weights the model holds.
    clip_grad
        Largest allowed total gradient norm.
    scheduler, scheduler_interval
        A torch LRScheduler built on `optimizer`, stepped after every optimizer step (interval "step",
        the default) or after every epoch ("epoch"); a ReduceLROnPlateau, stepped after every epoch with
        val_loss; or a function lr_at(t) -> learning rate, with t counting steps or epochs from 0 (a
        two-phase schedule: ``lambda t: 1e-2 if t < 500 else 1e-3``).
    seed
        Seeds torch (dropout, the default optimizer's start) and, for (x, y) data, the shuffling. fit
        runs on a fork of torch's global random generator: afterwards it is as fit found it. seed=None
        uses (and advances) the global generator. Batches keep their own shuffling seed.
    progress
        Show a progress bar over the epochs.
    device
        Move the model there first (default: it stays where it is).

    Returns
    -------
    History
        "train_*" numbers are averages over each epoch while the weights changed, "val_*" come from
        `evaluate` after it; plus best_epoch, weights_epoch, stopped_early, interrupted, seconds.
        Ctrl-C (KeyboardInterrupt) ends training: fit warns and returns the History so far with
        interrupted=True (in a loop of fit calls, check it and break, or each Ctrl-C ends one run).
        Under nbgrader (NBGRADER_EXECUTION set) the interrupt is the grader's time limit and is raised.
    """
    metrics = _check_metrics(metrics)
    _check_options(epochs, batch_size, lr, early_stopping, clip_grad, val)
    interval = _check_scheduler(scheduler, scheduler_interval, optimizer, val)
    restore_best = early_stopping is not None if restore_best is None else restore_best
    if restore_best and val is None:
        raise ValueError(
            "restore_best keeps the weights of the epoch with the lowest val_loss: "
            "pass validation data with val=(x_val, y_val)."
        )
    _check_ignored(train, batch_size, optimizer, lr, scheduler)
    device = model_device(model) if device is None else torch.device(device)
    # With a seed, the caller's random numbers stay as they were; without one, fit draws fresh randomness
    # from the global generator, which then moves on as usual.
    with contextlib.nullcontext() if seed is None else _fork_rng(device):
        if seed is not None:
            torch.manual_seed(seed)  # dropout, augmentation and the default shuffle seed all follow
        model.to(device)
        shuffle_seed = seed if seed is not None else int(torch.randint(2**31, ()))
        batch_size = batch_size or 128
        train = _as_batches(train, batch_size, shuffle=True, seed=shuffle_seed, device=device)
        val = None if val is None else _as_batches(val, batch_size, device=device)
        loss_fn = loss_fn or F.cross_entropy  # must return the MEAN loss over the batch
        optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr or 1e-3)
        if callable(scheduler) and not isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
            scheduler = _FunctionLR(optimizer, scheduler)
        after_step = scheduler.step if scheduler is not None and interval == "step" else None
        watcher = EarlyStopping(early_stopping, keep_best=restore_best)

        history = History()
        start = time.perf_counter()
        from tqdm.auto import tqdm  # here, not at import: in a notebook it loads ipywidgets

        bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
        try:
            for epoch in bar:
                history.weights_epoch = None  # the weights change from here on
                for name, value in train_one_epoch(
                    model, train, optimizer, loss_fn, metrics, clip_grad, after_step
                ).items():
                    history.log(f"train_{name}", value)
                history.weights_epoch = epoch
                stop = False
                if val is not None:
                    for name, value in evaluate(model, val, loss_fn, metrics).items():
                        history.log(f"val_{name}", value)
                    stop = watcher.update(epoch, history["val_loss"][-1], model)
                    history.best_epoch = watcher.best_epoch
                if isinstance(scheduler, ReduceLROnPlateau):
                    scheduler.step(history["val_loss"][-1])
                elif scheduler is not None and interval == "epoch":
                    scheduler.step()
                if stop:
                    history.stopped_early = True
                    break
                bar.set_postfix({key: f"{values[-1]:.4g}" for key, values in history.items() if "loss" in key})
        except KeyboardInterrupt:  # Ctrl-C in Jupyter: keep what was learnt, and the numbers so far
            history.interrupted = True
            if os.environ.get("NBGRADER_EXECUTION"):  # the grader's time limit: the cell must stop, not carry on
                raise
        finally:
            bar.close()
        if restore_best and watcher.restore(model):
            history.weights_epoch = watcher.best_epoch  # not the last epoch's weights
        history.seconds = time.perf_counter() - start
        if history.interrupted:
            held = (
                "partly trained weights"
                if history.weights_epoch is None
                else f"the weights of epoch {history.weights_epoch}"
            )
            warnings.warn(
                f"fit was interrupted after {history.epochs} of {epochs} epochs: the model keeps {held} "
                "and the returned History has the epochs so far (history.interrupted is True).",
                stacklevel=2,
            )
        return history


# Forbid("course.fit") in an assignment's tests forbids the pieces of the loop as well (see course.guard).
fit.__parts__ = (train_one_epoch, EarlyStopping.update)  # type: ignore[attr-defined]


class _FunctionLR(LRScheduler):
    """A scheduler from a plain function: the learning rate of every parameter group is lr_at(t)."""

    def __init__(self, optimizer: torch.optim.Optimizer, lr_at: Callable[[int], float]) -> None:
        self.lr_at = lr_at
        super().__init__(optimizer)  # sets lr_at(0) for the first step

    def get_lr(self) -> list[float | torch.Tensor]:
        lr = float(self.lr_at(self.last_epoch))
        if not lr > 0:
            raise ValueError(
                f"the scheduler function gave the learning rate {lr!r} at t={self.last_epoch}; "
                "it must return a number > 0."
            )
        return [lr] * len(self.optimizer.param_groups)


def _fork_rng(device: torch.device):
    """torch.random.fork_rng for the CPU and, if the model is on one, its accelerator."""
    if device.type in ("cuda", "mps", "xpu"):
        return torch.random.fork_rng(devices=[device], device_type=device.type)
    return torch.random.fork_rng(devices=[])


@torch.no_grad()
def evaluate(
    model: nn.Module,
    data: Batches | tuple[torch.Tensor, torch.Tensor],
    loss_fn: LossFn | None = None,
    metrics: Sequence[str] = ("accuracy",),
    batch_size: int = 1024,
) -> dict[str, float]:
    """Mean loss and metrics of `model` over `data` (Batches or (x, y)), in eval mode without gradients."""
    metrics = _check_metrics(metrics)
    loss_fn = loss_fn or F.cross_entropy
    device = model_device(model)
    data = _as_batches(data, batch_size, device=device)
    was_training = model.training
    model.eval()  # dropout off, batch norm uses its running statistics
    try:
        sums, n = torch.zeros(1 + len(metrics), device=device), 0
        for xb, yb in data:
            xb, yb = _to(xb, device), _to(yb, device)
            out = model(xb)
            sums += _batch_sums(loss_fn(out, yb), out, yb, metrics)
            n += yb.shape[0]
    finally:
        model.train(was_training)
    if n == 0:
        raise ValueError("evaluate got no samples: the data is empty.")
    return dict(zip(("loss", *metrics), (sums / n).tolist()))


@torch.no_grad()
def accuracy(
    model_or_logits: nn.Module | torch.Tensor, x: torch.Tensor | None = None, y: torch.Tensor | None = None
) -> float:
    """Fraction of correct predictions: `accuracy(logits, y)` or `accuracy(model, x, y)`."""
    if isinstance(model_or_logits, torch.Tensor):
        logits, labels = model_or_logits, (y if y is not None else x)
        if labels is None or len(labels) != len(logits):
            raise ValueError("Call accuracy(logits, y) with one label per row of logits.")
        return _correct(logits, labels.to(logits.device)).item() / len(labels)
    if x is None or y is None or len(x) != len(y):
        raise ValueError("Call accuracy(model, x, y) with inputs x and as many labels y.")
    return evaluate(model_or_logits, (x, y), loss_fn=_no_loss, metrics=("accuracy",))["accuracy"]


def _no_loss(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """A zero 'loss', for when only metrics are wanted."""
    return out.new_zeros(())


def _batch_sums(loss: torch.Tensor, out: torch.Tensor, yb: torch.Tensor, metrics: Sequence[str]) -> torch.Tensor:
    """[loss * batch size, metric sums...] of one batch as float32, detached from the graph."""
    if isinstance(out, (tuple, list)):  # e.g. a VAE's (logits, mu, logvar): only the loss is defined
        if metrics:
            raise ValueError(
                f"The model returns a {type(out).__name__}, so metrics {list(metrics)} cannot be "
                "computed from it: pass metrics=() (the loss_fn receives the whole output)."
            )
        return (loss.detach() * yb.shape[0]).float().reshape(1)
    out = out.detach()
    sums = [loss.detach() * yb.shape[0], *(METRICS[m](out, yb) for m in metrics)]
    return torch.stack([s.float() for s in sums])


def _check_metrics(metrics: Sequence[str]) -> tuple[str, ...]:
    """The metric names as a tuple; unknown names raise a ValueError listing the valid ones."""
    if isinstance(metrics, str):
        metrics = (metrics,)
    unknown = [m for m in metrics if m not in METRICS]
    if unknown:
        raise ValueError(f"Unknown metric(s) {unknown}. Valid metrics: {sorted(METRICS)}.")
    return tuple(metrics)


def _check_options(
    epochs: int, batch_size: int | None, lr: float | None, early_stopping: int | None, clip_grad: float | None, val: Any
) -> None:
    """Raise a ValueError for impossible settings of fit."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}.")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if lr is not None and not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}.")
    if early_stopping is not None:
        if val is None:
            raise ValueError("early_stopping watches val_loss: pass validation data with val=(x_val, y_val).")
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"early_stopping is a patience in epochs (an integer >= 1), got {early_stopping!r}.")
    if clip_grad is not None and not clip_grad > 0:
        raise ValueError(f"clip_grad is the largest allowed gradient norm and must be > 0, got {clip_grad!r}.")


def _check_scheduler(scheduler: Any, interval: str | None, optimizer: Any, val: Any) -> str:
    """The interval ("step" or "epoch") at which fit steps `scheduler`; a ValueError for one it cannot step."""
    if interval not in (None, "step", "epoch"):
        raise ValueError(f'scheduler_interval must be "step" or "epoch", got {interval!r}.')
    if scheduler is None:
        if interval is not None:
            raise ValueError("scheduler_interval says when to step a scheduler: pass one with scheduler=...")
        return "step"
    if isinstance(scheduler, ReduceLROnPlateau):
        if interval == "step":
            raise ValueError(
                "ReduceLROnPlateau is stepped once per epoch with val_loss: "
                'leave scheduler_interval out (or pass "epoch").'
            )
        if val is None:
            raise ValueError("ReduceLROnPlateau watches val_loss: pass validation data with val=(x_val, y_val).")
    if isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
        if optimizer is None or getattr(scheduler, "optimizer", None) is not optimizer:
            raise ValueError(
                "scheduler must be built on the optimizer you pass: "
                "opt = torch.optim.Adam(...); fit(..., optimizer=opt, scheduler=OneCycleLR(opt, ...))."
            )
        return "epoch" if isinstance(scheduler, ReduceLROnPlateau) else interval or "step"
    if not callable(scheduler):
        raise ValueError(
            "scheduler must be a torch.optim.lr_scheduler scheduler or a function lr_at(t) -> "
            f"learning rate, got {type(scheduler).__name__}."
        )
    return interval or "step"


def _check_ignored(train: Any, batch_size: int | None, optimizer: Any, lr: float | None, scheduler: Any) -> None:
    """Raise a ValueError for an argument that fit would otherwise silently ignore."""
    if lr is not None and optimizer is not None:
        raise ValueError(
            f"lr={lr!r} would be ignored: the optimizer you pass has its own learning rate. "
            "Set it there, e.g. torch.optim.SGD(model.parameters(), lr=...), and leave lr out."
        )
    if lr is not None and callable(scheduler) and not isinstance(scheduler, (LRScheduler, ReduceLROnPlateau)):
        raise ValueError(
            f"lr={lr!r} would be ignored: the scheduler function gives the learning rate of every step. Leave lr out."
        )
    if batch_size is not None and isinstance(train, Batches):
        raise ValueError(
            f"batch_size={batch_size!r} would be ignored: train is already Batches of "
            f"{train.batch_size}. Set the size when you build the Batches and leave batch_size out."
        )


def _to(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move `t` to `device` unless it is already there."""
    return t if t.device == device else t.to(device, non_blocking=True)


def _as_batches(
    data: Any, batch_size: int, shuffle: bool = False, seed: int = 0, device: torch.device | None = None
) -> Batches:
    """Batches as given; (x, y) tuples or objects with .x and .y (like ImageSet) wrapped in Batches."""
    if isinstance(data, Batches):
        return data
    if isinstance(data, (tuple, list)) and len(data) == 2:
        x, y = data
    elif hasattr(data, "x") and hasattr(data, "y"):
        x, y = data.x, data.y
    else:
        raise ValueError(f"Expected Batches or a pair (x, y) of tensors, got {type(data).__name__}.")
    if not (isinstance(x, torch.Tensor) and isinstance(y, torch.Tensor)):
        raise ValueError(f"x and y must be torch tensors, got {type(x).__name__} and {type(y).__name__}.")
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, got {len(x)} inputs and {len(y)} targets.")
    return Batches(x, y, batch_size=batch_size, shuffle=shuffle, seed=seed, device=device)
