"""Small helpers shared by the models: counting parameters, building activations."""

from __future__ import annotations

import torch
import torch.nn as nn

ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "leaky_relu": nn.LeakyReLU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of scalar parameters of `model` (only those with requires_grad by default)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"count_parameters expects an nn.Module, got {type(model).__name__}.")
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


def make_activation(activation: str | type[nn.Module]) -> nn.Module:
    """A fresh activation module from a name in ACTIVATIONS or an nn.Module class."""
    if isinstance(activation, type) and issubclass(activation, nn.Module):
        return activation()
    if isinstance(activation, str) and activation.lower() in ACTIVATIONS:
        return ACTIVATIONS[activation.lower()]()
    raise ValueError(
        f"Unknown activation {activation!r}. Use one of {sorted(ACTIVATIONS)} "
        "or an nn.Module class such as nn.ReLU."
    )


def check_positive_int(value: object, name: str) -> int:
    """Return `value` if it is a positive int, else raise a ValueError naming `name`."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    return value


def randn(shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise with the device and dtype of `like` (a CPU generator works for any device)."""
    device = generator.device if generator is not None else like.device
    return torch.randn(shape, generator=generator, device=device, dtype=like.dtype).to(like.device)
