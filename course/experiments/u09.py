"""Unit 9: autoencoders -- PCA versus a linear autoencoder, the 8-3-8 network, regularised overcomplete codes.

Small functions behind lectures/09_autoencoders.ipynb; the notebook and tests/test_claims_u09.py call the
same code with the same seeds.
"""

from __future__ import annotations

import functools
import operator
from typing import cast

import torch
import torch.nn as nn
import torch.nn.functional as F

from course.models import MLP, DenseAutoencoder, LinearAutoencoder
from course.train import History, fit

Tensor = torch.Tensor

# ---------------------------------------------------------------- PCA and the linear autoencoder


def pca(x: Tensor, k: int) -> tuple[Tensor, Tensor, Tensor]:
    """Mean (D,), top-k principal directions (D, k) with orthonormal columns, and their variances (k,).

    Of x (N, ...), flattened per sample.
    """
    flat = x.reshape(len(x), -1).double()
    if not 1 <= k <= min(flat.shape):
        raise ValueError(f"k must be between 1 and {min(flat.shape)}, got {k}")
    mean = flat.mean(0)
    _, singular_values, vh = torch.linalg.svd(flat - mean, full_matrices=False)
    variances = singular_values[:k] ** 2 / (len(flat) - 1)
    return mean.to(x.dtype), vh[:k].T.to(x.dtype), variances.to(x.dtype)


def pca_reconstruct(x: Tensor, mean: Tensor, directions: Tensor) -> Tensor:
    """Project x onto the affine subspace mean + span(directions): the best rank-k reconstruction."""
    flat = x.reshape(len(x), -1) - mean
    return (flat @ directions @ directions.T + mean).view_as(x)


def principal_angles(a: Tensor, b: Tensor) -> Tensor:
    """Angles in degrees (ascending) between the column spaces of a (D, k) and b (D, m).

    The columns need not be orthogonal.
    """
    qa, _ = torch.linalg.qr(a.double())
    qb, _ = torch.linalg.qr(b.double())
    cosines = torch.linalg.svdvals(qa.T @ qb).clamp(max=1.0)
    return torch.rad2deg(torch.acos(cosines))


def subspace_overlap(directions: Tensor, basis: Tensor) -> Tensor:
    """For each unit column of `directions` (D, k): its squared projection length onto span(basis), in [0, 1].

    `basis` is (D, m).
    """
    q, _ = torch.linalg.qr(basis.double())
    return (directions.double().T @ q).pow(2).sum(1)


def train_linear_autoencoder(
    x: Tensor, code: int = 16, epochs: int = 10, lr: float = 3e-3, batch_size: int = 128, seed: int = 0
) -> tuple[LinearAutoencoder, History]:
    """A LinearAutoencoder trained with Adam on the mean squared error, initial weights fixed by `seed`."""
    torch.manual_seed(seed)
    model = LinearAutoencoder(x[0].numel(), code)
    history = fit(
        model,
        (x, x),
        epochs=epochs,
        batch_size=batch_size,
        lr=lr,
        loss_fn=F.mse_loss,
        metrics=(),
        seed=seed,
        progress=False,
    )
    return model, history


# ---------------------------------------------------------------- Mitchell's 8-3-8 network


def train_838(seed: int = 0, steps: int = 1000, lr: float = 0.1) -> tuple[MLP, list[float]]:
    """8 one-hot inputs -> 3 sigmoid units -> 8 outputs, full-batch Adam on the softmax cross-entropy."""
    x, target = torch.eye(8), torch.arange(8)
    torch.manual_seed(seed)
    net = MLP(8, [3], 8, activation="sigmoid")
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = F.cross_entropy(net(x), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return net, losses


@torch.no_grad()
def hidden_code(net: MLP, x: Tensor) -> Tensor:
    """Values of the first hidden layer (after its activation) of an MLP for inputs x."""
    return net.net[2](net.linears[0](x))  # net.net = Flatten, Linear, activation, Linear


# ---------------------------------------------------------------- overcomplete codes and their regularisers


def shrink(x: Tensor) -> Tensor:
    """Halve the resolution of images (N, 1, 28, 28) -> (N, 1, 14, 14) by averaging 2x2 blocks."""
    return F.avg_pool2d(x, 2)


class SigmoidAutoencoder(nn.Module):
    """One sigmoid code layer h = sigma(W x + b) and a sigmoid decoder: the classic shallow autoencoder."""

    def __init__(self, in_features: int = 196, code: int = 400) -> None:
        super().__init__()
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(in_features, code), nn.Sigmoid())
        self.decoder = nn.Sequential(nn.Linear(code, in_features), nn.Sigmoid())

    def encode(self, x: Tensor) -> Tensor:
        """Codes (N, code) in (0, 1)."""
        return self.encoder(x)

    def decode(self, h: Tensor) -> Tensor:
        """Flat reconstructions (N, in_features) in (0, 1)."""
        return self.decoder(h)

    def forward(self, x: Tensor) -> Tensor:
        """Reconstruction shaped like x."""
        return self.decode(self.encode(x)).view_as(x)


def contractive_penalty(model: SigmoidAutoencoder, h: Tensor) -> Tensor:
    """||dh/dx||_F^2 per input: for h = sigma(Wx + b) it is sum_j (h_j (1 - h_j))^2 ||W_j||^2; shape (N,)."""
    weight = cast(nn.Linear, model.encoder[1]).weight  # (code, in_features)
    return (h * (1 - h)).pow(2) @ weight.pow(2).sum(1)


def sparsity_penalty(h: Tensor, rho: float = 0.05) -> Tensor:
    """sum_j KL(rho || rho_hat_j), rho_hat_j = mean activation of unit j over the batch."""
    if not 0 < rho < 1:
        raise ValueError(f"the target rate rho must lie strictly between 0 and 1, got {rho}")
    rho_hat = h.mean(0).clamp(1e-6, 1 - 1e-6)
    return (rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))).sum()


def add_noise(x: Tensor, std: float, generator: torch.Generator | None = None) -> Tensor:
    """Corrupted copy x~ = clip(x + std * eps, 0, 1) with eps ~ N(0, I)."""
    eps = torch.randn(x.shape, generator=generator, dtype=x.dtype).to(x.device)
    return (x + std * eps).clamp(0, 1)


def train_regularised(
    model: SigmoidAutoencoder,
    x: Tensor,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 3e-3,
    seed: int = 0,
    contractive: float = 0.0,
    sparsity: float = 0.0,
    rho: float = 0.05,
    noise: float = 0.0,
) -> list[float]:
    """Adam on squared error per image (+ contractive * ||J||^2 + sparsity * KL); noise > 0 trains a denoiser.

    Returns the mean training loss of each epoch.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for index in torch.randperm(len(x), generator=generator).split(batch_size):
            clean = x[index]
            corrupted = add_noise(clean, noise, generator) if noise > 0 else clean
            h = model.encode(corrupted)
            loss = (model.decode(h) - clean.flatten(1)).pow(2).sum(1).mean()
            if contractive:
                loss = loss + contractive * contractive_penalty(model, h).mean()
            if sparsity:
                loss = loss + sparsity * sparsity_penalty(h, rho)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / len(x))
    return losses


# ---------------------------------------------------------------- the contractive code on a curve


def noisy_circle(n: int = 1000, noise: float = 0.05, seed: int = 0) -> Tensor:
    """n points (n, 2) near the unit circle: angle uniform, plus Gaussian noise of standard deviation `noise`."""
    generator = torch.Generator().manual_seed(seed)
    theta = 2 * torch.pi * torch.rand(n, generator=generator)
    return torch.stack([theta.cos(), theta.sin()], 1) + noise * torch.randn(n, 2, generator=generator)


class TiedSigmoidAutoencoder(SigmoidAutoencoder):
    """h = sigma(W x + b) and a linear decoder with the transposed weights, x_hat = W^T h + c (Rifai et al.).

    Tied weights stop the decoder from undoing a small encoder, so the contractive penalty cannot be dodged.
    """

    def __init__(self, in_features: int = 2, code: int = 8) -> None:
        super().__init__(in_features, code)
        del self.decoder
        self.bias = nn.Parameter(torch.zeros(in_features))

    def decode(self, h: Tensor) -> Tensor:
        """Flat reconstructions W^T h + c, (N, in_features)."""
        return h @ cast(nn.Linear, self.encoder[1]).weight + self.bias


@torch.no_grad()
def tangent_alignment(model: SigmoidAutoencoder, points: int = 200) -> dict[str, float]:
    """How the encoder's Jacobian sits against the unit circle, at `points` evenly spaced points of it.

    Returns the mean |cos| between the Jacobian's top right singular vector and the circle's tangent
    (`cos`), the mean ratio of its two singular values (`ratio`, 1 = equally sensitive in every direction) and
    the mean of ||J t|| / ||J n|| for the unit tangent t and normal n (`tangent_over_normal`).
    """
    theta = torch.linspace(0, 2 * torch.pi, points + 1)[:-1]
    normal = torch.stack([theta.cos(), theta.sin()], 1)
    tangent = torch.stack([-theta.sin(), theta.cos()], 1)
    h = model.encode(normal)  # the points of the circle are its unit normals
    jacobian = (h * (1 - h)).unsqueeze(2) * cast(nn.Linear, model.encoder[1]).weight  # (points, code, 2)
    _, singular, vh = torch.linalg.svd(jacobian)
    along = (jacobian @ tangent.unsqueeze(2)).norm(dim=(1, 2))
    across = (jacobian @ normal.unsqueeze(2)).norm(dim=(1, 2))
    return {
        "cos": (vh[:, 0] * tangent).sum(1).abs().mean().item(),
        "ratio": (singular[:, 1] / singular[:, 0]).mean().item(),
        "tangent_over_normal": (along / across).mean().item(),
    }


# ---------------------------------------------------------------- a miniature "face swap"


def thicken(x: Tensor) -> Tensor:
    """Bolder strokes: each pixel becomes the maximum of its 3x3 neighbourhood (grey-scale dilation)."""
    return F.max_pool2d(x, 3, stride=1, padding=1)


class SwapAutoencoder(nn.Module):
    """One shared encoder and one decoder per style: encode with the shared part, decode in any style."""

    def __init__(self, styles: int = 2, hidden: int = 256, code: int = 32) -> None:
        super().__init__()
        parts = [DenseAutoencoder(784, (hidden,), code) for _ in range(styles)]
        self.encoder = parts[0].encoder
        self.decoders = nn.ModuleList(part.decoder for part in parts)

    def forward(self, x: Tensor, style: int) -> Tensor:
        """x encoded by the shared encoder and decoded by decoder `style`, shaped like x."""
        return self.decoders[style](self.encoder(x)).view_as(x)


def train_swap(
    model: SwapAutoencoder, styles: list[Tensor], epochs: int = 3, batch_size: int = 64, lr: float = 3e-3, seed: int = 0
) -> list[float]:
    """Each step: one batch of every style, each reconstructed through its own decoder.

    The loss is the sum of the styles' binary cross-entropies.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n = min(len(s) for s in styles)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for index in torch.randperm(n, generator=generator).split(batch_size):
            terms = [F.binary_cross_entropy(model(s[index], k), s[index]) for k, s in enumerate(styles)]
            loss = functools.reduce(operator.add, terms)  # as sum() did, without its leading 0
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(index)
        losses.append(total / n)
    return losses


def mse(a: Tensor, b: Tensor) -> float:
    """Mean squared difference of two tensors of the same shape, as a float."""
    return F.mse_loss(a, b).item()
