import numpy as np
import pytest
import torch

from course.data import circles, gaussian_classes, regression_1d, spirals, two_moons, xor_data

CLASSIFIERS = {
    "gaussian_classes": lambda **kw: gaussian_classes(**kw)[:2],
    "xor_data": xor_data,
    "two_moons": two_moons,
    "circles": circles,
    "spirals": spirals,
}


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classification_shapes_dtypes_and_determinism(name):
    make = CLASSIFIERS[name]
    X, y = make(n=90, seed=3)
    assert X.shape == (90, 2) and X.dtype == torch.float32
    assert y.shape == (90,) and y.dtype == torch.int64
    X2, y2 = make(n=90, seed=3)
    assert torch.equal(X, X2) and torch.equal(y, y2)
    X3, _ = make(n=90, seed=4)
    assert not torch.equal(X, X3)
    assert torch.isfinite(X).all()


@pytest.mark.parametrize("name", CLASSIFIERS)
def test_global_random_state_is_left_alone(name):
    np_state, torch_state = np.random.get_state()[1].copy(), torch.random.get_rng_state().clone()
    CLASSIFIERS[name](n=50, seed=1)
    assert np.array_equal(np.random.get_state()[1], np_state)
    assert torch.equal(torch.random.get_rng_state(), torch_state)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"mu0": (0.0, 2.0), "mu1": (1.5, -1.0), "cov": ((2.0, -0.7), (-0.7, 0.5)), "prior1": 0.2},
        {"mu0": (1.0, 0.0, -1.0), "mu1": (0.0, 0.5, 1.0), "cov": np.diag([1.0, 2.0, 0.5]) + 0.1, "prior1": 0.7},
    ],
)
def test_log_likelihood_ratio_is_linear(kwargs):
    """sigmoid(w.x + b) is exactly the Bayes posterior of two Gaussians with a shared covariance."""
    _, _, truth = gaussian_classes(n=10, **kwargs)
    points = np.random.default_rng(1).normal(0, 3, (500, len(truth.mu0)))
    logistic = 1 / (1 + np.exp(-(points @ truth.w + truth.b)))
    np.testing.assert_allclose(truth.posterior(points), logistic, rtol=0, atol=1e-10)


def test_truth_holds_the_closed_form_weights():
    _, _, t = gaussian_classes(mu0=(-1, 0), mu1=(2, 1), cov=((2, 0), (0, 0.5)), prior1=0.25)
    np.testing.assert_allclose(t.w, [3 / 2, 1 / 0.5])
    expected_b = -0.5 * (4 / 2 + 1 / 0.5) + 0.5 * (1 / 2) + np.log(0.25 / 0.75)
    assert t.b == pytest.approx(expected_b, abs=1e-12)
    assert t.mu0.dtype == np.float64 and t.cov.dtype == np.float64 and isinstance(t.prior1, float)


def test_gaussian_density_agrees_with_torch():
    _, _, t = gaussian_classes(cov=((1.5, 0.4), (0.4, 0.8)))
    points = np.random.default_rng(2).normal(size=(20, 2))
    reference = torch.distributions.MultivariateNormal(torch.tensor(t.mu1), torch.tensor(t.cov))
    expected = reference.log_prob(torch.tensor(points)).numpy()
    np.testing.assert_allclose(t.log_density(points, t.mu1), expected, atol=1e-12)


def test_posterior_accepts_tensors_and_checks_shape():
    X, _, t = gaussian_classes(n=30)
    p = t.posterior(X)
    assert p.shape == (30,) and ((p > 0) & (p < 1)).all()
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        t.posterior(np.zeros((4, 3)))


def test_gaussian_samples_follow_the_model():
    X, y, t = gaussian_classes(n=20_000, prior1=0.3, seed=5)
    X, y = X.double().numpy(), y.numpy()
    assert y.mean() == pytest.approx(0.3, abs=0.015)
    np.testing.assert_allclose(X[y == 1].mean(0), t.mu1, atol=0.05)
    np.testing.assert_allclose(X[y == 0].mean(0), t.mu0, atol=0.05)
    np.testing.assert_allclose(np.cov(X[y == 0].T), t.cov, atol=0.06)


def test_gaussian_bad_input():
    with pytest.raises(ValueError, match="positive definite"):
        gaussian_classes(cov=((1.0, 2.0), (2.0, 1.0)))
    with pytest.raises(ValueError, match="symmetric"):
        gaussian_classes(cov=((1.0, 0.2), (0.0, 1.0)))
    with pytest.raises(ValueError, match="shape"):
        gaussian_classes(cov=np.eye(3))
    with pytest.raises(ValueError, match="same length"):
        gaussian_classes(mu1=(1.0, 1.0, 1.0))
    with pytest.raises(ValueError, match="prior1"):
        gaussian_classes(prior1=1.0)


def test_xor_labels_follow_the_quadrants_without_noise():
    X, y = xor_data(n=500, noise=0.0)
    assert torch.equal(y, ((X[:, 0] > 0) != (X[:, 1] > 0)).long())
    assert X.abs().max() <= 1


def test_moons_and_circles_geometry_without_noise():
    X, y = two_moons(n=201, noise=0.0)
    assert int((y == 0).sum()) == 100 and int((y == 1).sum()) == 101
    upper, lower = X[y == 0].double(), X[y == 1].double()
    torch.testing.assert_close(upper.norm(dim=1), torch.ones(100, dtype=torch.float64), atol=1e-6, rtol=0)
    centre = torch.tensor([1.0, 0.5], dtype=torch.float64)
    torch.testing.assert_close((lower - centre).norm(dim=1), torch.ones(101, dtype=torch.float64), atol=1e-6, rtol=0)
    assert (upper[:, 1] >= 0).all() and (lower[:, 1] <= 0.5 + 1e-6).all()
    X, y = circles(n=100, noise=0.0, factor=0.3)
    radius = X.norm(dim=1)
    torch.testing.assert_close(radius[y == 0], torch.ones(50), atol=1e-6, rtol=0)
    torch.testing.assert_close(radius[y == 1], torch.full((50,), 0.3), atol=1e-6, rtol=0)


def test_spirals_are_balanced_and_inside_the_unit_disc():
    X, y = spirals(n=600, classes=4, noise=0.0)
    assert torch.bincount(y).tolist() == [150] * 4
    assert X.norm(dim=1).max() <= 1 + 1e-6


def test_regression_1d():
    X, y = regression_1d(n=50, noise=0.0, fn="sin")
    assert X.shape == (50, 1) and y.shape == (50, 1) and X.dtype == y.dtype == torch.float32
    assert torch.all(X[1:] >= X[:-1])
    torch.testing.assert_close(y, torch.sin(torch.pi * X), atol=1e-6, rtol=0)
    Xc, yc = regression_1d(n=50, noise=0.0, fn=lambda x: 3 * x)
    torch.testing.assert_close(yc, 3 * Xc)
    _, noisy = regression_1d(n=2000, noise=0.5, seed=1, fn="linear")
    Xn, clean = regression_1d(n=2000, noise=0.0, seed=1, fn="linear")
    assert (noisy - clean).std().item() == pytest.approx(0.5, rel=0.1)


def test_toy_bad_input():
    with pytest.raises(ValueError, match="n must be"):
        two_moons(n=0)
    with pytest.raises(ValueError, match="n must be"):
        xor_data(n=2.5)
    with pytest.raises(ValueError, match="noise"):
        circles(noise=-0.1)
    with pytest.raises(ValueError, match="factor"):
        circles(factor=1.5)
    with pytest.raises(ValueError, match="classes"):
        spirals(classes=1)
    with pytest.raises(ValueError, match="unknown fn"):
        regression_1d(fn="tan")
    with pytest.raises(TypeError, match="fn must be"):
        regression_1d(fn=3)
    with pytest.raises(ValueError, match="one value per input"):
        regression_1d(fn=lambda x: x[:3])
