"""Training curves: one panel per metric, training and validation side by side."""

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from course.viz._figure import new_figure

SPLITS = {"train_": ("training", "-", "C0"), "val_": ("validation", "--", "C1")}


def _base_names(keys: Sequence[str]) -> list[str]:
    """Metric names without their split prefix, in order of first appearance (loss first)."""
    bases: list[str] = []
    for key in keys:
        base = next((key[len(p) :] for p in SPLITS if key.startswith(p)), key)
        if base not in bases:
            bases.append(base)
    return sorted(bases, key=lambda b: 0 if b == "loss" else 1)


def plot_history(history: dict, metrics: Sequence[str] | None = None) -> Figure:
    """Plot each metric of a History (e.g. loss, accuracy) per epoch, training vs validation."""
    if not history:
        raise ValueError("history is empty; pass the History returned by fit (or a dict of per-epoch lists)")
    available = _base_names(list(history))
    metrics = available if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in metrics if m not in available]
    if unknown:
        raise ValueError(f"no metric {unknown} in the history; available: {available}")
    best = getattr(history, "best_epoch", None)
    fig = new_figure(4.6 * len(metrics), 3.6)
    axes = np.atleast_1d(fig.subplots(1, len(metrics), squeeze=False)).ravel()
    for ax, base in zip(axes, metrics):
        for prefix, (split, style, colour) in SPLITS.items():
            values = history.get(prefix + base)
            if values is not None and len(values):
                ax.plot(
                    np.arange(1, len(values) + 1), values, style, marker="o", markersize=3, color=colour, label=split
                )
        if base in history:  # a metric without split prefix, e.g. "d_loss"
            values = history[base]
            ax.plot(np.arange(1, len(values) + 1), values, "-", marker="o", markersize=3, color="C2", label=base)
        if best is not None:
            ax.axvline(best + 1, color="gray", linestyle=":", label=f"best epoch ({best + 1})")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("epoch")
        ax.set_ylabel(base.replace("_", " "))
        ax.set_title(base.replace("_", " ").capitalize())
        ax.legend(fontsize="small")
    suffix = " (stopped early)" if getattr(history, "stopped_early", False) else ""
    fig.suptitle("Training history" + suffix)
    return fig
