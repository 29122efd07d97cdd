"""Claims of Unit 9 (lectures/09_autoencoders.ipynb), reproduced with the notebook's code and seeds.

A linear autoencoder matches PCA; Mitchell's 8-3-8 network learns a near-binary code. Also checked: the
helpers behind the regularised autoencoders, and the statements the notebook makes about them.
"""

import pytest
import torch
import torch.nn.functional as F

from course.data import load_mnist
from course.experiments import u09


pytestmark = pytest.mark.usefixtures("one_thread_per_module")


@pytest.fixture(scope="module")
def digits():
    return load_mnist("train", size="subset", verbose=False), load_mnist("test", size="subset", verbose=False)


# ---------------------------------------------------------------- claim: linear autoencoder = PCA


def test_pca_helpers_against_closed_forms():
    g = torch.Generator().manual_seed(0)
    direction = torch.tensor([3.0, 4.0]) / 5
    t = torch.randn(500, 1, generator=g, dtype=torch.float64) * 2
    points = t * direction.double() + 0.01 * torch.randn(500, 2, generator=g, dtype=torch.float64) + 1.0
    mean, v, var = u09.pca(points, 1)
    assert abs(float(v[:, 0] @ direction.double())) == pytest.approx(1.0, abs=1e-4)
    assert var[0] == pytest.approx(float(((points - mean) @ v).var()), rel=1e-9)
    x = torch.randn(50, 6, generator=g, dtype=torch.float64)
    mean, v, _ = u09.pca(x, 6)
    torch.testing.assert_close(v.T @ v, torch.eye(6, dtype=torch.float64))
    torch.testing.assert_close(u09.pca_reconstruct(x, mean, v), x)  # all components: exact
    with pytest.raises(ValueError, match="k must be between"):
        u09.pca(x, 7)


def test_principal_angles_and_overlap_of_known_subspaces():
    e = torch.eye(4, dtype=torch.float64)
    tilted = torch.stack([e[0], e[1] + e[2]], dim=1)  # span{e1, e2 + e3}: not orthonormal on purpose
    angles = u09.principal_angles(e[:, :2], tilted)
    torch.testing.assert_close(angles, torch.tensor([0.0, 45.0], dtype=torch.float64), atol=1e-5, rtol=0)
    same = u09.principal_angles(e[:, :2], e[:, :2] @ torch.tensor([[2.0, 1.0], [0.0, 3.0]], dtype=torch.float64))
    assert same.abs().max() < 1e-5  # a different (non-orthogonal) basis of the same subspace
    overlap = u09.subspace_overlap(e, tilted)
    torch.testing.assert_close(overlap, torch.tensor([1.0, 0.5, 0.5, 0.0], dtype=torch.float64))


@pytest.mark.slow
def test_linear_autoencoder_matches_pca(digits):
    train, test = digits
    mean, directions, variances = u09.pca(train.x, 20)
    v = directions[:, :16]
    linear, _ = u09.train_linear_autoencoder(train.x, code=16, epochs=10, lr=3e-3, seed=0)
    with torch.no_grad():
        errors = {name: (u09.mse(u09.pca_reconstruct(x, mean, v), x), u09.mse(linear(x), x))
                  for name, x in (("train", train.x), ("test", test.x))}
    pca_train, ae_train = errors["train"]
    assert pca_train == pytest.approx(0.0276, abs=3e-4)  # the notebook's numbers
    assert ae_train == pytest.approx(0.0279, abs=3e-4)
    assert pca_train <= ae_train <= 1.03 * pca_train  # PCA is optimal on the training set; the AE within 3%
    pca_test, ae_test = errors["test"]
    assert ae_test == pytest.approx(pca_test, rel=0.03)

    w = linear.decoder.weight.detach()
    angles = u09.principal_angles(v, w)
    assert (angles[:12] < 5).all()  # the same subspace, but for its last, slowly settling directions
    overlap = u09.subspace_overlap(directions, w)
    assert (overlap[:12] > 0.95).all()
    assert overlap.sum() > 15.7  # of 16 dimensions, almost all lie within the top-20 principal directions
    assert overlap[18:].sum() < 0.1
    unit = F.normalize(w, dim=0)
    assert (unit.T @ unit - torch.eye(16)).abs().max() > 0.1  # ... but the basis is not orthogonal
    assert (w.norm(dim=0) - 1).abs().min() > 1.0  # ... nor of unit length


# ---------------------------------------------------------------- claim: the 8-3-8 network


def test_838_network_learns_a_near_binary_code():
    net, losses = u09.train_838(seed=0, steps=1000, lr=0.1)
    x = torch.eye(8)
    hidden = u09.hidden_code(net, x)
    assert hidden.shape == (8, 3) and ((hidden > 0) & (hidden < 1)).all()
    bits = (hidden > 0.5).int()
    assert len({tuple(b) for b in bits.tolist()}) == 8  # eight distinct corners of the cube
    assert torch.minimum(hidden, 1 - hidden).max() < 0.1  # near-binary (the notebook prints 0.08)
    with torch.no_grad():
        assert torch.equal(net(x).argmax(1), torch.arange(8))  # every input reconstructed
    assert losses[-1] < 0.01 < losses[0]


def test_838_other_seeds_as_the_notebook_says():
    for seed, codes in ((1, 8), (2, 8), (3, 7)):
        net, _ = u09.train_838(seed=seed, steps=1000, lr=0.1)
        hidden = u09.hidden_code(net, torch.eye(8))
        assert len({tuple(b) for b in (hidden > 0.5).int().tolist()}) == codes, seed
        with torch.no_grad():
            assert torch.equal(net(torch.eye(8)).argmax(1), torch.arange(8)), seed


# ---------------------------------------------------------------- regularisers


def test_contractive_penalty_is_the_squared_frobenius_norm_of_the_jacobian():
    torch.manual_seed(0)
    model = u09.SigmoidAutoencoder(in_features=6, code=9)
    x = torch.rand(4, 6)
    h = model.encode(x)
    expected = torch.stack([torch.autograd.functional.jacobian(model.encode, x[i:i + 1]).pow(2).sum() for i in range(4)])
    torch.testing.assert_close(u09.contractive_penalty(model, h), expected)


def test_sparsity_penalty_is_a_bernoulli_kl():
    h = torch.tensor([[0.1, 0.5], [0.3, 0.5]])  # mean activations 0.2 and 0.5
    rho = 0.2
    kl_half = rho * torch.log(torch.tensor(rho / 0.5)) + (1 - rho) * torch.log(torch.tensor((1 - rho) / 0.5))
    assert u09.sparsity_penalty(h, rho).item() == pytest.approx(kl_half.item(), rel=1e-6)  # unit 1 is on target: 0
    assert u09.sparsity_penalty(torch.full((5, 3), 0.05), 0.05).item() == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(ValueError, match="rho"):
        u09.sparsity_penalty(h, 1.0)


def test_add_noise_is_clipped_and_reproducible():
    x = torch.full((2000, 1, 4, 4), 0.5)
    a = u09.add_noise(x, 0.1, torch.Generator().manual_seed(3))
    b = u09.add_noise(x, 0.1, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    assert (a - x).std().item() == pytest.approx(0.1, rel=0.03)
    big = u09.add_noise(x, 5.0, torch.Generator().manual_seed(0))
    assert big.min() == 0 and big.max() == 1


@pytest.mark.slow
def test_each_penalty_does_what_the_notebook_says(digits):
    train, test = digits
    small_train, small_test = u09.shrink(train.x), u09.shrink(test.x)
    assert small_train.shape[1:] == (1, 14, 14)
    settings = {"plain": {}, "contractive": {"contractive": 0.1}, "sparse": {"sparsity": 0.3, "rho": 0.05},
                "denoising": {"noise": 0.4}}
    noisy = u09.add_noise(small_test, 0.4, torch.Generator().manual_seed(1))
    stats = {}
    for name, options in settings.items():
        torch.manual_seed(0)
        model = u09.SigmoidAutoencoder(in_features=196, code=400)
        u09.train_regularised(model, small_train, epochs=3, batch_size=256, lr=1e-2, seed=0, **options)
        with torch.no_grad():
            h = model.encode(small_test)
            stats[name] = dict(clean=u09.mse(model(small_test), small_test), noisy=u09.mse(model(noisy), small_test),
                               mean_h=h.mean().item(), jacobian=u09.contractive_penalty(model, h).mean().item())
    plain = stats["plain"]
    assert plain["jacobian"] > 8 * stats["contractive"]["jacobian"]  # notebook: 117.6 versus 9.2
    assert stats["sparse"]["mean_h"] < 0.1 < plain["mean_h"]  # near the target rate 0.05
    assert stats["denoising"]["noisy"] == min(s["noisy"] for s in stats.values())
    assert stats["denoising"]["noisy"] < 0.7 * plain["noisy"]
    assert plain["clean"] == min(s["clean"] for s in stats.values())  # every penalty costs clean accuracy


# ---------------------------------------------------------------- the miniature face swap


def test_thicken_and_the_shared_encoder():
    x = torch.zeros(1, 1, 5, 5)
    x[0, 0, 2, 2] = 1.0
    assert u09.thicken(x)[0, 0].sum() == 9 and u09.thicken(x)[0, 0, 1:4, 1:4].eq(1).all()
    torch.manual_seed(0)
    model = u09.SwapAutoencoder(styles=2, hidden=8, code=3)
    images = torch.rand(4, 1, 28, 28)
    assert model(images, 0).shape == images.shape
    assert not torch.allclose(model(images, 0), model(images, 1))
    encoder_params = sum(p.numel() for p in model.encoder.parameters())
    decoder_params = sum(p.numel() for p in model.decoders[0].parameters())
    assert sum(p.numel() for p in model.parameters()) == encoder_params + 2 * decoder_params  # one encoder, shared


@pytest.mark.slow
def test_swap_makes_unseen_digits_bold(digits):
    train, test = digits
    torch.manual_seed(0)
    swapper = u09.SwapAutoencoder(styles=2, hidden=256, code=32)
    u09.train_swap(swapper, [train.x[:4000], u09.thicken(train.x[4000:8000])], epochs=3, batch_size=64, lr=3e-3, seed=0)
    thin = test.x[:1000]
    bold = u09.thicken(thin)
    with torch.no_grad():
        unchanged, same_style, swapped = u09.mse(thin, bold), u09.mse(swapper(thin, 0), bold), u09.mse(swapper(thin, 1), bold)
    assert unchanged == pytest.approx(0.092, abs=1e-3)  # the notebook's numbers
    assert swapped == pytest.approx(0.038, abs=3e-3)
    assert swapped < 0.6 * min(unchanged, same_style)


# ---------------------------------------------------------------- seed topic: the contractive code keeps the tangent


def test_tied_autoencoder_and_the_alignment_measure():
    torch.manual_seed(0)
    model = u09.TiedSigmoidAutoencoder(in_features=2, code=5)
    x = u09.noisy_circle(7, noise=0.05, seed=1)
    assert x.shape == (7, 2) and ((x.norm(dim=1) - 1).abs() < 0.3).all()
    h = model.encode(x)
    weight = model.encoder[1].weight
    torch.testing.assert_close(model(x), h @ weight + model.bias)  # the decoder is W^T
    assert not hasattr(model, "decoder") and sum(p.numel() for p in model.parameters()) == 5 * 2 + 5 + 2
    with torch.no_grad():  # make every unit read only the x coordinate: the Jacobian is rank one, along e_x
        weight[:, 1] = 0
    stats = u09.tangent_alignment(model, points=8)  # at angles 0, 45, ..., 315 degrees the tangent's |x| is |sin|
    assert stats["ratio"] == pytest.approx(0.0, abs=1e-6)
    assert stats["cos"] == pytest.approx((0 + 4 * 2**-0.5 + 2) / 8, rel=1e-5)


@pytest.mark.slow
def test_contractive_code_is_sensitive_along_the_circle_not_across_it():
    circle = u09.noisy_circle(1000, noise=0.05, seed=0)
    stats = {}
    for name, weight in (("plain", 0.0), ("contractive", 1.0)):
        torch.manual_seed(0)
        model = u09.TiedSigmoidAutoencoder(in_features=2, code=8)
        u09.train_regularised(model, circle, epochs=50, batch_size=100, lr=1e-2, seed=0, contractive=weight)
        stats[name] = u09.tangent_alignment(model, points=200)
        with torch.no_grad():
            stats[name]["radius"] = model(circle).norm(dim=1).mean().item()
    plain, contractive = stats["plain"], stats["contractive"]
    # the notebook: tangent/normal sensitivity 1.19 -> 1.54, singular-value ratio 0.83 -> 0.62, |cos| 0.98 and 0.90
    assert contractive["tangent_over_normal"] > 1.2 * plain["tangent_over_normal"]
    assert contractive["ratio"] < 0.85 * plain["ratio"]
    assert plain["cos"] > 0.9 and contractive["cos"] > 0.8
    assert contractive["tangent_over_normal"] == pytest.approx(1.54, abs=0.15)
    assert plain["radius"] == pytest.approx(1.0, abs=0.02)  # the price: the contractive map shrinks the circle
    assert contractive["radius"] == pytest.approx(0.89, abs=0.04)
