"""A multi-layer perceptron: Linear layers with an activation in between."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn as nn

from course._validate import check_positive_int

from .utils import make_activation


class MLP(nn.Module):
    """Flatten, then Linear -> [BatchNorm] -> activation -> [Dropout] per hidden layer, then a Linear output."""

    def __init__(
        self,
        in_features: int,
        hidden: Sequence[int],
        out_features: int,
        activation: str | type[nn.Module] = "relu",
        batch_norm: bool = False,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        check_positive_int(in_features, "in_features")
        check_positive_int(out_features, "out_features")
        if isinstance(hidden, int):
            raise ValueError(f"hidden must be a sequence of layer widths, e.g. ({hidden},), not the int {hidden}.")
        for width in hidden:
            check_positive_int(width, "every hidden width")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout!r}.")
        make_activation(activation)  # fail early on an unknown name

        widths = [in_features, *hidden, out_features]
        layers: list[nn.Module] = [nn.Flatten()]
        self.linears: list[nn.Linear] = []
        for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
            linear = nn.Linear(n_in, n_out)
            self.linears.append(linear)
            layers.append(linear)
            if i == len(widths) - 2:
                break  # the output layer gives raw scores (logits)
            if batch_norm:
                layers.append(nn.BatchNorm1d(n_out))
            layers.append(make_activation(activation))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits of shape (N, out_features) for inputs of shape (N, ...) with in_features values each."""
        return self.net(x)
