"""Two-dimensional codes (latent space, embeddings) coloured by class."""

from collections.abc import Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

from course.device import to_numpy
from course.viz._figure import new_figure
from course.viz.style import PALETTE, class_style

MAX_LEGEND_CLASSES = 20


def plot_latent(codes, labels=None, classes: Sequence[str] | None = None, title: str | None = None) -> Figure:
    """Scatter (N, 2) codes; integer labels get one colour per class and a legend, real labels a colour bar."""
    codes = to_numpy(codes, "codes").astype(np.float64)
    if codes.ndim != 2 or codes.shape[1] != 2:
        raise ValueError(
            f"codes must have shape (N, 2), got {codes.shape}; for higher-dimensional codes plot two of them "
            "(codes[:, :2]) or project them to 2-D first (e.g. with PCA)"
        )
    fig = new_figure(6, 5)
    ax = fig.subplots()
    size = 12 if len(codes) <= 2000 else 4
    if labels is None:
        ax.scatter(codes[:, 0], codes[:, 1], s=size, alpha=0.7, color=PALETTE[0])
    else:
        labels = to_numpy(labels, "labels").reshape(-1)
        if len(labels) != len(codes):
            raise ValueError(f"got {len(codes)} codes but {len(labels)} labels; pass one label per code")
        values = np.unique(labels)
        categorical = np.issubdtype(labels.dtype, np.integer) and len(values) <= MAX_LEGEND_CLASSES
        if categorical:
            many = colormaps["tab20"]
            for i, value in enumerate(values):
                mask = labels == value
                name = classes[int(value)] if classes is not None else str(value)
                # shape as well as colour; beyond ten classes tab20's colours with the markers repeating
                style = class_style(i) if len(values) <= len(PALETTE) else {**class_style(i), "color": many(i)}
                ax.scatter(codes[mask, 0], codes[mask, 1], s=size, alpha=0.7, label=name, **style)
            ax.legend(title="class", fontsize="small", markerscale=2, loc="best", framealpha=0.85)
        else:
            points = ax.scatter(
                codes[:, 0], codes[:, 1], c=labels.astype(np.float64), s=size, alpha=0.8, cmap="viridis"
            )
            fig.colorbar(points, ax=ax, label="label")
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(title if title is not None else f"Codes of {len(codes)} inputs")
    return fig
