"""Tests for the VAE (reparameterisation, loss) and the GAN."""

import math

import pytest
import torch
import torch.nn.functional as F

from course.models import VAE, Discriminator, Generator, count_parameters, train_gan, vae_loss


pytestmark = pytest.mark.usefixtures("seed_and_one_thread")


def test_vae_shapes():
    model = VAE(hidden=32, latent=2)
    x = torch.rand(5, 1, 28, 28)
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (5, 2)
    logits, mu, logvar = model(x)
    assert logits.shape == x.shape and mu.shape == (5, 2)
    assert model.decode(torch.zeros(3, 2)).shape == (3, 784)
    assert count_parameters(model) == (784 * 32 + 32) + 2 * (32 * 2 + 2) + (2 * 32 + 32) + (32 * 784 + 784)


def test_vae_sample_is_images_in_unit_range_and_reproducible():
    model = VAE(hidden=16, latent=3)
    a = model.sample(4, generator=torch.Generator().manual_seed(1))
    b = model.sample(4, generator=torch.Generator().manual_seed(1))
    assert a.shape == (4, 1, 28, 28) and 0 <= a.min() and a.max() <= 1
    assert not a.requires_grad
    torch.testing.assert_close(a, b)
    assert VAE(in_features=10, hidden=8).sample(2).shape == (2, 10)


def test_reparameterize_is_mu_plus_sigma_eps_and_gives_gradients():
    model = VAE(hidden=8, latent=3)
    mu = torch.randn(4, 3, requires_grad=True)
    logvar = torch.randn(4, 3, requires_grad=True)
    z = model.reparameterize(mu, logvar, generator=torch.Generator().manual_seed(7))
    eps = torch.randn(4, 3, generator=torch.Generator().manual_seed(7))
    torch.testing.assert_close(z, mu + torch.exp(0.5 * logvar) * eps)
    z.sum().backward()
    torch.testing.assert_close(mu.grad, torch.ones(4, 3))
    torch.testing.assert_close(logvar.grad, 0.5 * torch.exp(0.5 * logvar.detach()) * eps)


def test_reparameterize_follows_dtype_of_mu():
    model = VAE(hidden=8, latent=2)
    mu = torch.zeros(2, 2, dtype=torch.float64)
    assert model.reparameterize(mu, mu).dtype == torch.float64


def test_vae_loss_equals_hand_computation():
    logits = torch.tensor([[0.5, -1.0, 2.0], [0.0, 1.0, -0.5]])
    x = torch.tensor([[1.0, 0.0, 1.0], [0.2, 0.9, 0.0]])
    mu = torch.tensor([[0.3, -0.2], [1.0, 0.0]])
    logvar = torch.tensor([[0.1, -0.4], [0.0, 0.5]])
    total = 0.0
    for i in range(2):
        bce = 0.0
        for l, t in zip(logits[i].tolist(), x[i].tolist()):
            p = 1 / (1 + math.exp(-l))
            bce -= t * math.log(p) + (1 - t) * math.log(1 - p)
        kl = sum(0.5 * (m * m + math.exp(lv) - 1 - lv) for m, lv in zip(mu[i].tolist(), logvar[i].tolist()))
        total += bce + 0.3 * kl
    assert vae_loss(logits, x, mu, logvar, beta=0.3).item() == pytest.approx(total / 2, rel=1e-5)


def test_vae_loss_kl_of_standard_normal_is_zero():
    x = torch.rand(3, 1, 28, 28)
    logits = torch.randn(3, 784)  # flat logits work with image-shaped x
    zeros = torch.zeros(3, 2)
    bce = F.binary_cross_entropy_with_logits(logits, x.view(3, -1), reduction="sum") / 3
    torch.testing.assert_close(vae_loss(logits, x, zeros, zeros), bce)
    torch.testing.assert_close(vae_loss(logits, x, zeros, zeros, beta=10.0), bce)
    assert vae_loss(logits, x, zeros + 1, zeros) > bce  # any other q(z|x) costs something


def test_vae_loss_bad_shapes():
    x = torch.rand(3, 4)
    with pytest.raises(ValueError, match="same number"):
        vae_loss(torch.zeros(3, 5), x, torch.zeros(3, 2), torch.zeros(3, 2))
    with pytest.raises(ValueError, match="mu"):
        vae_loss(torch.zeros(3, 4), x, torch.zeros(3, 2), torch.zeros(3, 1))
    with pytest.raises(ValueError, match="beta"):
        vae_loss(torch.zeros(3, 4), x, torch.zeros(3, 2), torch.zeros(3, 2), beta=-1)


def test_vae_training_step_lowers_loss():
    model = VAE(hidden=32, latent=2)
    x = (torch.rand(64, 1, 28, 28) > 0.5).float()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    losses = []
    for _ in range(20):
        logits, mu, logvar = model(x)
        loss = vae_loss(logits, x, mu, logvar)
        losses.append(loss.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert losses[-1] < losses[0]


def test_fit_trains_a_vae_whose_forward_returns_a_tuple():
    from course.train import evaluate, fit

    model = VAE(hidden=32, latent=2)
    x = (torch.rand(128, 1, 28, 28) > 0.5).float()
    loss_fn = lambda out, target: vae_loss(out[0], target, out[1], out[2])  # noqa: E731
    history = fit(model, (x, x), epochs=5, batch_size=32, loss_fn=loss_fn, metrics=(), progress=False)
    assert set(history) == {"train_loss"}
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert set(evaluate(model, (x, x), loss_fn=loss_fn, metrics=())) == {"loss"}
    with pytest.raises(ValueError, match="pass metrics=\\(\\)"):
        fit(model, (x, x), epochs=1, loss_fn=loss_fn, progress=False)  # default metrics: accuracy


def test_generator_and_discriminator_shapes():
    g, d = Generator(latent=4, hidden=16), Discriminator(hidden=16)
    images = g(torch.randn(3, 4))
    assert images.shape == (3, 1, 28, 28) and 0 <= images.min() and images.max() <= 1
    assert d(images).shape == (3,)
    assert g.sample(2).shape == (2, 1, 28, 28)
    assert Generator(latent=2, hidden=8, out_shape=(5,))(torch.randn(4, 2)).shape == (4, 5)


def test_train_gan_runs_without_nan_and_is_seeded():
    x = torch.rand(96, 1, 28, 28)

    def run():
        torch.manual_seed(3)
        g, d = Generator(latent=4, hidden=16), Discriminator(hidden=16)
        before = [p.clone() for p in g.parameters()]
        history = train_gan(g, d, x, epochs=2, batch_size=32, seed=1)
        changed = any(not torch.equal(a, b) for a, b in zip(before, g.parameters()))
        return history, changed

    history, changed = run()
    assert set(history) >= {"d_loss", "g_loss"}
    assert all(len(v) == 2 for v in history.values())
    assert all(math.isfinite(v) for values in history.values() for v in values)
    assert all(0 <= p <= 1 for p in history["d_real"] + history["d_fake"])
    assert changed
    assert run()[0] == history


def test_train_gan_bad_shapes():
    g, d = Generator(latent=2, hidden=8), Discriminator(hidden=8)
    with pytest.raises(ValueError, match="shape"):
        train_gan(g, d, torch.rand(10, 784), epochs=1)
    with pytest.raises(ValueError, match="expects"):
        train_gan(Generator(2, 8, out_shape=(5,)), d, torch.rand(10, 1, 28, 28), epochs=1)
