"""A variational autoencoder with a Gaussian encoder and a Bernoulli (sigmoid) decoder."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from course._validate import check_positive_int

from .utils import randn


class VAE(nn.Module):
    """Encoder x -> (mu, logvar) of q(z|x); decoder z -> pixel logits of p(x|z); prior p(z) = N(0, I)."""

    def __init__(self, in_features: int = 784, hidden: int = 400, latent: int = 2) -> None:
        super().__init__()
        for value, name in ((in_features, "in_features"), (hidden, "hidden"), (latent, "latent")):
            check_positive_int(value, name)
        self.latent = latent
        # sample() returns images when the input is a 28x28 picture, flat vectors otherwise
        self.out_shape = (1, 28, 28) if in_features == 784 else (in_features,)
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(in_features, hidden), nn.ReLU())
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.decoder = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, in_features))

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean and log-variance (each (N, latent)) of the Gaussian q(z|x)."""
        h = self.encoder(x)
        return self.mu(h), self.logvar(h)

    def reparameterize(
        self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None
    ) -> torch.Tensor:
        """z = mu + sigma * eps with eps ~ N(0, I): random, yet differentiable in mu and logvar."""
        eps = randn(mu.shape, like=mu, generator=generator)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Pixel logits (N, in_features); sigmoid of them gives Bernoulli means in [0, 1]."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(logits shaped like x, mu, logvar) for one sampled z per input."""
        mu, logvar = self.encode(x)
        logits = self.decode(self.reparameterize(mu, logvar))
        return logits.view_as(x), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n new images in [0, 1], shape (n, 1, 28, 28) (or (n, in_features)), decoded from z ~ N(0, I)."""
        check_positive_int(n, "n")
        z = randn((n, self.latent), like=self.mu.weight, generator=generator)
        return torch.sigmoid(self.decode(z)).view(n, *self.out_shape)


def vae_loss(
    logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0
) -> torch.Tensor:
    """Negative ELBO: per image, summed BCE-with-logits + beta * KL(q(z|x) || N(0, I)); mean over the batch."""
    if logits.shape[0] != x.shape[0] or logits[0].numel() != x[0].numel():
        raise ValueError(
            f"logits {tuple(logits.shape)} and x {tuple(x.shape)} must hold the same number of images and pixels."
        )
    if mu.shape != logvar.shape or mu.shape[0] != x.shape[0]:
        raise ValueError(f"mu {tuple(mu.shape)} and logvar {tuple(logvar.shape)} must both be (N, latent).")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}.")
    target = x.reshape(x.shape[0], -1).to(logits.dtype)
    reconstruction = F.binary_cross_entropy_with_logits(logits.reshape(x.shape[0], -1), target, reduction="none").sum(
        dim=1
    )
    return (reconstruction + beta * gaussian_kl(mu, logvar)).mean()


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) per input, shape (N,), for q = N(mu, exp(logvar)) with a diagonal covariance.

    The closed form 0.5 * sum_j (mu_j^2 + sigma_j^2 - 1 - log sigma_j^2): the VAE's regulariser.
    """
    return 0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar).sum(dim=1)
