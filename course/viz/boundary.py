"""Decision regions of any classifier with two input features."""

from collections.abc import Callable

import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from torch import nn

from course.device import model_device, model_dtype, to_numpy
from course.models.utils import eval_mode
from course.viz._figure import figure_of, new_figure
from course.viz.style import MARKERS, PALETTE


def _class_colours(n: int) -> list:
    """Return `n` distinct RGBA colours (the colour-blind-safe palette up to ten classes, else viridis)."""
    if n <= len(PALETTE):
        return [to_rgba(PALETTE[i]) for i in range(n)]
    return [tuple(c) for c in colormaps["viridis"](np.linspace(0, 1, n))]


def _as_probabilities(out: torch.Tensor, points: int) -> torch.Tensor:
    """Turn model outputs (logits or probabilities, one or several columns) into (M, K) probabilities."""
    out = torch.as_tensor(out).detach().float()
    if out.ndim == 1:
        out = out[:, None]
    if out.ndim != 2 or out.shape[0] != points:
        raise ValueError(
            f"the model returned shape {tuple(out.shape)} for {points} points; "
            "it must return one row per point: (N,) or (N, 1) for two classes, (N, K) for K classes"
        )
    in_unit_range = bool(((out >= 0) & (out <= 1)).all())
    if out.shape[1] == 1:
        p1 = out[:, 0] if in_unit_range else torch.sigmoid(out[:, 0])
        return torch.stack([1 - p1, p1], dim=1)
    if in_unit_range and torch.allclose(out.sum(dim=1), torch.ones(points), atol=1e-3):
        return out
    return torch.softmax(out, dim=1)


@torch.no_grad()
def _grid_probabilities(model, xx: np.ndarray, yy: np.ndarray) -> np.ndarray:
    """Evaluate the model on every grid point in one batched forward pass; returns (H, W, K)."""
    points = np.stack([xx.ravel(), yy.ravel()], axis=1)
    grid = torch.tensor(points, dtype=model_dtype(model), device=model_device(model))
    with eval_mode(model):
        out = model(grid)
    probs = _as_probabilities(out.cpu() if isinstance(out, torch.Tensor) else out, grid.shape[0])
    return probs.numpy().reshape(*xx.shape, -1)


def plot_decision_boundary(
    model: nn.Module | Callable,
    X,
    y,
    ax: Axes | None = None,
    resolution: int = 200,
    title: str | None = None,
    probability: bool = True,
) -> Figure:
    """Shade the class regions a 2-D classifier predicts and overlay the labelled points."""
    X = to_numpy(X, "X").astype(np.float64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(
            f"plot_decision_boundary needs (N, 2) inputs (two features per point), got shape {X.shape}; "
            "reduce the data to two features first (for example with PCA) or train the model on two features"
        )
    labels = None if y is None else to_numpy(y, "y").reshape(-1)
    if labels is not None and len(labels) != len(X):
        raise ValueError(f"X has {len(X)} points but y has {len(labels)} labels; pass one label per point")
    if resolution < 2:
        raise ValueError(f"resolution must be at least 2 grid points per axis, got {resolution}")

    span = X.max(axis=0) - X.min(axis=0)
    pad = 0.1 * span + 0.1
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    probs = _grid_probabilities(model, xx, yy)
    k = probs.shape[-1]
    n_colours = max(k, int(labels.max()) + 1 if labels is not None and len(labels) else 0)

    fig = figure_of(ax) if ax is not None else new_figure(5.5, 4.5)
    ax = ax if ax is not None else fig.subplots()
    extent = (lo[0], hi[0], lo[1], hi[1])
    if k == 2 and probability:
        shade = ax.contourf(xx, yy, probs[..., 1], levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.75)
        ax.contour(xx, yy, probs[..., 1], levels=[0.5], colors="k", linewidths=1.5)
        fig.colorbar(shade, ax=ax, label="p(class 1 | x)")
        colours = [to_rgba(c) for c in ("#2166ac", "#b2182b")] + _class_colours(n_colours)[2:]
    else:
        colours = _class_colours(n_colours)
        region = probs.argmax(axis=-1)
        rgba = np.array(colours)[region]
        if probability:  # confident regions darker, uncertain ones pale
            confidence = (probs.max(axis=-1) - 1 / k) / (1 - 1 / k)
            rgba[..., 3] = 0.15 + 0.45 * confidence
        else:
            rgba[..., 3] = 0.4
        ax.imshow(rgba, origin="lower", extent=extent, aspect="auto", interpolation="nearest")
        ax.contour(xx, yy, region, levels=np.arange(k - 1) + 0.5, colors="k", linewidths=0.8)

    if labels is not None:
        size = 24 if len(X) <= 500 else 10
        for c in np.unique(labels):
            mask = labels == c
            ax.scatter(
                X[mask, 0],
                X[mask, 1],
                s=size,
                color=colours[int(c)],
                marker=MARKERS[int(c) % len(MARKERS)],  # shape as well as colour
                edgecolors="k",
                linewidths=0.5,
                label=f"class {int(c)}",
            )
        ax.legend(loc="best", fontsize="small", framealpha=0.8)
    ax.set_xlim(lo[0], hi[0])
    ax.set_ylim(lo[1], hi[1])
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title if title is not None else f"Decision boundary ({k} classes)")
    return fig
