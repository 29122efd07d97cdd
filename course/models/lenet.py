"""LeNet-5: the modern textbook variant and the 1998 original (LeCun, Bottou, Bengio, Haffner)."""

from __future__ import annotations

from collections import OrderedDict
from typing import cast

import torch
import torch.nn as nn
import torch.nn.functional as F

from course._validate import check_positive_int


class NamedSequential(nn.Sequential):
    """nn.Sequential built from named layers; slicing (model[:3]) gives a plain nn.Sequential."""

    def __getitem__(self, idx: int | slice | str) -> nn.Module:
        """One layer by position or name, or a plain nn.Sequential for a slice."""
        if isinstance(idx, slice):
            return nn.Sequential(OrderedDict(list(self._modules.items())[idx]))
        if isinstance(idx, str):
            return self._modules[idx]
        return super().__getitem__(idx)


class LeNet5(NamedSequential):
    """Modern LeNet-5 for (N, 1, 28, 28) images: ReLU, max pooling, Linear output (61,706 parameters for 10 classes)."""

    def __init__(self, num_classes: int = 10) -> None:
        check_positive_int(num_classes, "num_classes")
        super().__init__(
            OrderedDict(
                [
                    ("c1", nn.Conv2d(1, 6, kernel_size=5, padding=2)),  # 6 x 28 x 28
                    ("relu1", nn.ReLU()),
                    ("s2", nn.MaxPool2d(2)),  # 6 x 14 x 14
                    ("c3", nn.Conv2d(6, 16, kernel_size=5)),  # 16 x 10 x 10
                    ("relu3", nn.ReLU()),
                    ("s4", nn.MaxPool2d(2)),  # 16 x 5 x 5
                    ("flatten", nn.Flatten()),  # 400
                    ("c5", nn.Linear(400, 120)),
                    ("relu5", nn.ReLU()),
                    ("f6", nn.Linear(120, 84)),
                    ("relu6", nn.ReLU()),
                    ("out", nn.Linear(84, num_classes)),  # logits
                ]
            )
        )


# ---------------------------------------------------------------------------
# The 1998 original. Its pieces differ from today's defaults:
#   * a scaled tanh squashing function after every layer up to F6,
#   * trainable subsampling (2x2 sum, times a coefficient, plus a bias, per map),
#   * C3 connects each of its 16 maps to only some of the 6 S2 maps (Table I),
#   * the output layer compares F6 with fixed +-1 codes (7x12 digit bitmaps).
# ---------------------------------------------------------------------------

# Table I of the paper: C3 map j takes its input from the S2 maps listed in C3_TABLE[j].
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (0, 4, 5),
    (0, 1, 5),  # 3 neighbouring maps
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (0, 3, 4, 5),
    (0, 1, 4, 5),
    (0, 1, 2, 5),  # 4 neighbours
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),  # 4 non-neighbouring maps
    (0, 1, 2, 3, 4, 5),  # all six
)

# Stylised 7x12 pictures of the digits ('#' = +1, '.' = -1): the fixed targets of the RBF output units.
# Drawn for this library in the spirit of the paper's output codes; not a copy of its exact bitmaps.
DIGIT_CODES = """
..###.. ...#... ..###.. .#####. .....#. ####### ..####. ####### ..###.. ..###..
.#...#. ..##... .#...#. #.....# ....##. #...... .#..... ......# .#...#. .#...#.
#.....# .#.#... #.....# ......# ...#.#. #...... #...... .....#. #.....# #.....#
#.....# ...#... ......# ......# ..#..#. #...... #...... .....#. #.....# #.....#
#.....# ...#... .....#. .....#. .#...#. ######. #.###.. ....#.. .#...#. #.....#
#.....# ...#... ....#.. ..###.. #....#. ......# ##...#. ....#.. ..###.. .#...##
#.....# ...#... ...#... .....#. ####### ......# #.....# ...#... .#...#. ..###.#
#.....# ...#... ..#.... ......# .....#. ......# #.....# ...#... #.....# ......#
#.....# ...#... .#..... ......# .....#. ......# #.....# ..#.... #.....# ......#
#.....# ...#... #...... ......# .....#. ......# #.....# ..#.... #.....# .....#.
.#...#. ...#... #...... #.....# .....#. #.....# .#...#. ..#.... .#...#. ....#..
..###.. .#####. ####### .#####. .....#. .#####. ..###.. ..#.... ..###.. .###...
"""


def digit_codes() -> torch.Tensor:
    """The ten fixed output codes as a (10, 84) float tensor of +-1 (row d = digit d, 12 rows of 7 pixels)."""
    rows = [line.split() for line in DIGIT_CODES.strip().splitlines()]
    codes = [[1.0 if ch == "#" else -1.0 for row in rows for ch in row[d]] for d in range(10)]
    return torch.tensor(codes)


def lecun_uniform_(weight: torch.Tensor, fan_in: int | torch.Tensor) -> torch.Tensor:
    """Fill `weight` in place from U(-a, a) with a = sqrt(3 / fan_in): standard deviation 1/sqrt(fan_in).

    This is the initialisation recommended for the scaled tanh in LeCun et al., "Efficient BackProp"
    (1998): unit-variance inputs give unit-variance weighted sums. (The LeNet-5 paper's appendix
    states U(-2.4/F, 2.4/F); with Adam the 1/sqrt(F) scale trains noticeably faster.)
    """
    bound = (3.0 / torch.as_tensor(fan_in, dtype=weight.dtype)).sqrt()
    with torch.no_grad():
        return weight.uniform_(-1.0, 1.0).mul_(bound)


class ScaledTanh(nn.Module):
    """The 1998 squashing function f(a) = 1.7159 tanh(2a/3), so that f(1) = 1 and f(-1) = -1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply 1.7159 * tanh(2x/3) elementwise."""
        return 1.7159 * torch.tanh(x * (2.0 / 3.0))


class Subsampling(nn.Module):
    """1998 subsampling: per map, (sum of each 2x2 block) * trainable coefficient + trainable bias."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 0.25))  # starts as a plain average
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Halve height and width of (N, C, H, W)."""
        block_sum = 4 * F.avg_pool2d(x, 2)
        return block_sum * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


class PartialConv2d(nn.Module):
    """Convolution in which output map j only sees the input maps in table[j] (the 1998 C3 layer)."""

    def __init__(self, in_channels: int, table: tuple[tuple[int, ...], ...], kernel_size: int = 5) -> None:
        super().__init__()
        out_channels = len(table)
        connected = torch.zeros(out_channels, in_channels, dtype=torch.bool)
        for j, inputs in enumerate(table):
            connected[j, list(inputs)] = True
        self.connected: torch.Tensor
        self.register_buffer("connected", connected)  # (out, in): Table I of the paper, transposed
        # One kernel per connection (an 'X' in the table); unconnected pairs have no weights at all.
        maps_in = connected.sum(1)  # number of input maps of each output map
        self.weight = nn.Parameter(torch.empty(int(maps_in.sum()), kernel_size, kernel_size))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        fan_in = maps_in.repeat_interleave(maps_in) * kernel_size**2  # of the output map each kernel feeds
        lecun_uniform_(self.weight, fan_in.view(-1, 1, 1))
        self.kernel_size = kernel_size

    def full_weight(self) -> torch.Tensor:
        """The (out, in, k, k) kernel tensor with zeros where the table has no connection."""
        k = self.kernel_size
        weight = torch.zeros(*self.connected.shape, k, k, device=self.weight.device, dtype=self.weight.dtype)
        weight[self.connected] = self.weight  # row by row: output map j, its input maps in order
        return weight

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Ordinary convolution with the zero-padded kernel tensor."""
        return F.conv2d(x, self.full_weight(), self.bias)


class EuclideanRBF(nn.Module):
    """Output units y_i = -||x - code_i||^2 with fixed codes (a buffer, not trained): larger = closer."""

    def __init__(self, codes: torch.Tensor) -> None:
        super().__init__()
        self.codes: torch.Tensor
        self.register_buffer("codes", codes.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Negative squared distances (N, num_codes), usable as logits."""
        return -(x.unsqueeze(1) - self.codes).pow(2).sum(dim=-1)


class LeNet5Classic(NamedSequential):
    """LeNet-5 as published in 1998 for (N, 1, 28, 28) images: 60,000 trainable parameters, RBF output."""

    def __init__(self) -> None:
        super().__init__(
            OrderedDict(
                [
                    ("c1", nn.Conv2d(1, 6, kernel_size=5, padding=2)),  # 6 x 28 x 28 (the paper pads 28 -> 32)
                    ("act1", ScaledTanh()),
                    ("s2", Subsampling(6)),  # 6 x 14 x 14
                    ("act2", ScaledTanh()),
                    ("c3", PartialConv2d(6, C3_TABLE, kernel_size=5)),  # 16 x 10 x 10
                    ("act3", ScaledTanh()),
                    ("s4", Subsampling(16)),  # 16 x 5 x 5
                    ("act4", ScaledTanh()),
                    ("c5", nn.Conv2d(16, 120, kernel_size=5)),  # 120 x 1 x 1
                    ("act5", ScaledTanh()),
                    ("flatten", nn.Flatten()),
                    ("f6", nn.Linear(120, 84)),
                    ("act6", ScaledTanh()),
                    ("out", EuclideanRBF(digit_codes())),  # 10 "logits" = -squared distances
                ]
            )
        )
        layers = cast("list[nn.Conv2d | nn.Linear]", [self.c1, self.c5, self.f6])
        for layer in layers:  # C3 initialises itself (its fan-in varies per map)
            lecun_uniform_(layer.weight, layer.weight[0].numel())
            assert layer.bias is not None  # all three are built with a bias
            nn.init.zeros_(layer.bias)

    def layer_parameter_counts(self) -> dict[str, int]:
        """Trainable parameters per layer, named as in the paper (C1, S2, C3, S4, C5, F6, OUTPUT)."""
        names = {"c1": "C1", "s2": "S2", "c3": "C3", "s4": "S4", "c5": "C5", "f6": "F6", "out": "OUTPUT"}
        return {
            paper: sum(p.numel() for p in getattr(self, attr).parameters() if p.requires_grad)
            for attr, paper in names.items()
        }
