"""Small helpers shared by the models: counting parameters, building activations, eval mode for a block."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import torch
import torch.nn as nn

Model = TypeVar("Model")

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
        f"Unknown activation {activation!r}. Use one of {sorted(ACTIVATIONS)} or an nn.Module class such as nn.ReLU."
    )


def randn(shape: tuple[int, ...], like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise with the device and dtype of `like` (a CPU generator works for any device)."""
    device = generator.device if generator is not None else like.device
    return torch.randn(shape, generator=generator, device=device, dtype=like.dtype).to(like.device)


@contextmanager
def eval_mode(model: Model) -> Iterator[Model]:
    """Put `model` in eval mode (dropout off, batch norm on its running statistics) for a `with` block.

    The mode it had (training or not) is restored afterwards, even if the block raises. Anything that is not
    an nn.Module (a plain function used as a model) passes through unchanged.
    """
    if not isinstance(model, nn.Module):
        yield model
        return
    was_training = model.training
    model.eval()
    try:
        yield model
    finally:
        model.train(was_training)
