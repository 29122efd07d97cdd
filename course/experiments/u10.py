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


# ---------------------------------------------------------------------------------------------------------------
# The lecture's own models, repeated here so that tests/test_claims_u10.py can rerun them with the notebook's seeds.
# The notebook defines each of them in a cell of its own (the code a student reads and changes); keep the two in
# step: same layers in the same order, same loops, same seeds.
# ---------------------------------------------------------------------------------------------------------------


def split_validation(x: Tensor, y: Tensor, n_val: int = 1000, seed: int = 0) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """(x_fit, y_fit, x_val, y_val): a random n_val images held out of the training set for validation."""
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    fit, val = order[n_val:], order[:n_val]
    return x[fit], y[fit], x[val], y[val]


class DigitJudge(torch.nn.Module):
    """The lecture's judge: a small MLP classifier 784 -> 256 -> 10 that labels generated digits."""

    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Flatten(), torch.nn.Linear(784, 256), torch.nn.ReLU(), torch.nn.Linear(256, 10)
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x)


def train_judge(x: Tensor, y: Tensor, epochs: int = 5, seed: int = 0) -> DigitJudge:
    """Adam (lr 1e-3, batches of 64) on cross-entropy, plus outlier exposure: on uniform noise and on digits with
    their pixels shuffled (the same ink, no strokes) the judge is taught to answer 1/10 for every class, so that
    it is confident only about digit-like images. Returns the classifier in eval mode."""
    torch.manual_seed(seed)
    judge = DigitJudge()
    optimizer = torch.optim.Adam(judge.parameters(), lr=1e-3)
    order = torch.Generator().manual_seed(seed)
    outlier_noise = torch.Generator().manual_seed(seed)
    judge.train()
    for _ in range(epochs):
        for index in torch.randperm(len(x), generator=order).split(64):
            xb = x[index]
            shuffled = xb.flatten(1)[:, torch.randperm(784, generator=outlier_noise)].view_as(xb)
            outliers = torch.cat([shuffled, torch.rand(xb.shape, generator=outlier_noise)])
            loss = F.cross_entropy(judge(xb), y[index]) - F.log_softmax(judge(outliers), dim=1).mean()
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return judge.eval()


@torch.no_grad()
def judge_images(judge: torch.nn.Module, images: Tensor, threshold: float = 0.9) -> dict:
    """The judge's verdict on images in [0, 1]: labels, confidences, the fraction labelled with confidence above
    `threshold` and how many of those fall in each class."""
    probabilities = F.softmax(judge(images), dim=1)
    confidence, labels = probabilities.max(1)
    confident = confidence > threshold
    return {
        "labels": labels,
        "confidence": confidence,
        "confident": confident.float().mean().item(),
        "counts": torch.bincount(labels[confident], minlength=10).tolist(),
    }


class DCGANGenerator(torch.nn.Module):
    """A small DCGAN generator: z (N, latent) -> (2 width, 7, 7) -> transposed convolutions -> (N, 1, 28, 28) in
    [-1, 1] (tanh), with batch norm and ReLU after every layer but the last.

    Parameters
    ----------
    latent : int
        Size of the noise vector z.
    width : int
        Channels of the 14 x 14 layer (the 7 x 7 layer has twice as many).
    """

    def __init__(self, latent: int = 64, width: int = 16) -> None:
        super().__init__()
        self.latent, self.width = latent, width
        self.project = torch.nn.Sequential(
            torch.nn.Linear(latent, 2 * width * 49, bias=False), torch.nn.BatchNorm1d(2 * width * 49), torch.nn.ReLU()
        )
        self.net = torch.nn.Sequential(
            torch.nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1, bias=False),  # 7 -> 14
            torch.nn.BatchNorm2d(width),
            torch.nn.ReLU(),
            torch.nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1),  # 14 -> 28
            torch.nn.Tanh(),
        )

    def forward(self, z: Tensor) -> Tensor:
        return self.net(self.project(z).view(-1, 2 * self.width, 7, 7))


class DCGANDiscriminator(torch.nn.Module):
    """A small DCGAN discriminator: (N, 1, 28, 28) in [-1, 1] -> strided convolutions 28 -> 14 -> 7 (leaky ReLU,
    batch norm on the second) -> one logit per image, shape (N,).

    Parameters
    ----------
    width : int
        Channels of the 14 x 14 layer (the 7 x 7 layer has twice as many).
    """

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.net = torch.nn.Sequential(
            torch.nn.Conv2d(1, width, 4, stride=2, padding=1),  # 28 -> 14
            torch.nn.LeakyReLU(0.2),
            torch.nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False),  # 14 -> 7
            torch.nn.BatchNorm2d(2 * width),
            torch.nn.LeakyReLU(0.2),
            torch.nn.Flatten(),
            torch.nn.Linear(2 * width * 49, 1),
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.net(x).squeeze(1)


def train_dcgan(
    x: Tensor,
    epochs: int = 6,
    latent: int = 64,
    width: int = 16,
    lr_g: float = 2e-3,
    lr_d: float = 1e-3,
    real_label: float = 0.9,
    batch_size: int = 64,
    seed: int = 0,
) -> tuple[DCGANGenerator, DCGANDiscriminator, dict[str, list[float]]]:
    """The lecture's DCGAN loop: per batch one Adam step of D (real -> real_label, one-sided label smoothing;
    fake -> 0), then one of G (non-saturating loss), both with betas (0.5, 0.999).

    Parameters
    ----------
    x : Tensor
        Training images (N, 1, 28, 28) in [0, 1]; they are rescaled to [-1, 1], the generator's range.
    epochs, latent, width, batch_size, seed : int
        Passes over x, noise size, network width, mini-batch size and the seed of weights, noise and order.
    lr_g, lr_d : float
        Adam learning rates of the generator and of the discriminator.
    real_label : float
        D's target on real images (1.0: no smoothing).

    Returns
    -------
    tuple
        G and D in eval mode, and per-epoch means of d_loss, g_loss, d_real and d_fake (D's mean probability on
        real and on generated images).
    """
    torch.manual_seed(seed)
    generator, discriminator = DCGANGenerator(latent, width), DCGANDiscriminator(width)
    torch.manual_seed(seed)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr_g, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(discriminator.parameters(), lr=lr_d, betas=(0.5, 0.999))
    real_images = 2 * x - 1
    order = torch.Generator().manual_seed(seed)
    history: dict[str, list[float]] = {"d_loss": [], "g_loss": [], "d_real": [], "d_fake": []}
    for _ in range(epochs):
        generator.train()
        discriminator.train()
        sums = torch.zeros(4)
        for index in torch.randperm(len(x), generator=order).split(batch_size):
            real = real_images[index]
            n = len(real)
            fake = generator(torch.randn(n, latent))
            real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
            d_loss = F.binary_cross_entropy_with_logits(
                real_logits, torch.full((n,), real_label)
            ) + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros(n))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = F.binary_cross_entropy_with_logits(discriminator(fake), torch.ones(n))
            opt_g.zero_grad()
            g_loss.backward()
            opt_g.step()
            with torch.no_grad():
                d_real, d_fake = torch.sigmoid(real_logits).mean(), torch.sigmoid(fake_logits).mean()
            sums += torch.stack([d_loss.detach(), g_loss.detach(), d_real, d_fake]) * n
        for key, value in zip(history, (sums / len(x)).tolist()):
            history[key].append(value)
    return generator.eval(), discriminator.eval(), history


class CVAE(torch.nn.Module):
    """The lecture's conditional VAE: the one-hot label joins the image at the encoder and the code at the decoder."""

    def __init__(self, hidden: int = 256, latent: int = 2, classes: int = 10) -> None:
        super().__init__()
        self.latent, self.classes = latent, classes
        self.encoder = torch.nn.Sequential(torch.nn.Linear(784 + classes, hidden), torch.nn.ReLU())
        self.mu = torch.nn.Linear(hidden, latent)
        self.logvar = torch.nn.Linear(hidden, latent)
        self.decoder = torch.nn.Sequential(
            torch.nn.Linear(latent + classes, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 784)
        )

    def forward(self, x: Tensor, y: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        c = F.one_hot(y, self.classes).float()
        h = self.encoder(torch.cat([x.flatten(1), c], dim=1))
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        return self.decoder(torch.cat([z, c], dim=1)), mu, logvar

    @torch.no_grad()
    def draw(self, y: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """One image in [0, 1] of each requested digit y (N,), decoded from z ~ N(0, I)."""
        z = torch.randn(len(y), self.latent, generator=generator)
        c = F.one_hot(y, self.classes).float()
        return torch.sigmoid(self.decoder(torch.cat([z, c], dim=1))).view(-1, 1, 28, 28)


def train_cvae(x: Tensor, y: Tensor, epochs: int = 5, lr: float = 2e-3, batch_size: int = 64, seed: int = 0) -> CVAE:
    """Adam on the negative ELBO (summed BCE + KL, mean over the batch) of the conditional VAE."""
    torch.manual_seed(seed)
    model = CVAE()
    torch.manual_seed(seed)  # as the lecture's train_vae does: the same noise, whatever the model's size
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    order = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for index in torch.randperm(len(x), generator=order).split(batch_size):
            logits, mu, logvar = model(x[index], y[index])
            loss = vae_loss(logits, x[index], mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model.eval()
