"""Histograms of back-propagated gradients and activations, layer by layer, and dead ReLU units."""

from collections.abc import Callable

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure
from torch import Tensor, nn

from course.viz._figure import new_figure
from course.viz.hooks import ACTIVATIONS, RELU_LIKE, WEIGHT_LAYERS, dead_unit_masks, layer_activations, layer_gradients


def _depth_colours(n: int) -> np.ndarray:
    """Colours from dark (near the input) to bright (near the output)."""
    return colormaps["viridis"](np.linspace(0.0, 0.9, n))


def plot_gradient_histograms(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    loss_fn: Callable | None = None,
    title: str | None = None,
    layers=WEIGHT_LAYERS,
) -> Figure:
    """Histograms of log10 |dLoss/d(layer output)| per layer and the mean magnitude per layer."""
    grads = {
        name: g.detach().abs().flatten().cpu().double().numpy()
        for name, g in layer_gradients(model, x, y, loss_fn, layers).items()
    }
    names = list(grads)
    colours = _depth_colours(len(names))
    fig = new_figure(11, 4)
    hist_ax, mean_ax = fig.subplots(1, 2, width_ratios=[3, 2])

    logs = {n: np.log10(g[g > 0]) for n, g in grads.items()}
    finite = np.concatenate([v for v in logs.values()] + [np.zeros(0)])
    if finite.size:
        bins = np.linspace(finite.min(), finite.max() + 1e-9, 50)
        for colour, name in zip(colours, names):
            zero_share = 1 - logs[name].size / max(grads[name].size, 1)
            label = name + (f" ({zero_share:.0%} exactly 0)" if zero_share > 0.005 else "")
            hist_ax.hist(logs[name], bins=bins, histtype="step", linewidth=1.6, color=colour, label=label)
    hist_ax.set_xlabel("log10 |gradient of the loss w.r.t. layer output|")
    hist_ax.set_ylabel("count")
    hist_ax.set_title("Distribution per layer (dark = near input)")
    hist_ax.legend(fontsize="small")

    means = [float(grads[n].mean()) for n in names]
    mean_ax.bar(range(len(names)), means, color=colours)
    mean_ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    if all(m > 0 for m in means):
        mean_ax.set_yscale("log")
    mean_ax.set_xlabel("layer (input → output)")
    mean_ax.set_ylabel("mean |gradient|")
    mean_ax.set_title("Mean gradient magnitude")
    fig.suptitle(title if title is not None else "Back-propagated gradients per layer")
    return fig


def plot_activation_histograms(model: nn.Module, x: Tensor, title: str | None = None, layers=ACTIVATIONS) -> Figure:
    """One histogram of activation values per layer, with mean, spread and share of exact zeros."""
    acts = {name: a.flatten().cpu().double().numpy() for name, a in layer_activations(model, x, layers).items()}
    names = list(acts)
    ncols = min(4, len(names))
    nrows = -(-len(names) // ncols)
    fig = new_figure(3.2 * ncols, 2.6 * nrows + 0.4)
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    lo = min(float(a.min()) for a in acts.values())
    hi = max(float(a.max()) for a in acts.values())
    bins = np.linspace(lo, hi if hi > lo else lo + 1.0, 40)
    for i, (ax, colour, name) in enumerate(zip(axes, _depth_colours(len(names)), names)):
        values = acts[name]
        ax.hist(values, bins=bins, color=colour)
        zeros = float((values == 0).mean())
        ax.set_title(f"{name}\nmean {values.mean():.2f}, std {values.std():.2f}, zero {zeros:.0%}", fontsize="small")
        ax.set_xlabel("activation")
        if i % ncols == 0:
            ax.set_ylabel("count")
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    fig.suptitle(title if title is not None else "Activations per layer (input → output)")
    return fig


def plot_dead_units(model: nn.Module, x: Tensor, layers=RELU_LIKE) -> Figure:
    """Bar chart of the share of units per ReLU layer that output zero for every input in x."""
    masks = dead_unit_masks(model, x, layers)
    names = list(masks)
    shares = [100.0 * float(m.float().mean()) for m in masks.values()]
    fig = new_figure(max(5.0, 1.0 * len(names) + 2), 3.8)
    ax = fig.subplots()
    bars = ax.bar(range(len(names)), shares, color=_depth_colours(len(names)))
    for bar, mask in zip(bars, masks.values()):
        ax.annotate(
            f"{int(mask.sum())}/{mask.numel()}",
            (bar.get_x() + bar.get_width() / 2, bar.get_height()),
            ha="center",
            va="bottom",
            fontsize="small",
            xytext=(0, 2),
            textcoords="offset points",
        )
    ax.set_xticks(range(len(names)), names, rotation=45, ha="right")
    ax.set_ylim(0, 105)
    ax.set_xlabel("layer (input → output)")
    ax.set_ylabel("dead units (%)")
    ax.set_title(f"Units that are zero for all {len(x)} inputs")
    return fig
