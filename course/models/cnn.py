"""A small all-3x3 CNN whose blocks can be plain or residual, to compare deep plain and residual nets."""

from __future__ import annotations

import torch
import torch.nn as nn

from course._validate import check_int, check_positive_int


class ConvBlock(nn.Module):
    """F(x) = conv-BN-ReLU-conv-BN at constant width; output relu(F(x)) or, if residual, relu(x + F(x))."""

    def __init__(self, width: int, residual: bool = False, batch_norm: bool = True) -> None:
        super().__init__()
        self.residual = residual
        self.conv1 = nn.Conv2d(width, width, 3, padding=1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(width) if batch_norm else nn.Identity()
        self.relu1 = nn.ReLU()
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(width) if batch_norm else nn.Identity()
        self.relu2 = nn.ReLU()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Same shape in and out: (N, width, H, W)."""
        f = self.bn2(self.conv2(self.relu1(self.bn1(self.conv1(x)))))
        return self.relu2(x + f if self.residual else f)


class SmallCNN(nn.Module):
    """Stem (3x3 conv + 2x2 max pool), `depth` ConvBlocks, global average pooling, Linear head."""

    def __init__(
        self,
        depth: int = 4,
        width: int = 16,
        residual: bool = False,
        num_classes: int = 10,
        in_channels: int = 1,
        batch_norm: bool = True,
    ) -> None:
        super().__init__()
        check_int(depth, "depth", minimum=0, meaning="the number of blocks")
        for value, name in ((width, "width"), (num_classes, "num_classes"), (in_channels, "in_channels")):
            check_positive_int(value, name)
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, width, 3, padding=1, bias=not batch_norm),
            nn.BatchNorm2d(width) if batch_norm else nn.Identity(),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28x28 -> 14x14 keeps deep variants cheap on a CPU
        )
        self.blocks = nn.Sequential(*[ConvBlock(width, residual, batch_norm) for _ in range(depth)])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N, num_classes) for images (N, in_channels, H, W)."""
        x = self.blocks(self.stem(x))
        return self.head(self.pool(x).flatten(1))
