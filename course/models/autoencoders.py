"""Autoencoders: dense, linear (the PCA baseline) and convolutional with transposed convolutions."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from course._validate import check_positive_int

from .utils import make_activation


class _FlatAutoencoder(nn.Module):
    """What the dense and the linear autoencoder share: a flat code, a flat reconstruction reshaped like the input."""

    encoder: nn.Module
    decoder: nn.Module

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Codes (N, code) of inputs (N, ...)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Flat reconstructions (N, in_features) of codes (N, code)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction with the same shape as `x`."""
        return self.decode(self.encode(x)).view_as(x)


class DenseAutoencoder(_FlatAutoencoder):
    """Flattened input -> hidden layers -> `code` units -> mirrored hidden layers -> reconstruction."""

    def __init__(
        self,
        in_features: int = 784,
        hidden: Sequence[int] = (256,),
        code: int = 32,
        activation: str | type[nn.Module] = "relu",
        out_activation: str | None = "sigmoid",
    ) -> None:
        super().__init__()
        check_positive_int(in_features, "in_features")
        check_positive_int(code, "code")
        for width in hidden:
            check_positive_int(width, "every hidden width")
        make_activation(activation)
        if out_activation is not None:
            make_activation(out_activation)
        widths = [in_features, *hidden, code]

        def stack(sizes: list[int]) -> list[nn.Module]:
            layers: list[nn.Module] = []
            for n_in, n_out in zip(sizes[:-1], sizes[1:]):
                layers += [nn.Linear(n_in, n_out), make_activation(activation)]
            return layers[:-1]  # no activation on the code / the output scores

        self.in_features = in_features
        self.encoder = nn.Sequential(nn.Flatten(), *stack(widths))
        out = [make_activation(out_activation)] if out_activation is not None else []
        self.decoder = nn.Sequential(*stack(widths[::-1]), *out)


class LinearAutoencoder(_FlatAutoencoder):
    """One Linear encoder and one Linear decoder, no activations: it can learn PCA's subspace."""

    def __init__(self, in_features: int = 784, code: int = 32) -> None:
        super().__init__()
        check_positive_int(in_features, "in_features")
        check_positive_int(code, "code")
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(in_features, code))
        self.decoder = nn.Linear(code, in_features)


class ConvAutoencoder(nn.Module):
    """Strided 3x3 convs down to a (code_channels, H/2^k, W/2^k) code, transposed convs back up, sigmoid out."""

    def __init__(self, channels: Sequence[int] = (16, 32), code_channels: int = 8) -> None:
        super().__init__()
        if len(channels) == 0:
            raise ValueError("channels must list at least one width, e.g. (16, 32).")
        for c in channels:
            check_positive_int(c, "every entry of channels")
        check_positive_int(code_channels, "code_channels")
        self.factor = 2 ** len(channels)  # each stage halves height and width
        widths = [1, *channels]

        down: list[nn.Module] = []
        for c_in, c_out in zip(widths[:-1], widths[1:]):
            down += [nn.Conv2d(c_in, c_out, 3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*down, nn.Conv2d(widths[-1], code_channels, 3, padding=1))

        up: list[nn.Module] = [nn.Conv2d(code_channels, widths[-1], 3, padding=1), nn.ReLU()]
        for c_in, c_out in zip(widths[:0:-1], widths[-2::-1]):
            # kernel 3, stride 2, padding 1, output_padding 1 exactly doubles height and width
            up += [nn.ConvTranspose2d(c_in, c_out, 3, stride=2, padding=1, output_padding=1), nn.ReLU()]
        up[-1] = nn.Sigmoid()  # pixel values in [0, 1]
        self.decoder = nn.Sequential(*up)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Code maps (N, code_channels, H/2^k, W/2^k) of images (N, 1, H, W)."""
        if x.dim() != 4 or x.shape[1] != 1 or x.shape[2] % self.factor or x.shape[3] % self.factor:
            raise ValueError(
                f"ConvAutoencoder expects images (N, 1, H, W) with H and W divisible by {self.factor}, "
                f"got shape {tuple(x.shape)}."
            )
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Images (N, 1, H, W) in [0, 1] from code maps."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction with the same shape as `x`."""
        return self.decode(self.encode(x))
