"""A small fully connected GAN: generator, discriminator and the alternating training loop."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from course._validate import check_positive_int
from course.device import model_device, model_dtype

from .utils import randn


class Generator(nn.Module):
    """Noise z (N, latent) -> images (N, *out_shape) in [0, 1] through two hidden LeakyReLU layers."""

    def __init__(self, latent: int = 16, hidden: int = 256, out_shape: Sequence[int] = (1, 28, 28)) -> None:
        super().__init__()
        check_positive_int(latent, "latent")
        check_positive_int(hidden, "hidden")
        self.latent = latent
        self.out_shape = tuple(out_shape)
        self.net = nn.Sequential(
            nn.Linear(latent, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, math.prod(self.out_shape)),
            nn.Sigmoid(),  # same range as the data
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """Images (N, *out_shape) for noise z (N, latent)."""
        return self.net(z).view(z.shape[0], *self.out_shape)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images from z ~ N(0, I) (no gradients)."""
        check_positive_int(n, "n")
        return self(randn((n, self.latent), like=next(self.net.parameters()), generator=generator))


class Discriminator(nn.Module):
    """Images (N, *in_shape) -> one logit each (N,): large means 'looks real'."""

    def __init__(self, in_shape: Sequence[int] = (1, 28, 28), hidden: int = 256) -> None:
        super().__init__()
        check_positive_int(hidden, "hidden")
        self.in_shape = tuple(in_shape)
        self.net = nn.Sequential(
            nn.Flatten(),
            nn.Linear(math.prod(self.in_shape), hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, hidden),
            nn.LeakyReLU(0.2),
            nn.Linear(hidden, 1),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits (N,)."""
        return self.net(x).squeeze(1)


def train_gan(
    generator: Generator,
    discriminator: Discriminator,
    x: torch.Tensor,
    epochs: int = 5,
    batch_size: int = 128,
    lr: float = 2e-4,
    seed: int = 0,
    progress: bool = False,
) -> dict[str, list[float]]:
    """Alternate one discriminator and one generator Adam step per batch; per-epoch mean losses.

    Returns lists "d_loss", "g_loss" and the mean probabilities the discriminator gave
    to real ("d_real") and generated ("d_fake") images in each epoch.
    """
    if x.shape[1:] != discriminator.in_shape:
        raise ValueError(f"x must have shape (N, *{discriminator.in_shape}), got {tuple(x.shape)}.")
    if generator.out_shape != discriminator.in_shape:
        raise ValueError(
            f"generator makes {generator.out_shape} but the discriminator expects {discriminator.in_shape}."
        )
    check_positive_int(batch_size, "batch_size")
    torch.manual_seed(seed)
    device, dtype = model_device(generator), model_dtype(generator)
    x = x.to(device=device, dtype=dtype)
    discriminator.to(device)
    shuffle = torch.Generator().manual_seed(seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}

    from tqdm.auto import tqdm  # here, not at import: in a notebook it loads ipywidgets

    for _ in tqdm(range(epochs), desc="GAN epochs", disable=not progress, leave=False):
        totals = torch.zeros(4, device=device)
        for idx in torch.randperm(len(x), generator=shuffle).split(batch_size):
            real = x[idx.to(device)]
            z = torch.randn(len(real), generator.latent, device=device, dtype=dtype)
            fake = generator(z)
            ones, zeros = torch.ones_like(z[:, 0]), torch.zeros_like(z[:, 0])  # targets: real 1, fake 0

            # discriminator: real -> 1, fake -> 0 (fake detached: the generator is not updated here)
            d_real, d_fake = discriminator(real), discriminator(fake.detach())
            d_loss = F.binary_cross_entropy_with_logits(d_real, ones) + F.binary_cross_entropy_with_logits(
                d_fake, zeros
            )
            opt_d.zero_grad(set_to_none=True)
            d_loss.backward()
            opt_d.step()

            # generator: make the discriminator say 1 on fakes (the non-saturating loss)
            g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), ones)
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()

            stats = [d_loss, g_loss, torch.sigmoid(d_real).mean(), torch.sigmoid(d_fake).mean()]
            totals += torch.stack([s.detach() for s in stats]) * len(real)
        for key, value in zip(history, (totals / len(x)).tolist()):
            history[key].append(value)
    return history
