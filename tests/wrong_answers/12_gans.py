"""Plausible wrong answers for 12_gans: each must lose exactly the points of the cells in `fails`."""

_LOSSES = '''
def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """Mean of -log sigmoid(real logits) plus mean of -log(1 - sigmoid(fake logits)), computed stably."""
    return {d}


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The non-saturating generator loss: mean of -log sigmoid(fake logits), computed stably."""
    return {g}
'''

_GOOD_D = "F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()"
_GOOD_G = "F.softplus(-fake_logits).mean()"

_D_STEP = '''
def discriminator_step(generator: nn.Module, discriminator: nn.Module, d_optimizer: torch.optim.Optimizer,
                       real: torch.Tensor, z: torch.Tensor) -> float:
    """One update of D (real -> 1, G(z) -> 0) with G's output detached; returns the loss before the step."""
    fakes = generator(z).detach()
    real_scores, fake_scores = discriminator(real), discriminator(fakes)
    loss = (F.binary_cross_entropy_with_logits(real_scores, torch.ones_like(real_scores))
            + F.binary_cross_entropy_with_logits(fake_scores, torch.zeros_like(fake_scores)))
    d_optimizer.zero_grad()
    loss.backward()
    d_optimizer.step()
    return loss.item()
'''

_G_STEP = '''
def generator_step(generator: nn.Module, discriminator: nn.Module, g_optimizer: torch.optim.Optimizer,
                   z: torch.Tensor) -> float:
    """One update of G with the non-saturating loss (D(G(z)) -> 1), through D; returns the loss before the step."""
    scores = discriminator(generator(z))
    loss = F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))
    g_optimizer.zero_grad()
    loss.backward()
    g_optimizer.step()
    return loss.item()
'''

_LOOP = '''
def train_gan(generator: nn.Module, discriminator: nn.Module, x: torch.Tensor, epochs: int = 8,
              batch_size: int = 64, lr: float = 1e-3, seed: int = 0) -> dict[str, list[float]]:
    """Alternate one D step and one G step (non-saturating) per mini-batch; per-epoch mean losses."""
    torch.manual_seed(seed)
    batch_order = torch.Generator().manual_seed(seed)
    adam_d = torch.optim.Adam(discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    adam_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=(0.5, 0.999))
    history = {"d_loss": [], "g_loss": []}
    for epoch in range(epochs):
        d_sum, g_sum, batches = 0.0, 0.0, torch.randperm(len(x), generator=batch_order).split(batch_size)
        for batch in batches:
            images = x[batch]
            drawn = generator(torch.randn(len(batch), generator.latent))
            on_real, on_drawn = discriminator(images), discriminator(drawn.detach())
            loss_d = (F.binary_cross_entropy_with_logits(on_real, torch.ones_like(on_real))
                      + F.binary_cross_entropy_with_logits(on_drawn, torch.zeros_like(on_drawn)))
            adam_d.zero_grad()
            loss_d.backward()
            adam_d.step()
            fooled = discriminator(drawn)
            loss_g = F.binary_cross_entropy_with_logits(fooled, torch.ones_like(fooled))
            adam_g.zero_grad()
            loss_g.backward()
            adam_g.step()
            d_sum, g_sum = d_sum + loss_d.item(), g_sum + loss_g.item()
        history["d_loss"].append(d_sum / len(batches))
        history["g_loss"].append(g_sum / len(batches))
    return history
'''


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new)


WRONG_ANSWERS = [
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="log(sigmoid) written literally: right for moderate logits, -inf / nan at logits of +-100 (hidden)",
        source=_LOSSES.format(
            d="-torch.log(torch.sigmoid(real_logits)).mean() - torch.log(1 - torch.sigmoid(fake_logits)).mean()",
            g="-torch.log(torch.sigmoid(fake_logits)).mean()"),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="the saturating generator loss log(1 - D(G(z))) instead of -log D(G(z))",
        source=_LOSSES.format(d=_GOOD_D, g="-F.softplus(fake_logits).mean()"),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="real and fake labels swapped in the discriminator loss",
        source=_LOSSES.format(d="F.softplus(real_logits).mean() + F.softplus(-fake_logits).mean()", g=_GOOD_G),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="one mean over the real and fake terms together: right only when both batches have the same size (hidden)",
        source=_LOSSES.format(d="torch.cat([F.softplus(-real_logits), F.softplus(fake_logits)]).mean() * 2",
                              g=_GOOD_G),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="clamps the probabilities to [1e-7, 1 - 1e-7] before the log: finite, but wrong at large logits (hidden)",
        source=_LOSSES.format(
            d="-torch.log(torch.sigmoid(real_logits).clamp(1e-7, 1 - 1e-7)).mean() "
              "- torch.log(1 - torch.sigmoid(fake_logits).clamp(1e-7, 1 - 1e-7)).mean()",
            g="-torch.log(torch.sigmoid(fake_logits).clamp(1e-7, 1 - 1e-7)).mean()"),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="shortcut: F.binary_cross_entropy_with_logits, which Part 1 forbids",
        source=_LOSSES.format(
            d="(F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))\n"
              "            + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))",
            g="F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))"),
    ),
    dict(
        cell="losses_answer",
        fails=["losses_tests"],
        why="shortcut: nn.BCEWithLogitsLoss, which Part 1 forbids",
        source=_LOSSES.format(
            d="(nn.BCEWithLogitsLoss()(real_logits, torch.ones_like(real_logits))\n"
              "            + nn.BCEWithLogitsLoss()(fake_logits, torch.zeros_like(fake_logits)))",
            g="nn.BCEWithLogitsLoss()(fake_logits, torch.ones_like(fake_logits))"),
    ),
    dict(
        cell="d_step_answer",
        fails=["d_step_tests"],
        why="forgets to detach the fakes: the backward pass leaves gradients in the generator",
        source=_replace(_D_STEP, "generator(z).detach()", "generator(z)"),
    ),
    dict(
        cell="d_step_answer",
        fails=["d_step_tests"],
        why="never clears the gradients: the old ones are added to the new",
        source=_replace(_D_STEP, "    d_optimizer.zero_grad()\n", ""),
    ),
    dict(
        cell="d_step_answer",
        fails=["d_step_tests"],
        why="real and fake targets swapped",
        source=_replace(_replace(_D_STEP, "torch.ones_like(real_scores)", "torch.zeros_like(real_scores)"),
                        "torch.zeros_like(fake_scores)", "torch.ones_like(fake_scores)"),
    ),
    dict(
        cell="d_step_answer",
        fails=["d_step_tests"],
        why="steps an optimiser of its own (Adam, lr 1e-3) instead of the d_optimizer it was given",
        source=_replace(_replace(_D_STEP, "    d_optimizer.zero_grad()\n",
                                 "    own = torch.optim.Adam(discriminator.parameters(), lr=1e-3)\n"
                                 "    own.zero_grad()\n"),
                        "    d_optimizer.step()\n", "    own.step()\n"),
    ),
    dict(
        cell="g_step_answer",
        fails=["g_step_tests"],
        why="the saturating loss: maximises D's loss on the fakes, -BCE(D(G(z)), 0)",
        source=_replace(_G_STEP, "F.binary_cross_entropy_with_logits(scores, torch.ones_like(scores))",
                        "-F.binary_cross_entropy_with_logits(scores, torch.zeros_like(scores))"),
    ),
    dict(
        cell="g_step_answer",
        fails=["g_step_tests"],
        why="never clears the generator's gradients",
        source=_replace(_G_STEP, "    g_optimizer.zero_grad()\n", ""),
    ),
    dict(
        cell="g_step_answer",
        fails=["g_step_tests"],
        why="detaches the fakes here too: no gradient reaches the generator",
        source=_replace(_G_STEP, "discriminator(generator(z))", "discriminator(generator(z).detach())\n"
                        "    scores = scores + 0 * sum(p.sum() for p in generator.parameters())"),
    ),
    dict(
        cell="g_step_answer",
        fails=["g_step_tests"],
        why="uses the fake target 0 for the generator: it helps the discriminator instead of fooling it",
        source=_replace(_G_STEP, "torch.ones_like(scores)", "torch.zeros_like(scores)"),
    ),
    dict(
        cell="train_gan_answer",
        fails=["trained_gan_tests"],
        why="clears the gradients between backward and step: neither network learns",
        source=_replace(_replace(_LOOP, "            adam_d.zero_grad()\n            loss_d.backward()\n",
                                 "            loss_d.backward()\n            adam_d.zero_grad()\n"),
                        "            adam_g.zero_grad()\n            loss_g.backward()\n",
                        "            loss_g.backward()\n            adam_g.zero_grad()\n"),
    ),
    dict(
        cell="train_gan_answer",
        fails=["trained_gan_tests"],
        why="steps the generator's optimiser after the discriminator's loss and the discriminator's after the "
            "generator's (the optimisers swapped)",
        source=_replace(_replace(_LOOP, "            adam_d.step()\n", "            adam_g.step()\n"),
                        "            adam_g.zero_grad()\n            loss_g.backward()\n            adam_g.step()\n",
                        "            adam_g.zero_grad()\n            loss_g.backward()\n            adam_d.step()\n"),
    ),
    dict(
        cell="train_gan_answer",
        fails=["trained_gan_tests"],
        why="cheat: sets the generator to output one training digit whatever z (a copy, and no diversity)",
        source='''
def train_gan(generator: nn.Module, discriminator: nn.Module, x: torch.Tensor, epochs: int = 8,
              batch_size: int = 64, lr: float = 1e-3, seed: int = 0) -> dict[str, list[float]]:
    """Makes the generator print a training image."""
    last = generator.net[-2]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.copy_(torch.logit(x[0].flatten().clamp(1e-3, 1 - 1e-3)))
    return {"d_loss": [1.0] * epochs, "g_loss": [1.0] * epochs}
''',
    ),
    dict(
        cell="train_gan_answer",
        fails=["trained_gan_tests"],
        why="shortcut: the library's course.train_gan",
        source='''
def train_gan(generator: nn.Module, discriminator: nn.Module, x: torch.Tensor, epochs: int = 8,
              batch_size: int = 64, lr: float = 1e-3, seed: int = 0) -> dict[str, list[float]]:
    """The library's loop."""
    history = course.train_gan(generator, discriminator, x, epochs=epochs, batch_size=batch_size, lr=lr, seed=seed)
    return {"d_loss": history["d_loss"], "g_loss": history["g_loss"]}
''',
    ),
    dict(
        cell="train_gan_answer",
        fails=["trained_gan_tests"],
        why="returns the sums of the batch losses instead of the per-epoch means (the GAN is fine; hidden test)",
        source=_replace(_replace(_LOOP, 'history["d_loss"].append(d_sum / len(batches))',
                                 'history["d_loss"].append(d_sum)'),
                        'history["g_loss"].append(g_sum / len(batches))', 'history["g_loss"].append(g_sum)'),
    ),
    dict(
        cell="d_step_answer",
        fails=["d_step_tests"],
        why="shortcut: one epoch of the library's course.train_gan on the batch instead of the step",
        source=_D_STEP + '''

_own_step = discriminator_step


def discriminator_step(generator, discriminator, d_optimizer, real, z):
    course.train_gan(generator, discriminator, real, epochs=1, batch_size=len(real))
    return _own_step(generator, discriminator, d_optimizer, real, z)
''',
    ),
    dict(
        cell="g_step_answer",
        fails=["g_step_tests"],
        why="shortcut: one epoch of the library's course.train_gan to move the generator",
        source=_G_STEP + '''

_own_step = generator_step


def generator_step(generator, discriminator, g_optimizer, z):
    course.train_gan(generator, discriminator, generator(z).detach(), epochs=1, batch_size=len(z))
    return _own_step(generator, discriminator, g_optimizer, z)
''',
    ),
]
