"""Claims of Unit 1 (lectures/01_learning_as_optimisation.ipynb), reproduced with the notebook's code and seeds."""

import numpy as np
import pytest
import torch

from course.data import gaussian_classes
from course.experiments import u01

DATA = dict(n=2000, mu0=(-1.0, -0.5), mu1=(1.0, 1.0), prior1=0.35, seed=0)


@pytest.fixture(scope="module")
def data():
    return gaussian_classes(**DATA)


def test_hand_written_gradient_matches_autograd(data):
    X, y, _ = data
    w = torch.tensor([0.3, -0.7], dtype=torch.float64, requires_grad=True)
    b = torch.tensor(0.2, dtype=torch.float64, requires_grad=True)
    z = X.double() @ w + b
    loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y.double()) + 0.5 * 0.1 * (w @ w)
    loss.backward()
    gw, gb = u01.logistic_gradient(X, y, w.detach(), b.detach(), lam=0.1)
    assert u01.logistic_loss(X, y, w.detach(), b.detach(), lam=0.1) == pytest.approx(loss.item(), rel=1e-12)
    torch.testing.assert_close(gw, w.grad, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(gb, b.grad, rtol=1e-10, atol=1e-12)


def test_log_likelihood_ratio_is_linear_with_the_closed_form_weights(data):
    _, _, truth = data
    S_inv = np.linalg.inv(np.array([[1.0, 0.5], [0.5, 1.0]]))
    mu0, mu1 = np.array([-1.0, -0.5]), np.array([1.0, 1.0])
    np.testing.assert_allclose(truth.w, S_inv @ (mu1 - mu0), rtol=1e-12)
    b = -0.5 * mu1 @ S_inv @ mu1 + 0.5 * mu0 @ S_inv @ mu0 + np.log(0.35 / 0.65)
    assert truth.b == pytest.approx(b, rel=1e-12)
    points = np.random.default_rng(0).uniform(-4, 4, size=(1000, 2))
    log_ratio = truth.log_density(points, mu1) - truth.log_density(points, mu0) + np.log(0.35 / 0.65)
    np.testing.assert_allclose(log_ratio, points @ truth.w + truth.b, rtol=0, atol=1e-12)


def test_fitted_logistic_regression_recovers_the_bayes_boundary(data):
    X, y, truth = data
    fitted = u01.gradient_descent(X, y, lr=1.0, steps=500)
    # the same minimum found independently by torch's L-BFGS through autograd
    w = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=200, tolerance_grad=1e-12, tolerance_change=1e-15)

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.binary_cross_entropy_with_logits(X.double() @ w + b, y.double())
        loss.backward()
        return loss

    opt.step(closure)
    torch.testing.assert_close(fitted.w, w.detach(), rtol=1e-4, atol=1e-5)
    # notebook: cosine 0.9983, b -0.785 vs -0.786, mean posterior gap 0.007
    cos = u01.cosine_similarity(fitted.w, truth.w)
    assert cos == pytest.approx(0.9983, abs=2e-4)
    assert fitted.b.item() == pytest.approx(truth.b, abs=0.02)
    p_fitted = torch.sigmoid(X.double() @ fitted.w + fitted.b).numpy()
    assert np.abs(p_fitted - truth.posterior(X)).mean() < 0.01


def test_learning_rate_too_small_is_slow_and_too_large_diverges(data):
    X, y, _ = data
    minimum = u01.gradient_descent(X, y, lr=1.0, steps=2000, lam=0.1).losses[-1]
    small = u01.gradient_descent(X, y, lr=0.01, steps=100, lam=0.1)
    good = u01.gradient_descent(X, y, lr=1.0, steps=100, lam=0.1)
    large = u01.gradient_descent(X, y, lr=30.0, steps=100, lam=0.1)
    assert minimum == pytest.approx(0.4107, abs=1e-4)
    # too small: still decreasing, far from the minimum (notebook: 0.505)
    assert small.losses[-1] == pytest.approx(0.505, abs=0.001)
    assert all(a > b for a, b in zip(small.losses, small.losses[1:]))
    # a good rate reaches the minimum in the same 100 steps
    assert good.losses[-1] - minimum < 1e-4
    # too large: the loss grows geometrically (notebook: about 1e61 after 100 steps)
    assert large.losses[-1] > 1e50
    assert all(b > a for a, b in zip(large.losses[5:], large.losses[6:]))


def test_mini_batch_gradient_is_unbiased(data):
    X, y, _ = data
    w, b = torch.tensor([0.5, 0.5], dtype=torch.float64), 0.0
    full, _ = u01.logistic_gradient(X, y, w, b)
    generator = torch.Generator().manual_seed(0)
    mean = torch.stack([u01.logistic_gradient(X[i], y[i], w, b)[0]
                        for i in (torch.randperm(len(X), generator=generator)[:32] for _ in range(2000))]).mean(0)
    torch.testing.assert_close(mean, full, rtol=0, atol=0.005)


def test_gradient_descent_rejects_bad_batch_size(data):
    X, y, _ = data
    with pytest.raises(ValueError, match="batch_size"):
        u01.gradient_descent(X, y, lr=0.1, steps=1, batch_size=0)
