"""Plausible wrong answers for 10_autoencoders: each must lose exactly the points of the cells in `fails`."""

_REPARAM_HEAD = '''
def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A sample z = mu + exp(logvar / 2) * eps, eps ~ N(0, I), through which gradients reach mu and logvar."""
'''

_LOSS_HEAD = '''
def vae_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float = 1.0) -> torch.Tensor:
    """Negative ELBO per image (summed BCE-with-logits + beta * KL to N(0, I)), averaged over the batch."""
    n = x.shape[0]
'''

_KL = "    kl = 0.5 * (mu ** 2 + logvar.exp() - 1 - logvar).sum(dim=1)\n"

_FIT = '''
def train_vae(model: nn.Module, x: torch.Tensor, epochs: int = 8, batch_size: int = 64, lr: float = 2e-3,
              seed: int = 0) -> list[float]:
    """Train a VAE on images x with Adam on shuffled mini-batches; return the mean training loss of each epoch."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(seed)
    model.train()
    epoch_losses = []
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total = 0.0
        for start in range(0, len(x), batch_size):
            xb = x[order[start: start + batch_size]]
            logits, mu, logvar = model(xb)
            loss = course.vae_loss(logits, xb, mu, logvar)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * len(xb)
        epoch_losses.append(total / len(x))
    return epoch_losses
'''

_SPARSE_HEAD = '''
def sparsity_penalty(h: torch.Tensor, rho: float) -> torch.Tensor:
    """Sum over hidden units of KL(rho || rho_hat_j), rho_hat_j = mean activation of unit j over the batch."""
'''


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    dict(
        cell="reparameterize_answer",
        fails=["reparameterize_tests"],
        why="uses exp(logvar) as the standard deviation (that is the variance)",
        source=_REPARAM_HEAD + '''    eps = torch.randn(mu.shape, generator=generator)
    return mu + torch.exp(logvar) * eps
''',
    ),
    dict(
        cell="reparameterize_answer",
        fails=["reparameterize_tests"],
        why="samples with torch.normal(mu, std): right distribution, but no gradient reaches mu and logvar",
        source=_REPARAM_HEAD + '''    return torch.normal(mu, torch.exp(0.5 * logvar), generator=generator)
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="averages the BCE over pixels (the default reduction) instead of summing it per image",
        source=_LOSS_HEAD + '''    reconstruction = F.binary_cross_entropy_with_logits(logits.reshape(n, -1), x.reshape(n, -1))
''' + _KL + '''    return reconstruction + beta * kl.mean()
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="sign error in the KL term: + 1 + logvar instead of - 1 - logvar",
        source=_LOSS_HEAD + '''    reconstruction = F.binary_cross_entropy_with_logits(
        logits.reshape(n, -1), x.reshape(n, -1), reduction="none").sum(dim=1)
    kl = 0.5 * (mu ** 2 + logvar.exp() + 1 + logvar).sum(dim=1)
    return (reconstruction + beta * kl).mean()
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="sigmoid then binary_cross_entropy: fine for moderate logits, wrong for large ones (clamped log; hidden)",
        source=_LOSS_HEAD + '''    reconstruction = F.binary_cross_entropy(
        torch.sigmoid(logits.reshape(n, -1)), x.reshape(n, -1), reduction="none").sum(dim=1)
''' + _KL + '''    return (reconstruction + beta * kl).mean()
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="sums over the batch instead of taking the mean",
        source=_LOSS_HEAD + '''    reconstruction = F.binary_cross_entropy_with_logits(
        logits.reshape(n, -1), x.reshape(n, -1), reduction="none").sum(dim=1)
''' + _KL + '''    return (reconstruction + beta * kl).sum()
''',
    ),
    dict(
        cell="train_vae_answer",
        fails=["trained_vae_tests"],
        why="clears the gradients between backward and step, so the VAE never learns",
        source=_replace(_FIT, "            optimizer.zero_grad()\n            loss.backward()\n",
                        "            loss.backward()\n            optimizer.zero_grad()\n"),
    ),
    dict(
        cell="train_vae_answer",
        fails=["trained_vae_tests"],
        why="returns the sum of the batch losses instead of the per-epoch mean (the VAE is fine; hidden test)",
        source=_replace(_replace(_FIT, "total += loss.item() * len(xb)", "total += loss.item()"),
                        "epoch_losses.append(total / len(x))", "epoch_losses.append(total)"),
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="the KL divergence the wrong way round, KL(rho_hat || rho)",
        source=_SPARSE_HEAD + '''    rho_hat = h.mean(dim=0)
    return (rho_hat * torch.log(rho_hat / rho) + (1 - rho_hat) * torch.log((1 - rho_hat) / (1 - rho))).sum()
''',
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="applies the KL to every single activation instead of to each unit's mean over the batch",
        source=_SPARSE_HEAD + '''    return (rho * torch.log(rho / h) + (1 - rho) * torch.log((1 - rho) / (1 - h))).sum()
''',
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="keeps only the rho log(rho / rho_hat) half of the Bernoulli KL",
        source=_SPARSE_HEAD + '''    rho_hat = h.mean(dim=0)
    return (rho * torch.log(rho / rho_hat)).sum()
''',
    ),
]

# Shortcuts: correct answers that use what a part forbids. The tests trace the calls each answer makes, so every
# one of these loses its part, with a message that names the forbidden call.
WRONG_ANSWERS += [
    dict(
        cell="reparameterize_answer",
        fails=["reparameterize_tests"],
        why="shortcut: the library's course.VAE.reparameterize, called as a plain function",
        source=_REPARAM_HEAD + '''    return course.VAE.reparameterize(None, mu, logvar, generator)
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="shortcut: the library's course.vae_loss",
        source=_LOSS_HEAD + '''    return course.vae_loss(logits, x, mu, logvar, beta=beta)
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="shortcut: torch.distributions (Bernoulli.log_prob and kl_divergence), which the part rules out",
        source="from torch.distributions import Bernoulli, Normal, kl_divergence\n" + _LOSS_HEAD + '''    log_px = Bernoulli(logits=logits.reshape(n, -1), validate_args=False).log_prob(x.reshape(n, -1)).sum(dim=1)
    kl = kl_divergence(Normal(mu, torch.exp(0.5 * logvar)), Normal(torch.zeros_like(mu), torch.ones_like(mu)))
    return (beta * kl.sum(dim=1) - log_px).mean()
''',
    ),
    dict(
        cell="vae_loss_answer",
        fails=["vae_loss_tests"],
        why="shortcut: calls reference_vae_loss, the reference that the old visible test cell left in the namespace",
        source=_LOSS_HEAD + '''    return reference_vae_loss(logits, x, mu, logvar, beta)
''',
    ),
    dict(
        cell="train_vae_answer",
        fails=["trained_vae_tests"],
        why="shortcut: course.fit with the VAE loss as its loss function",
        source='''
def train_vae(model: nn.Module, x: torch.Tensor, epochs: int = 8, batch_size: int = 64, lr: float = 2e-3,
              seed: int = 0) -> list[float]:
    """The library's training loop, on (x, x) with the VAE loss."""
    history = course.fit(model, (x, x), epochs=epochs, batch_size=batch_size, lr=lr, seed=seed, metrics=(),
                         loss_fn=lambda out, target: course.vae_loss(out[0], target, out[1], out[2]),
                         progress=False)
    return history["train_loss"]
''',
    ),
    dict(
        cell="train_vae_answer",
        fails=["trained_vae_tests"],
        why="shortcut: the lecture's course.experiments.u10.train_vae, imported under another name",
        source='''
from course.experiments.u10 import train_vae as _lecture_train_vae


def train_vae(model: nn.Module, x: torch.Tensor, epochs: int = 8, batch_size: int = 64, lr: float = 2e-3,
              seed: int = 0) -> list[float]:
    """The lecture's training loop; its "train_loss" is the mean loss of each epoch."""
    return _lecture_train_vae(model, x, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)["train_loss"]
''',
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="shortcut: the lecture's course.experiments.u09.sparsity_penalty, through an alias captured when the "
            "cell runs",
        source="from course.experiments import u09\n\n_lecture_penalty = u09.sparsity_penalty\n" + _SPARSE_HEAD + '''    return _lecture_penalty(h, rho)
''',
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="shortcut: F.kl_div on the two outcomes of each Bernoulli instead of the formula",
        source=_SPARSE_HEAD + '''    rho_hat = h.mean(dim=0)
    target = torch.full_like(rho_hat, rho)
    return (F.kl_div(torch.log(rho_hat), target, reduction="sum")
            + F.kl_div(torch.log(1 - rho_hat), 1 - target, reduction="sum"))
''',
    ),
    dict(
        cell="sparsity_answer",
        fails=["sparsity_tests"],
        why="shortcut: calls reference_sparsity, the reference that the old visible test cell left in the namespace",
        source=_SPARSE_HEAD + '''    return reference_sparsity(h, rho)
''',
    ),
]
