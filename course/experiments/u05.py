"""Unit 5: the experiments behind the lecture on deep networks.

A two-spiral problem on which sigmoid networks stall and ReLU networks fit; the size of the
back-propagated error layer by layer; and deep multi-layer perceptrons with or without skip
connections, to compare a deep plain network with a shallow one and with a residual one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor, nn

from course._validate import check_int, check_positive_int
from course.models import MLP
from course.train import evaluate, fit
from course.viz import layer_gradients

# ---------------------------------------------------------------- data


def two_spirals(n: int = 400, turns: float = 1.25, noise: float = 0.05, seed: int = 0) -> tuple[Tensor, Tensor]:
    """Two interleaved spiral arms winding `turns` times around the origin (radius up to 2), labels 0 and 1."""
    check_int(n, "n", minimum=2)
    if not turns > 0 or not noise >= 0:
        raise ValueError(f"need turns > 0 and noise >= 0, got turns={turns!r}, noise={noise!r}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    r = rng.uniform(0.05, 1.0, n)
    angle = 2 * math.pi * turns * r + math.pi * y  # the second arm is the first one turned by 180 degrees
    X = 2 * (r[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1) + noise * rng.standard_normal((n, 2)))
    return torch.tensor(X, dtype=torch.float32), torch.tensor(y, dtype=torch.int64)


# ---------------------------------------------------------------- sigmoid versus ReLU

# name -> (activation, hidden widths); every variant has layers of 8 units.
ACTIVATION_VARIANTS: dict[str, tuple[str, tuple[int, ...]]] = {
    "sigmoid, 1 layer": ("sigmoid", (8,)),
    "sigmoid, 4 layers": ("sigmoid", (8, 8, 8, 8)),
    "ReLU, 3 layers": ("relu", (8, 8, 8)),
    "ReLU, 4 layers": ("relu", (8, 8, 8, 8)),
}
EPOCHS, BATCH_SIZE, LR = 100, 32, 0.01  # the same training for every variant: Adam, mini-batches of 32


@dataclass
class Trained:
    """A trained network with its final training loss and accuracy."""

    model: nn.Module
    loss: float
    accuracy: float


def make_mlp(activation: str, hidden: Sequence[int], seed: int = 0, batch_norm: bool = False) -> MLP:
    """An MLP for the two spirals (2 inputs, 2 classes), initial weights fixed by `seed` (PyTorch's default init)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(2, list(hidden), 2, activation=activation, batch_norm=batch_norm)


def train(model: nn.Module, x: Tensor, y: Tensor, seed: int = 0, epochs: int = EPOCHS) -> Trained:
    """Train with Adam (lr 0.01, batches of 32) and return the model with its final training loss and accuracy."""
    fit(model, (x, y), epochs=epochs, batch_size=BATCH_SIZE, lr=LR, metrics=(), seed=seed, progress=False)
    final = evaluate(model, (x, y))
    return Trained(model, final["loss"], final["accuracy"])


def compare_activations(seed: int = 0) -> dict[str, Trained]:
    """Train every ACTIVATION_VARIANTS network on two_spirals() with the same budget."""
    x, y = two_spirals()
    return {name: train(make_mlp(act, hidden, seed), x, y, seed) for name, (act, hidden) in ACTIVATION_VARIANTS.items()}


def mean_abs_gradients(model: nn.Module, x: Tensor, y: Tensor) -> dict[str, float]:
    """Mean |dLoss/d(output of each Linear layer)| over the batch, input to output: the back-propagated error."""
    return {name: float(g.abs().mean()) for name, g in layer_gradients(model, x, y).items()}


def first_to_last_hidden(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Mean |error| at the first hidden layer divided by that at the last hidden layer (1 = no vanishing)."""
    means = list(mean_abs_gradients(model, x, y).values())
    if len(means) < 3:
        raise ValueError("the model needs at least two hidden layers to compare the first with the last")
    return means[0] / means[-2]


# ---------------------------------------------------------------- depth with and without skip connections


class DeepMLP(nn.Module):
    """Linear+ReLU stem, `depth` blocks h -> ReLU(W h + b) of constant width, Linear head.

    With residual=True each block adds its input back: h -> h + ReLU(W h + b), a skip connection.
    """

    def __init__(self, in_features: int, width: int, depth: int, out_features: int, residual: bool = False) -> None:
        super().__init__()
        for value, name in ((in_features, "in_features"), (width, "width"), (out_features, "out_features")):
            check_positive_int(value, name)
        check_int(depth, "depth", minimum=0, meaning="the number of blocks")
        self.residual = residual
        self.stem = nn.Sequential(nn.Linear(in_features, width), nn.ReLU())
        self.blocks = nn.ModuleList(nn.Sequential(nn.Linear(width, width), nn.ReLU()) for _ in range(depth))
        self.head = nn.Linear(width, out_features)

    def forward(self, x: Tensor) -> Tensor:
        """Logits (N, out_features) for inputs (N, in_features)."""
        h = self.stem(x)
        for block in self.blocks:
            h = h + block(h) if self.residual else block(h)
        return self.head(h)


# name -> (blocks, residual); width 32 everywhere.
DEPTH_VARIANTS: dict[str, tuple[int, bool]] = {
    "shallow, 2 blocks": (2, False),
    "deep plain, 20 blocks": (20, False),
    "deep residual, 20 blocks": (20, True),
}
DEPTH_EPOCHS = 30


def make_deep(depth: int, residual: bool, seed: int = 0, width: int = 32) -> DeepMLP:
    """A DeepMLP for the two spirals with initial weights fixed by `seed`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return DeepMLP(2, width, depth, 2, residual=residual)


def compare_depth(seed: int = 0, epochs: int = DEPTH_EPOCHS) -> dict[str, Trained]:
    """Train the shallow, deep plain and deep residual networks on two_spirals() with the same budget."""
    x, y = two_spirals()
    return {
        name: train(make_deep(depth, residual, seed), x, y, seed, epochs)
        for name, (depth, residual) in DEPTH_VARIANTS.items()
    }
