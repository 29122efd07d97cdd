"""Look inside a network during one pass: layer outputs, back-propagated errors, dead units.

Every helper registers forward hooks on the chosen layer types, runs the model once and
removes the hooks again in a `finally` block, so the model is left exactly as it was
(buffers such as BatchNorm running statistics are restored too; parameters' `.grad` are
never touched). Layers are reported in the order the forward pass calls them, from input
to output, and named after their type and position: "Linear 1", "Linear 2", "ReLU 1", ...
A module that is called twice appears twice. Functional calls (torch.relu, F.linear) are
invisible to hooks: use nn.Module layers for what you want to see.
"""

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course.device import model_device

ACTIVATIONS: tuple[type[nn.Module], ...] = (
    nn.ReLU,
    nn.ReLU6,
    nn.LeakyReLU,
    nn.PReLU,
    nn.ELU,
    nn.SELU,
    nn.CELU,
    nn.GELU,
    nn.SiLU,
    nn.Mish,
    nn.Sigmoid,
    nn.Tanh,
    nn.Hardtanh,
    nn.Softplus,
    nn.Hardsigmoid,
    nn.Hardswish,
    nn.Softsign,
)
RELU_LIKE: tuple[type[nn.Module], ...] = (nn.ReLU, nn.ReLU6)
WEIGHT_LAYERS: tuple[type[nn.Module], ...] = (nn.Linear, nn.Conv2d)


def _layer_types(layers) -> tuple[type[nn.Module], ...]:
    """Normalise a layer type or a sequence of types to a tuple, checking each is an nn.Module class."""
    layers = (layers,) if isinstance(layers, type) else tuple(layers)
    if not layers or not all(isinstance(t, type) and issubclass(t, nn.Module) for t in layers):
        raise TypeError(f"layers must be nn.Module classes such as (nn.Linear, nn.Conv2d), got {layers!r}")
    return layers


@contextmanager
def _recording(model: nn.Module, layers, on_output: Callable[[str, nn.Module, object], None]) -> Iterator[None]:
    """Call on_output(name, module, output) for every call of a selected layer; hooks always removed."""
    types = _layer_types(layers)
    counts: Counter = Counter()

    def hook(module: nn.Module, inputs, output) -> None:
        kind = type(module).__name__
        counts[kind] += 1
        on_output(f"{kind} {counts[kind]}", module, output)

    handles = []
    try:
        for module in model.modules():
            if isinstance(module, types):
                handles.append(module.register_forward_hook(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()


@contextmanager
def _buffers_kept(model: nn.Module) -> Iterator[None]:
    """Restore every buffer (e.g. BatchNorm running statistics) after the block."""
    saved = [(buffer, buffer.detach().clone()) for buffer in model.buffers()]
    try:
        yield
    finally:
        with torch.no_grad():
            for buffer, value in saved:
                buffer.copy_(value)


def _no_layers_error(layers) -> ValueError:
    names = ", ".join(t.__name__ for t in _layer_types(layers))
    return ValueError(
        f"the model called no layer of type {names} during the forward pass; "
        "pass layers=(...) with the module types it uses (functional calls such as torch.relu cannot be hooked)"
    )


def _backward(model: nn.Module, x: Tensor, y: Tensor, loss_fn, layers) -> tuple[dict, dict]:
    """One forward/backward pass; returns (gradients w.r.t. layer outputs, gradients w.r.t. layer weights)."""
    loss_fn = loss_fn if loss_fn is not None else F.cross_entropy
    output_grads: dict[str, Tensor | None] = {}
    weights: dict[str, Tensor] = {}
    seen: set[int] = set()

    def capture(name: str, module: nn.Module, output) -> None:
        weight = getattr(module, "weight", None)
        if isinstance(weight, Tensor) and weight.requires_grad and id(module) not in seen:
            seen.add(id(module))
            weights[name] = weight
        if isinstance(output, Tensor) and output.requires_grad:
            output_grads[name] = None  # keeps the call order
            # A tensor hook sees the gradient of this exact output, even if a later
            # in-place operation (ReLU(inplace=True)) overwrites the tensor.
            output.register_hook(lambda grad, name=name: output_grads.__setitem__(name, grad.detach().clone()))

    device = model_device(model)  # the inputs follow the weights
    x, y = x.to(device), (y.to(device) if isinstance(y, Tensor) else y)
    with _buffers_kept(model), _recording(model, layers, capture):
        leaf = x.detach().requires_grad_(True) if x.is_floating_point() else x
        loss = loss_fn(model(leaf), y)
        if loss.ndim != 0:
            raise ValueError(f"loss_fn must return a single number (a scalar tensor), got shape {tuple(loss.shape)}")
        params = [p for p in model.parameters() if p.requires_grad]
        inputs = params + ([leaf] if leaf.requires_grad else [])
        if not inputs:
            raise ValueError(
                "nothing requires a gradient: the model has no trainable parameters and x is not floating point"
            )
        grads = torch.autograd.grad(loss, inputs, allow_unused=True)
    by_param = {id(p): g for p, g in zip(params, grads)}
    weight_grads = {name: by_param[id(w)] for name, w in weights.items() if by_param.get(id(w)) is not None}
    return {k: v for k, v in output_grads.items() if v is not None}, weight_grads


def layer_gradients(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable | None = None, layers=WEIGHT_LAYERS
) -> dict[str, Tensor]:
    """Gradient of the loss w.r.t. each selected layer's output (the back-propagated error), input to output."""
    grads, _ = _backward(model, x, y, loss_fn, layers)
    if not grads:
        raise _no_layers_error(layers)
    return grads


def weight_gradients(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable | None = None, layers=WEIGHT_LAYERS
) -> dict[str, Tensor]:
    """Gradient of the loss w.r.t. each selected layer's weight, input to output (parameters' .grad untouched)."""
    _, grads = _backward(model, x, y, loss_fn, layers)
    if not grads:
        raise _no_layers_error(layers)
    return grads


@torch.no_grad()
def layer_activations(model: nn.Module, x: Tensor, layers=ACTIVATIONS) -> dict[str, Tensor]:
    """Output of each selected layer (activation functions by default) for the batch x, input to output."""
    acts: dict[str, Tensor] = {}

    def capture(name: str, module: nn.Module, output) -> None:
        if isinstance(output, Tensor):
            acts[name] = output.detach().clone()

    with _buffers_kept(model), _recording(model, layers, capture):
        model(x.to(model_device(model)))
    if not acts:
        raise _no_layers_error(layers)
    return acts


def dead_unit_masks(model: nn.Module, x: Tensor, layers=RELU_LIKE) -> dict[str, Tensor]:
    """Boolean mask per ReLU-like layer: True for units (dim 1: neurons or channels) that are 0 for every input."""
    masks = {}
    for name, act in layer_activations(model, x, layers).items():
        if act.ndim < 2:
            raise ValueError(f"{name} output has shape {tuple(act.shape)}; expected a batch (N, units, ...)")
        zero = (act == 0).transpose(0, 1).reshape(act.shape[1], -1)
        masks[name] = zero.all(dim=1)
    return masks


def dead_units(model: nn.Module, x: Tensor, layers=RELU_LIKE) -> dict[str, int]:
    """Number of units of each ReLU-like layer that output exactly zero for every input in x."""
    return {name: int(mask.sum()) for name, mask in dead_unit_masks(model, x, layers).items()}
