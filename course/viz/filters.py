"""What a convolutional network learned: its first-layer filters and the feature maps of one image."""

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor, nn

from course.device import model_device, model_dtype, to_numpy
from course.models.utils import eval_mode
from course.viz._figure import new_figure

MAX_SIDE = 16  # at most this many filters (and input channels) per axis of the grid


def _kernels(weight_or_conv) -> np.ndarray:
    """Return conv weights as a float numpy array (out, in, h, w)."""
    if isinstance(weight_or_conv, nn.Conv2d):
        weight_or_conv = weight_or_conv.weight
    if isinstance(weight_or_conv, nn.Module):
        raise TypeError(f"plot_filters takes an nn.Conv2d or a weight tensor, got {type(weight_or_conv).__name__}")
    weight = to_numpy(weight_or_conv, "weight").astype(np.float64)
    if weight.ndim == 3:
        weight = weight[:, None]
    if weight.ndim != 4:
        raise ValueError(
            f"expected convolution weights of shape (out, in, h, w) (or (out, h, w)), got shape {weight.shape}; "
            "for a model pass its first nn.Conv2d, e.g. model.conv1"
        )
    return weight


def plot_filters(weight_or_conv: Tensor | nn.Conv2d, title: str | None = None) -> Figure:
    """Grid of convolution kernels on one shared symmetric colour scale (red positive, blue negative)."""
    weight = _kernels(weight_or_conv)
    out, cin = weight.shape[:2]
    if cin == 1:
        shown = weight[:64, 0]
        ncols = min(8, len(shown))
        nrows = -(-len(shown) // ncols)
        cells = [(shown[i], f"{i}") for i in range(len(shown))]
    else:
        rows, ncols = min(out, MAX_SIDE), min(cin, MAX_SIDE)
        nrows = rows
        cells = [(weight[o, c], f"{o}/{c}") for o in range(rows) for c in range(ncols)]
    limit = max(float(np.abs(weight).max()), 1e-12)
    fig = new_figure(max(4.5, 1.1 * ncols + 1.2), 1.1 * nrows + 0.9)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    image = None
    for ax, (kernel, label) in zip(axes, cells):
        image = ax.imshow(kernel, cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest")
        ax.set_title(label, fontsize="x-small")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[len(cells) :]:
        ax.set_visible(False)
    assert image is not None  # a weight has at least one kernel, so the loop drew one
    fig.colorbar(image, ax=axes.tolist(), shrink=0.8, label="weight")
    default = f"{out} filters, {weight.shape[2]}×{weight.shape[3]}"
    if cin > 1:
        default += f", {cin} input channels\n(row = filter, column = input channel)"
    if len(cells) < out * cin:
        default += f" – first {len(cells)} kernels shown"
    fig.suptitle(title if title is not None else default)
    return fig


def _find_layer(model: nn.Module, layer: nn.Module | str) -> tuple[str, nn.Module]:
    """Resolve a layer given as a module of the model or as its name in model.named_modules()."""
    modules = dict(model.named_modules())
    if isinstance(layer, str):
        if layer not in modules:
            names = [n for n in modules if n][:30]
            raise ValueError(f"the model has no layer named {layer!r}; available names: {names}")
        return layer, modules[layer]
    for name, module in modules.items():
        if module is layer:
            return name or type(layer).__name__, layer
    raise ValueError(f"{type(layer).__name__} is not a layer of this model; pass one of model.named_modules()")


@torch.no_grad()
def plot_feature_maps(model: nn.Module, layer: nn.Module | str, x: Tensor, max_maps: int = 16) -> Figure:
    """Show the input image and the first `max_maps` output channels of `layer` for one image x (1, C, H, W)."""
    name, module = _find_layer(model, layer)
    if x.ndim == 3:
        x = x.unsqueeze(0)
    if x.ndim != 4 or x.shape[0] != 1:
        raise ValueError(f"x must be one image of shape (1, C, H, W), got shape {tuple(x.shape)}; use x[:1]")
    x = x.to(device=model_device(model), dtype=model_dtype(model))
    captured: list[Tensor] = []
    handle = module.register_forward_hook(lambda m, i, o: captured.append(o.detach()))
    try:
        with eval_mode(model):
            model(x)
    finally:
        handle.remove()
    maps = captured[0][0].cpu().double().numpy() if captured and isinstance(captured[0], Tensor) else None
    if maps is None or maps.ndim != 3:
        shape = tuple(captured[0].shape) if captured and isinstance(captured[0], Tensor) else None
        raise ValueError(f"layer {name!r} produced {shape}, not feature maps (1, C, H, W); pick a convolutional layer")

    shown = maps[:max_maps]
    image = x[0].cpu().double().numpy()
    panels = len(shown) + 1
    ncols = min(panels, 6)
    nrows = -(-panels // ncols)
    fig = new_figure(1.7 * ncols + 1.0, 1.8 * nrows + 0.6)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    if image.shape[0] == 3:
        axes[0].imshow(np.clip(image.transpose(1, 2, 0), 0, 1))
    else:
        axes[0].imshow(image[0], cmap="gray")
    axes[0].set_title("input", fontsize="small")
    lo, hi = float(shown.min()), float(shown.max())
    if lo < 0:  # signed maps (before an activation): blue negative, red positive, white zero
        cmap, hi = "RdBu_r", max(abs(lo), abs(hi))
        lo = -hi
    else:
        cmap = "viridis"
    mappable = None
    for i, (ax, fmap) in enumerate(zip(axes[1:], shown)):
        mappable = ax.imshow(fmap, cmap=cmap, vmin=lo, vmax=hi if hi > lo else lo + 1e-12)
        ax.set_title(f"channel {i}", fontsize="small")
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    for ax in axes[panels:]:
        ax.set_visible(False)
    assert mappable is not None  # feature maps have at least one channel, so the loop drew one
    fig.colorbar(mappable, ax=axes.tolist(), shrink=0.8, label="activation")
    fig.suptitle(f"Feature maps of {name!r}: {len(shown)} of {len(maps)} channels, {maps.shape[1]}×{maps.shape[2]}")
    return fig
