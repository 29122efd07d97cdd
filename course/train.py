"""The training loop: `fit` a model on mini-batches, `evaluate` it, and keep a per-epoch `History`."""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.data.batches import Batches

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _correct(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Number of right predictions in a batch: argmax of class scores, or logit > 0 for one output."""
    if logits.dim() == 2 and logits.shape[1] > 1 and y.shape == logits.shape[:1] and not y.is_floating_point():
        return (logits.argmax(dim=1) == y).sum()
    if logits.numel() == y.numel() == logits.shape[0]:  # one logit per sample, labels 0/1
        return ((logits.reshape(-1) > 0) == (y.reshape(-1) > 0.5)).sum()
    raise ValueError(
        f"accuracy needs class scores (N, C) with integer labels (N,), or one logit per sample with 0/1 "
        f"labels; got outputs {tuple(logits.shape)} and targets {tuple(y.shape)} ({y.dtype}). "
        "For regression or autoencoders pass metrics=()."
    )


# Each metric returns the SUM over a batch; dividing by the number of samples at the end
# gives the exact per-sample mean even when the last batch is smaller.
METRICS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {"accuracy": _correct}


class History(dict):
    """Per-epoch numbers, e.g. history["val_loss"][i] for epoch i, plus best_epoch, stopped_early, seconds."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.best_epoch: int | None = None  # index (from 0) of the epoch with the lowest val_loss
        self.stopped_early: bool = False
        self.seconds: float = 0.0

    @property
    def epochs(self) -> int:
        """Number of epochs recorded."""
        return max((len(values) for values in self.values()), default=0)

    def log(self, key: str, value: float) -> None:
        """Append one epoch's value to the list `key`."""
        self.setdefault(key, []).append(value)


def fit(
    model: nn.Module,
    train: Batches | tuple[torch.Tensor, torch.Tensor],
    val: Batches | tuple[torch.Tensor, torch.Tensor] | None = None,
    *,
    epochs: int = 10,
    batch_size: int = 128,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    loss_fn: LossFn | None = None,
    metrics: Sequence[str] = ("accuracy",),
    early_stopping: int | None = None,
    clip_grad: float | None = None,
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    seed: int | None = 0,
    progress: bool = True,
    device: torch.device | str | None = None,
) -> History:
    """Train `model` on `train` (Batches or (x, y)) for `epochs` epochs and return the History.

    Tuples become shuffled Batches of `batch_size`; the default optimizer is Adam(lr) and the
    default loss F.cross_entropy (a loss_fn must return the batch MEAN; a model returning a tuple
    needs metrics=() and a loss_fn taking the tuple). "train_*" numbers are
    averages over the epoch while the weights changed; "val_*" are computed after the epoch by
    `evaluate`. `early_stopping=k` stops after k epochs without a lower val_loss and restores the
    best weights. `clip_grad` caps the total gradient norm. `scheduler` (built on `optimizer`, e.g.
    OneCycleLR) is stepped after every optimizer step. `seed` seeds torch and the shuffling.
    The model stays on its device (or is moved to `device`); batches follow it.
    """
    metrics = _check_metrics(metrics)
    _check_options(epochs, batch_size, lr, early_stopping, clip_grad, val)
    if seed is not None:
        torch.manual_seed(seed)  # dropout, augmentation and the default shuffle seed all follow
    device = _device_of(model) if device is None else torch.device(device)
    model.to(device)
    shuffle_seed = seed if seed is not None else int(torch.randint(2**31, ()))
    train = _as_batches(train, batch_size, shuffle=True, seed=shuffle_seed, device=device)
    val = None if val is None else _as_batches(val, batch_size, device=device)
    loss_fn = loss_fn or F.cross_entropy  # must return the MEAN loss over the batch
    if scheduler is not None and (optimizer is None or getattr(scheduler, "optimizer", None) is not optimizer):
        raise ValueError("scheduler must be built on the optimizer you pass: "
                         "opt = torch.optim.Adam(...); fit(..., optimizer=opt, scheduler=OneCycleLR(opt, ...)).")
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)

    history, best_loss, best_state, waited = History(), math.inf, None, 0
    start = time.perf_counter()
    from tqdm.auto import tqdm  # here, not at import: in a notebook it loads ipywidgets

    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        sums, n = torch.zeros(1 + len(metrics), device=device), 0
        for xb, yb in train:
            xb, yb = _to(xb, device), _to(yb, device)
            out = model(xb)
            loss = loss_fn(out, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_norm=clip_grad)
            optimizer.step()
            if scheduler is not None:
                scheduler.step()
            sums += _batch_sums(loss, out, yb, metrics)  # stays on the device: no sync per batch
            n += yb.shape[0]
        for name, value in zip(("loss", *metrics), (sums / n).tolist()):
            history.log(f"train_{name}", value)  # running averages while the weights changed

        if val is not None:
            for name, value in evaluate(model, val, loss_fn, metrics).items():
                history.log(f"val_{name}", value)
            if history["val_loss"][-1] < best_loss:
                best_loss, history.best_epoch, waited = history["val_loss"][-1], epoch, 0
                if early_stopping is not None:
                    best_state = copy.deepcopy(model.state_dict())
            else:
                waited += 1
            if early_stopping is not None and waited >= early_stopping:
                history.stopped_early = True
                break
        bar.set_postfix({key: f"{values[-1]:.4g}" for key, values in history.items() if "loss" in key})
    bar.close()

    if best_state is not None:
        model.load_state_dict(best_state)  # early stopping keeps the best weights, not the last
    history.seconds = time.perf_counter() - start
    return history


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
    device = _device_of(model)
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
def accuracy(model_or_logits: nn.Module | torch.Tensor, x: torch.Tensor | None = None,
             y: torch.Tensor | None = None) -> float:
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
            raise ValueError(f"The model returns a {type(out).__name__}, so metrics {list(metrics)} cannot be "
                             "computed from it: pass metrics=() (the loss_fn receives the whole output).")
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


def _check_options(epochs: int, batch_size: int, lr: float, early_stopping: int | None,
                   clip_grad: float | None, val: Any) -> None:
    """Raise a ValueError for impossible settings of fit."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be an integer >= 0, got {epochs!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}.")
    if early_stopping is not None:
        if val is None:
            raise ValueError("early_stopping watches val_loss: pass validation data with val=(x_val, y_val).")
        if isinstance(early_stopping, bool) or not isinstance(early_stopping, int) or early_stopping < 1:
            raise ValueError(f"early_stopping is a patience in epochs (an integer >= 1), got {early_stopping!r}.")
    if clip_grad is not None and not clip_grad > 0:
        raise ValueError(f"clip_grad is the largest allowed gradient norm and must be > 0, got {clip_grad!r}.")


def _device_of(model: Any) -> torch.device:
    """The device of the model's first parameter (CPU for a model without parameters)."""
    param = next(model.parameters(), None) if isinstance(model, nn.Module) else None
    return param.device if param is not None else torch.device("cpu")


def _to(t: torch.Tensor, device: torch.device) -> torch.Tensor:
    """Move `t` to `device` unless it is already there."""
    return t if t.device == device else t.to(device, non_blocking=True)


def _as_batches(data: Any, batch_size: int, shuffle: bool = False, seed: int = 0,
                device: torch.device | None = None) -> Batches:
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
