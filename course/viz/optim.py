"""Optimisers on 2-D loss surfaces, and training curves for a sweep of learning rates."""

from collections.abc import Callable, Sequence

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from torch import Tensor, nn

from course.viz._figure import figure_of, new_figure
from course.viz.style import path_style

OPTIMIZERS: dict[str, Callable] = {
    "sgd": lambda params, lr: torch.optim.SGD(params, lr=lr),
    "momentum": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9),
    "nesterov": lambda params, lr: torch.optim.SGD(params, lr=lr, momentum=0.9, nesterov=True),
    "rmsprop": lambda params, lr: torch.optim.RMSprop(params, lr=lr),
    "adam": lambda params, lr: torch.optim.Adam(params, lr=lr),
    "adamw": lambda params, lr: torch.optim.AdamW(params, lr=lr),
}


def rosenbrock(p: Tensor) -> Tensor:
    """Rosenbrock's banana valley (1 - x)^2 + 100 (y - x^2)^2 on the last axis of p; minimum 0 at (1, 1)."""
    x, y = p[..., 0], p[..., 1]
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def elongated_bowl(p: Tensor) -> Tensor:
    """Ill-conditioned quadratic 0.5 (x^2 + 25 y^2) on the last axis of p; minimum 0 at (0, 0)."""
    x, y = p[..., 0], p[..., 1]
    return 0.5 * (x**2 + 25 * y**2)


def optimizer_trajectories(
    loss2d: Callable[[Tensor], Tensor],
    start: tuple[float, float],
    optimizers: dict[str, Callable[[list[Tensor]], torch.optim.Optimizer]],
    steps: int = 100,
) -> dict[str, np.ndarray]:
    """Run each optimiser from `start` on a loss of two parameters; returns its path, an array (steps+1, 2).

    `loss2d` maps a tensor of shape (2,) to a scalar; `optimizers` maps a name to a function
    building the optimiser from a parameter list, e.g. {"SGD": lambda p: torch.optim.SGD(p, lr=0.01)}.
    A run that reaches inf/nan stops there: the rest of its path is nan.
    """
    if len(tuple(start)) != 2:
        raise ValueError(f"start must be two numbers (x, y), got {start!r}")
    if steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    paths = {}
    for name, make in optimizers.items():
        point = torch.tensor([float(v) for v in start], dtype=torch.float64, requires_grad=True)
        optimizer = make([point])
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(
                f"optimizers[{name!r}] returned {type(optimizer).__name__}; each value must build an optimiser "
                "from a parameter list, e.g. lambda params: torch.optim.SGD(params, lr=0.01)"
            )
        path = np.full((steps + 1, 2), np.nan)
        path[0] = point.detach().numpy()
        for t in range(steps):
            optimizer.zero_grad()
            loss = loss2d(point)
            if loss.ndim != 0:
                raise ValueError(
                    f"loss2d must return a scalar for a point of shape (2,), got shape {tuple(loss.shape)}"
                )
            loss.backward()
            optimizer.step()
            path[t + 1] = point.detach().numpy()
            if not np.isfinite(path[t + 1]).all():
                break
        paths[name] = path
    return paths


def _surface(loss2d: Callable[[Tensor], Tensor], xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Loss on the grid xs × ys: one batched call on (H, W, 2) points, else point by point."""
    xx, yy = np.meshgrid(xs, ys)
    points = torch.tensor(np.stack([xx, yy], axis=-1), dtype=torch.float64)
    with torch.no_grad():
        try:
            z = loss2d(points)
            if tuple(z.shape) == xx.shape:
                return z.double().numpy()
        except Exception:
            pass
        flat = points.reshape(-1, 2)
        return np.array([float(loss2d(p)) for p in flat]).reshape(xx.shape)


def plot_trajectories(
    loss2d: Callable[[Tensor], Tensor],
    trajectories: dict[str, np.ndarray],
    xlim: tuple[float, float],
    ylim: tuple[float, float],
    title: str | None = None,
    resolution: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """Contours of the loss (log-spaced levels) with each optimiser's path, start and end point."""
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    z = _surface(loss2d, xs, ys)
    shift = 0.0 if z.min() > 0 else -z.min() + 1e-12 * max(1.0, float(np.abs(z).max()))
    surface = z + shift
    top, bottom = float(surface.max()), float(surface.min())
    levels = np.geomspace(max(bottom, top * 1e-6), top, 25)

    fig = figure_of(ax) if ax is not None else new_figure(6.5, 5)
    ax = ax if ax is not None else fig.subplots()
    filled = ax.contourf(xs, ys, surface, levels=levels, norm=LogNorm(), cmap="viridis", alpha=0.85, extend="min")
    ax.contour(xs, ys, surface, levels=levels, colors="white", linewidths=0.3, alpha=0.5)
    fig.colorbar(
        filled,
        ax=ax,
        label="loss" if shift == 0 else "loss − lowest loss on the grid",
        ticks=np.geomspace(levels[0], levels[-1], 6),
        format="%.2g",
    )
    first = None
    for i, (name, path) in enumerate(trajectories.items()):
        path = np.asarray(path, dtype=np.float64)
        finite = path[np.isfinite(path).all(axis=1)]
        diverged = len(finite) < len(path)  # optimizer_trajectories stops a run at the first inf/nan
        if len(finite) == 0:
            continue
        first = finite[0] if first is None else first
        with torch.no_grad():
            final = float(loss2d(torch.tensor(finite[-1], dtype=torch.float64)))
        label = f"{name} (diverged)" if diverged else f"{name}: final loss {final:.3g}"
        # line style and marker as well as colour (the palette's blue is left for the surface's own scale)
        style = path_style(i + 1)
        every = max(1, len(finite) // 25)  # about 25 markers a path: the shape shows, the steps stay visible
        ax.plot(finite[:, 0], finite[:, 1], linewidth=1.8, markersize=4, markevery=every, label=label, **style)
        ax.plot(*finite[-1], marker="*", markersize=12, color=style["color"], markeredgecolor="k")
    if first is not None:
        ax.plot(*first, marker="o", markersize=8, color="white", markeredgecolor="k", linestyle="none", label="start")
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("parameter 1 (x)")
    ax.set_ylabel("parameter 2 (y)")
    ax.set_title(title if title is not None else "Optimiser paths on the loss surface (★ = end)")
    ax.legend(fontsize="small", loc="best", framealpha=0.85)
    return fig


def lr_sweep(
    make_model: Callable[[], nn.Module],
    data,
    lrs: Sequence[float],
    epochs: int = 5,
    optimizer: str = "sgd",
    seed: int = 0,
    loss_fn: Callable | None = None,
    batch_size: int | None = None,
) -> dict[float, list[float]]:
    """Train a fresh model (same initial weights) for each learning rate; returns lr -> per-epoch training loss.

    `optimizer` is one of "sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw"; `data` is what
    `course.train.fit` accepts as training data (Batches or an (x, y) tuple); `batch_size` (default 128) is for
    (x, y) data, Batches keep their own.
    """
    from course.train import fit  # the one training loop of the library

    if optimizer not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of {sorted(OPTIMIZERS)}")
    curves = {}
    for lr in lrs:
        with torch.random.fork_rng(devices=[]):  # the same initial weights for every lr
            torch.manual_seed(seed)
            model = make_model()
        history = fit(
            model,
            data,
            epochs=epochs,
            optimizer=OPTIMIZERS[optimizer](model.parameters(), lr),
            loss_fn=loss_fn,
            metrics=(),
            seed=seed,
            progress=False,
            batch_size=batch_size,
        )
        curves[float(lr)] = list(history["train_loss"])
    return curves


def plot_lr_curves(curves: dict[float, list[float]], title: str | None = None) -> Figure:
    """Training loss per epoch for each learning rate on a log scale; diverged runs drawn clipped and marked."""
    if not curves:
        raise ValueError("curves is empty; pass {learning_rate: [loss per epoch, ...]} as returned by lr_sweep")
    arrays = {float(lr): np.asarray(c, dtype=np.float64).reshape(-1) for lr, c in curves.items()}
    starts = [a[np.isfinite(a)][0] for a in arrays.values() if np.isfinite(a).any()]
    # Every run starts from the same weights: ten times the typical first-epoch loss counts as blown up.
    ceiling = 10 * float(np.median(np.abs(starts))) if starts else 1.0
    lrs = sorted(arrays)
    colours = colormaps["viridis"](np.linspace(0, 0.9, len(lrs)))
    fig = new_figure(6.5, 4.2)
    ax = fig.subplots()
    positive = True
    for colour, lr in zip(colours, lrs):
        values = arrays[lr]
        bad = ~np.isfinite(values) | (values > ceiling)
        shown = np.where(bad, ceiling, values)
        positive &= bool((shown > 0).all())
        epochs = np.arange(1, len(values) + 1)
        diverged = bool(bad.any())
        ax.plot(
            epochs,
            shown,
            "--" if diverged else "-",
            marker="o",
            markersize=3,
            color=colour,
            label=f"{lr:g}" + (" (diverged, clipped)" if diverged else ""),
        )
        if diverged:
            ax.plot(epochs[bad], shown[bad], "x", color="red", markersize=9)
    if positive:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss")
    ax.set_title(title if title is not None else "Training loss for each learning rate")
    ax.legend(title="learning rate", fontsize="small")
    return fig
