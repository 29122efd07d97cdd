"""Unit 8: small-scale versions of the ImageNet-era architecture experiments.

* `AblationCNN`: three conv stages and a fully connected head, from which conv layers or the hidden
  fully connected layers can be removed (an AlexNet-style ablation on Fashion-MNIST);
* `InceptionBlock`: parallel 1x1 / 3x3 / 5x5 / pooling branches, concatenated along channels;
* `DeepCNN`: a stem and `depth` blocks of two 3x3 convolutions with batch norm, plain or residual (the lecture's
  plain-versus-residual comparison; the lecture defines the same network in a cell);
* helpers to train a model a few epochs and to run a small grid search on a validation split.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Sequence
from typing import cast

import torch
import torch.nn as nn
from matplotlib.figure import Figure

from course._validate import check_int
from course.data.batches import Batches
from course.models import count_parameters
from course.train import History, evaluate, fit
from course.viz import CourseFigure

Tensor = torch.Tensor


class AblationCNN(nn.Sequential):
    """Three stages (3x3 conv + ReLU, 2x2 max-pool) then fully connected layers; parts can be switched off.

    conv_layers: how many of the three stages keep their convolution (the pooling always stays, and the first
    stage always has one, so every variant ends in `width` maps of 3x3 and the head sees the same 9 * width inputs).
    fc_layers: number of hidden fully connected layers of `fc_width` units before the linear output.
    batch_norm: normalise each convolution's output (Unit 5), which makes these nets train in a few epochs.
    """

    def __init__(
        self,
        conv_layers: int = 3,
        fc_layers: int = 2,
        width: int = 16,
        fc_width: int = 256,
        num_classes: int = 10,
        batch_norm: bool = True,
    ) -> None:
        if conv_layers not in (1, 2, 3):
            raise ValueError(f"conv_layers must be 1, 2 or 3, got {conv_layers!r}")
        check_int(fc_layers, "fc_layers", minimum=0)
        layers: list[nn.Module] = []
        for stage in range(3):  # 28 -> 14 -> 7 -> 3
            if stage < conv_layers:
                layers.append(nn.Conv2d(1 if stage == 0 else width, width, 3, padding=1))
                layers += [nn.BatchNorm2d(width), nn.ReLU()] if batch_norm else [nn.ReLU()]
            layers.append(nn.MaxPool2d(2))
        layers.append(nn.Flatten())
        features = 9 * width
        for _ in range(fc_layers):
            layers += [nn.Linear(features, fc_width), nn.ReLU()]
            features = fc_width
        layers.append(nn.Linear(features, num_classes))
        super().__init__(*layers)

    def parameter_split(self) -> dict[str, int]:
        """Trainable parameters in the convolutional part and in the fully connected part."""
        conv = sum(count_parameters(m) for m in self if isinstance(m, (nn.Conv2d, nn.BatchNorm2d)))
        return {"conv": conv, "fc": count_parameters(self) - conv}


ABLATIONS: dict[str, dict[str, int]] = {
    "full": {"conv_layers": 3, "fc_layers": 2},
    "minus FC layers": {"conv_layers": 3, "fc_layers": 0},
    "minus conv layers": {"conv_layers": 1, "fc_layers": 2},
}


def train_and_test(
    make_model: Callable[[], nn.Module],
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    epochs: int = 3,
    seed: int = 0,
    lr: float = 2e-3,
    batch_size: int = 64,
    track: bool = False,
    device: torch.device | str | None = None,
) -> tuple[nn.Module, History, float]:
    """Build a model with `make_model` under `seed`, train it with Adam, return it, its history and test accuracy.

    track=True also evaluates on `test` after every epoch (history["val_accuracy"]); that costs time.
    """
    torch.manual_seed(seed)
    model = make_model().to(device or "cpu")
    batches = Batches(*train, batch_size=batch_size, shuffle=True, seed=seed, device=device)
    history = fit(model, batches, test if track else None, epochs=epochs, lr=lr, seed=seed, progress=False)
    return model, history, evaluate(model, test)["accuracy"]


def ablation(
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    epochs: int = 3,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> dict[str, dict[str, float]]:
    """Train the three ABLATIONS variants; per variant: parameters (total, conv, fc) and test accuracy."""
    results = {}
    for name, options in ABLATIONS.items():
        model, _, acc = train_and_test(
            functools.partial(AblationCNN, conv_layers=options["conv_layers"], fc_layers=options["fc_layers"]),
            train,
            test,
            epochs=epochs,
            seed=seed,
            device=device,
        )
        split = cast(AblationCNN, model).parameter_split()
        results[name] = {"parameters": count_parameters(model), **split, "accuracy": acc}
    return results


class ResidualBlock(nn.Module):
    """Post-activation block (He et al. 2015): relu(F(x) + x), or relu(F(x)) when plain; F = conv-BN-ReLU-conv-BN."""

    def __init__(self, width: int, residual: bool = True) -> None:
        super().__init__()
        self.residual = residual
        self.f = nn.Sequential(
            nn.Conv2d(width, width, 3, padding=1),
            nn.BatchNorm2d(width),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=1),
            nn.BatchNorm2d(width),
        )

    def forward(self, x: Tensor) -> Tensor:
        """Same shape in and out: (N, width, H, W)."""
        f = self.f(x)
        return torch.relu(f + x if self.residual else f)


class DeepCNN(nn.Sequential):
    """Stem (3x3 conv, ReLU, 2x2 max pool), `depth` blocks, global average pooling and a linear head.

    With depth 12 it has 2 * 12 + 2 = 26 weight layers; `residual` switches the skip connections on or off
    (the parameters are the same either way).
    """

    def __init__(self, depth: int = 12, width: int = 8, residual: bool = True, num_classes: int = 10) -> None:
        check_int(depth, "depth", minimum=0)
        super().__init__(
            nn.Conv2d(1, width, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            *[ResidualBlock(width, residual) for _ in range(depth)],
            nn.AdaptiveAvgPool2d(1),
            nn.Flatten(),
            nn.Linear(width, num_classes),
        )


def plain_vs_residual(
    train: tuple[Tensor, Tensor],
    test: tuple[Tensor, Tensor],
    depth: int = 12,
    width: int = 8,
    epochs: int = 3,
    seed: int = 0,
    batch_size: int = 64,
    device: torch.device | str | None = None,
) -> dict[str, tuple[History, float]]:
    """Train DeepCNN(depth, width) with plain and with residual blocks, same seed; (history, test accuracy) of each."""
    results = {}
    for name, residual in (("plain", False), ("residual", True)):
        _, history, acc = train_and_test(
            functools.partial(DeepCNN, depth=depth, width=width, residual=residual),
            train,
            test,
            epochs=epochs,
            seed=seed,
            batch_size=batch_size,
            device=device,
        )
        results[name] = (history, acc)
    return results


def draw_parameters(conv_layers: int = 3, fc_layers: int = 2, width: int = 16, fc_width: int = 256) -> Figure:
    """Bar chart of the trainable parameters of each layer of an AblationCNN (convolutional vs fully connected)."""
    model = AblationCNN(conv_layers=conv_layers, fc_layers=fc_layers, width=width, fc_width=fc_width)
    names, counts, colours = [], [], []
    conv_index = fc_index = 0
    last_linear = [m for m in model if isinstance(m, nn.Linear)][-1]
    for module in model:
        if isinstance(module, nn.Conv2d):
            conv_index += 1
            names.append(f"conv{conv_index}")
            counts.append(count_parameters(module))
            colours.append("C0")
        elif isinstance(module, nn.BatchNorm2d):
            counts[-1] += count_parameters(module)  # batch norm's scale and shift belong to its convolution
        elif isinstance(module, nn.Linear):
            fc_index += 1
            names.append("output" if module is last_linear else f"fc{fc_index}")
            counts.append(count_parameters(module))
            colours.append("C1")
    split = model.parameter_split()
    fig = CourseFigure(figsize=(7, 3.4), layout="constrained")
    ax = fig.subplots()
    bars = ax.bar(names, counts, color=colours)
    ax.bar_label(bars, labels=[f"{c:,}" for c in counts], fontsize="small")
    ax.set_yscale("log")
    ax.set_ylim(1, max(counts) * 5)
    ax.set_ylabel("trainable parameters (log scale)")
    ax.set_xlabel("layer (blue: convolutional, orange: fully connected)")
    ax.set_title(
        f"{count_parameters(model):,} parameters: {split['conv']:,} convolutional, {split['fc']:,} fully connected"
    )
    return fig


class InceptionBlock(nn.Module):
    """GoogLeNet-style block: 1x1, 1x1->3x3, 1x1->5x5 and 3x3-max-pool->1x1 branches, concatenated.

    Every branch keeps the height and width, so their outputs can be stacked along the channel axis;
    the 1x1 convolutions first shrink the channels ("reduce") so the 3x3 and 5x5 kernels stay cheap.
    """

    def __init__(
        self, in_channels: int, c1: int, c3_reduce: int, c3: int, c5_reduce: int, c5: int, pool_proj: int
    ) -> None:
        super().__init__()
        self.branch1 = nn.Sequential(nn.Conv2d(in_channels, c1, 1), nn.ReLU())
        self.branch3 = nn.Sequential(
            nn.Conv2d(in_channels, c3_reduce, 1), nn.ReLU(), nn.Conv2d(c3_reduce, c3, 3, padding=1), nn.ReLU()
        )
        self.branch5 = nn.Sequential(
            nn.Conv2d(in_channels, c5_reduce, 1), nn.ReLU(), nn.Conv2d(c5_reduce, c5, 5, padding=2), nn.ReLU()
        )
        self.branch_pool = nn.Sequential(
            nn.MaxPool2d(3, stride=1, padding=1), nn.Conv2d(in_channels, pool_proj, 1), nn.ReLU()
        )
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x: Tensor) -> Tensor:
        """(N, in_channels, H, W) -> (N, c1 + c3 + c5 + pool_proj, H, W)."""
        branches = (self.branch1, self.branch3, self.branch5, self.branch_pool)
        return torch.cat([branch(x) for branch in branches], dim=1)


def split_train_val(
    x: Tensor, y: Tensor, n_val: int, seed: int = 0
) -> tuple[tuple[Tensor, Tensor], tuple[Tensor, Tensor]]:
    """A random split of (x, y) into a training part and `n_val` validation examples."""
    if not 0 < n_val < len(x):
        raise ValueError(f"n_val must be between 1 and {len(x) - 1}, got {n_val}")
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    val, fit_part = order[:n_val], order[n_val:]
    return (x[fit_part], y[fit_part]), (x[val], y[val])


def grid_search(
    make_model: Callable[..., nn.Module],
    grid: dict[str, Sequence],
    train: tuple[Tensor, Tensor],
    val: tuple[Tensor, Tensor],
    epochs: int = 2,
    seed: int = 0,
    device: torch.device | str | None = None,
) -> list[dict]:
    """Train make_model(**setting) for every combination in `grid`; one row per setting, best validation accuracy first.

    Each row holds the setting, "parameters", "val_accuracy" and the trained "model".
    """
    rows = []
    for values in itertools.product(*grid.values()):
        setting = dict(zip(grid, values))
        model, _, acc = train_and_test(
            functools.partial(make_model, **setting), train, val, epochs=epochs, seed=seed, device=device
        )
        rows.append({**setting, "parameters": count_parameters(model), "val_accuracy": acc, "model": model})
    return sorted(rows, key=lambda row: -row["val_accuracy"])
