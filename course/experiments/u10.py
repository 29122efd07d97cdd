"""Unit 10: generative models -- training a VAE, walking its latent space, sampling by class.

Small functions behind lectures/10_generative_models.ipynb; the notebook and tests/test_claims_u10.py call
the same code with the same seeds.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from course.device import model_device
from course.models import VAE, gaussian_kl, vae_loss
from course.viz import CourseFigure

Tensor = torch.Tensor


@torch.no_grad()
def vae_terms(model: VAE, x: Tensor, generator: torch.Generator | None = None) -> dict[str, float]:
    """Mean per-image reconstruction term (summed BCE), KL term and their sum (the loss) of a VAE on x."""
    x = x.to(model_device(model))
    mu, logvar = model.encode(x)
    logits = model.decode(model.reparameterize(mu, logvar, generator))
    reconstruction = F.binary_cross_entropy_with_logits(logits, x.flatten(1), reduction="none").sum(1).mean()
    kl = gaussian_kl(mu, logvar).mean()
    return {"loss": float(reconstruction + kl), "reconstruction": float(reconstruction), "kl": float(kl)}


def train_vae(
    model: VAE,
    x: Tensor,
    epochs: int = 5,
    batch_size: int = 64,
    lr: float = 2e-3,
    beta: float = 1.0,
    seed: int = 0,
    val: Tensor | None = None,
) -> dict[str, list[float]]:
    """Adam on vae_loss (reconstruction + beta * KL); per-epoch training means and, with `val`, validation terms.

    Keys: train_loss, train_reconstruction, train_kl (and val_loss, val_reconstruction, val_kl); "loss" is always
    reconstruction + KL, the negative ELBO, whatever beta. The data are moved to the model's device.
    """
    x = x.to(model_device(model))
    torch.manual_seed(seed)
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    history: dict[str, list[float]] = {}
    for _ in range(epochs):
        sums = torch.zeros(2, device=x.device)
        for index in torch.randperm(len(x), generator=order).to(x.device).split(batch_size):
            xb = x[index]
            logits, mu, logvar = model(xb)
            loss = vae_loss(logits, xb, mu, logvar, beta=beta)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            kl = gaussian_kl(mu, logvar).mean().detach()
            sums += torch.stack([loss.detach() - beta * kl, kl]) * len(index)
        reconstruction, kl = (sums / len(x)).tolist()
        for key, value in (("loss", reconstruction + kl), ("reconstruction", reconstruction), ("kl", kl)):
            history.setdefault(f"train_{key}", []).append(value)
        if val is not None:
            noise = torch.Generator(device=x.device).manual_seed(seed)  # the same noise for every evaluation
            for key, value in vae_terms(model, val, noise).items():
                history.setdefault(f"val_{key}", []).append(value)
    return history


@torch.no_grad()
def decode_grid(model: VAE, z: Tensor) -> Tensor:
    """Images in [0, 1], shape (rows, cols, 28, 28), decoded from a grid of 2-D codes z (rows, cols, 2)."""
    rows, cols, _ = z.shape
    return torch.sigmoid(model.decode(z.reshape(-1, z.shape[-1]))).view(rows, cols, 28, 28)


def latent_grid(n: int = 15, limit: float = 2.5) -> Tensor:
    """An n x n grid of 2-D codes from -limit to limit: z1 grows to the right, z2 upwards; shape (n, n, 2)."""
    values = torch.linspace(-limit, limit, n)
    z2, z1 = torch.meshgrid(values.flip(0), values, indexing="ij")
    return torch.stack([z1, z2], dim=-1)


def show_mosaic(
    images: Tensor,
    title: str,
    extent: tuple[float, float, float, float] | None = None,
    xlabel: str = "",
    ylabel: str = "",
    row_labels: list[str] | None = None,
) -> Figure:
    """One picture of a (rows, cols, H, W) array of images, optionally with axes in latent units (extent)."""
    rows, cols, height, width = images.shape
    mosaic = images.permute(0, 2, 1, 3).reshape(rows * height, cols * width).cpu().numpy()
    fig = CourseFigure(figsize=(0.4 * cols + 1.2, 0.4 * rows + 0.8), layout="constrained")
    ax = fig.subplots()
    ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, extent=extent)
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    if extent is None:
        ax.set_xticks([])
        ax.set_yticks([(r + 0.5) * height for r in range(rows)] if row_labels else [])
        if row_labels:
            ax.set_yticklabels(row_labels)
    return fig


def class_gaussians(codes: Tensor, labels: Tensor) -> dict[int, tuple[Tensor, Tensor]]:
    """Mean and covariance of the 2-D codes of each class: a Gaussian 'region' per class in latent space."""
    return {int(c): (codes[labels == c].mean(0), torch.cov(codes[labels == c].T)) for c in labels.unique()}


def sample_from_region(mean: Tensor, covariance: Tensor, n: int, generator: torch.Generator | None = None) -> Tensor:
    """n codes drawn from N(mean, covariance) (via its Cholesky factor)."""
    eps = torch.randn(n, len(mean), generator=generator)
    return mean + eps @ torch.linalg.cholesky(covariance).T
