"""A grid of images with optional labels."""

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from course.device import to_numpy
from course.viz._figure import new_figure


def _as_images(images) -> np.ndarray:
    """Return images as (N, H, W) or (N, H, W, 3) floats from (N, H, W), (N, 1, H, W) or (N, 3, H, W)."""
    array = to_numpy(images, "images").astype(np.float64)
    if array.ndim == 2:
        array = array[None]
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    elif array.ndim == 4 and array.shape[1] == 3:
        array = array.transpose(0, 2, 3, 1)
    valid = array.ndim == 3 or (array.ndim == 4 and array.shape[-1] == 3)
    if not valid or len(array) == 0:
        raise ValueError(
            "images must be a non-empty batch of shape (N, H, W), (N, 1, H, W) or (N, 3, H, W), "
            f"got {to_numpy(images).shape}"
        )
    return array


def _label_text(label, classes: Sequence[str] | None) -> str:
    """Label as text: a class name when `classes` is given and the label is an index."""
    if hasattr(label, "item"):
        label = label.item()
    if classes is not None and isinstance(label, (int, np.integer)):
        return str(classes[int(label)])
    return str(label)


def image_grid(
    images,
    labels=None,
    ncols: int = 8,
    title: str | None = None,
    cmap: str = "gray",
    classes: Sequence[str] | None = None,
) -> Figure:
    """Show a batch of images in a grid, each titled with its label (class names via `classes`)."""
    array = _as_images(images)
    n = len(array)
    if labels is not None:
        labels = list(to_numpy(labels, "labels").reshape(-1)) if not isinstance(labels, (list, tuple)) else list(labels)
        if len(labels) != n:
            raise ValueError(f"got {n} images but {len(labels)} labels; pass one label per image")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    lo, hi = float(array.min()), float(array.max())
    if lo >= 0 and hi <= 1:
        lo, hi = 0.0, 1.0
    if array.ndim == 4:  # colour images must lie in [0, 1]
        array = (array - lo) / (hi - lo if hi > lo else 1.0)
    fig = new_figure(1.35 * ncols, 1.45 * nrows + (0.4 if title else 0))
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, ax in enumerate(axes):
        ax.set_xticks([])
        ax.set_yticks([])
        if i >= n:
            ax.set_visible(False)
            continue
        if array.ndim == 4:
            ax.imshow(array[i])
        else:
            ax.imshow(array[i], cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1)
        if labels is not None:
            ax.set_title(_label_text(labels[i], classes), fontsize="small")
    if title:
        fig.suptitle(title)
    return fig
