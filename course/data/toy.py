"""Small 2-D data sets for looking at classifiers and regressors.

Every function draws from its own ``numpy`` generator seeded with ``seed`` (the global
random state is never touched), so the same call always gives the same data. Classification
sets return ``X`` float32 (N, 2) and ``y`` int64 (N,) in shuffled order; ``regression_1d``
returns ``X`` and ``y`` float32 (N, 1) sorted by ``X``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from course._validate import check_int

Array = np.ndarray


def _check_noise(noise: float) -> None:
    if not isinstance(noise, (int, float)) or isinstance(noise, bool) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


def _classification(X: Array, y: Array, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Shuffle the rows and convert to (float32, int64) tensors."""
    order = rng.permutation(len(y))
    return torch.from_numpy(X[order].astype(np.float32)), torch.from_numpy(y[order].astype(np.int64))


# ---------------------------------------------------------------- two Gaussians with a shared covariance


@dataclass(eq=False)
class GaussianTruth:
    """The model ``gaussian_classes`` samples from, and the posterior it implies.

    With a shared covariance S, log p(y=1|x)/p(y=0|x) = w.x + b is linear in x, so the Bayes
    posterior is exactly a logistic regression: p(y=1|x) = sigmoid(w.x + b).
    """

    mu0: Array
    mu1: Array
    cov: Array
    prior1: float
    w: Array
    b: float

    def log_density(self, X, mu: Array) -> Array:
        """log N(x; mu, cov) for each row of X."""
        X = np.asarray(X, dtype=np.float64)
        d = X - mu
        _, logdet = np.linalg.slogdet(self.cov)
        maha = np.einsum("ni,ni->n", d, np.linalg.solve(self.cov, d.T).T)
        return -0.5 * (maha + logdet + len(mu) * np.log(2 * np.pi))

    def posterior(self, X) -> Array:
        """p(y=1 | x) for each row of X, by Bayes' rule with the two Gaussian densities."""
        X = np.asarray(X.detach().cpu() if isinstance(X, torch.Tensor) else X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != len(self.mu0):
            raise ValueError(f"X must have shape (N, {len(self.mu0)}), got {X.shape}")
        joint0 = np.log1p(-self.prior1) + self.log_density(X, self.mu0)
        joint1 = np.log(self.prior1) + self.log_density(X, self.mu1)
        return np.exp(joint1 - np.logaddexp(joint0, joint1))


def gaussian_classes(
    n: int = 400,
    mu0: Sequence[float] = (-1.0, -1.0),
    mu1: Sequence[float] = (1.0, 1.0),
    cov: Sequence[Sequence[float]] = ((1.0, 0.5), (0.5, 1.0)),
    prior1: float = 0.5,
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor, GaussianTruth]:
    """Two Gaussian classes with a shared covariance; also returns the true model and logistic weights."""
    check_int(n, "n")
    m0, m1, c = (np.asarray(a, dtype=np.float64) for a in (mu0, mu1, cov))
    if m0.ndim != 1 or m0.shape != m1.shape:
        raise ValueError(f"mu0 and mu1 must be vectors of the same length, got shapes {m0.shape} and {m1.shape}")
    if c.shape != (len(m0), len(m0)):
        raise ValueError(f"cov must have shape {(len(m0), len(m0))}, got {c.shape}")
    if not np.allclose(c, c.T):
        raise ValueError("cov must be symmetric")
    try:
        chol = np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        raise ValueError("cov must be positive definite (all eigenvalues > 0)") from None
    if not 0 < prior1 < 1:
        raise ValueError(f"prior1 is a probability strictly between 0 and 1, got {prior1!r}")
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prior1).astype(np.int64)
    means = np.where(y[:, None] == 1, m1, m0)
    X = means + rng.standard_normal((n, len(m0))) @ chol.T
    w = np.linalg.solve(c, m1 - m0)
    b = float(-0.5 * m1 @ np.linalg.solve(c, m1) + 0.5 * m0 @ np.linalg.solve(c, m0) + np.log(prior1 / (1 - prior1)))
    truth = GaussianTruth(mu0=m0, mu1=m1, cov=c, prior1=float(prior1), w=w, b=b)
    return torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y), truth


# ---------------------------------------------------------------- non-linear shapes


def xor_data(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Points in [-1, 1]^2 labelled 1 where x1 and x2 have different signs, then jittered by ``noise``."""
    check_int(n, "n")
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (n, 2))
    y = ((X[:, 0] > 0) != (X[:, 1] > 0)).astype(np.int64)
    return _classification(X + noise * rng.standard_normal((n, 2)), y, rng)


def two_moons(n: int = 400, noise: float = 0.1, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Two interleaving half circles (class 0 on top, class 1 below), jittered by ``noise``."""
    check_int(n, "n", minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = rng.uniform(0, np.pi, n)
    upper = np.stack([np.cos(t[:n0]), np.sin(t[:n0])], axis=1)
    lower = np.stack([1 - np.cos(t[n0:]), 0.5 - np.sin(t[n0:])], axis=1)
    X = np.concatenate([upper, lower]) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n0, n - n0])
    return _classification(X, y, rng)


def circles(n: int = 400, noise: float = 0.05, factor: float = 0.5, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A circle of radius 1 (class 0) around one of radius ``factor`` (class 1), jittered by ``noise``."""
    check_int(n, "n", minimum=2)
    _check_noise(noise)
    if not 0 < factor < 1:
        raise ValueError(f"factor is the inner radius relative to the outer one and must be in (0, 1), got {factor!r}")
    rng = np.random.default_rng(seed)
    n0 = n // 2
    t = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(np.arange(n) < n0, 1.0, factor)
    X = radius[:, None] * np.stack([np.cos(t), np.sin(t)], axis=1) + noise * rng.standard_normal((n, 2))
    y = np.repeat([0, 1], [n0, n - n0])
    return _classification(X, y, rng)


def spirals(n: int = 600, classes: int = 3, noise: float = 0.2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """``classes`` interleaved spiral arms from the origin out to radius 1; ``noise`` jitters the angle (radians)."""
    check_int(classes, "classes", minimum=2)
    check_int(n, "n", minimum=classes)
    _check_noise(noise)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % classes
    r = rng.uniform(0.05, 1.0, n)
    angle = 2 * np.pi * y / classes + 4.0 * r + noise * rng.standard_normal(n)
    X = r[:, None] * np.stack([np.sin(angle), np.cos(angle)], axis=1)
    return _classification(X, y, rng)


# ---------------------------------------------------------------- regression

REGRESSION_FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "sin": lambda x: np.sin(np.pi * x),
    "linear": lambda x: 0.8 * x - 0.2,
    "cubic": lambda x: 2 * x**3 - x,
    "abs": np.abs,
    "step": lambda x: np.where(x > 0, 0.5, -0.5),
}


def regression_1d(
    n: int = 100, noise: float = 0.1, seed: int = 0, fn: str | Callable[[Array], Array] = "sin"
) -> tuple[torch.Tensor, torch.Tensor]:
    """x uniform in [-1, 1] (sorted), y = fn(x) + noise * N(0, 1); fn: a REGRESSION_FUNCTIONS name or a function."""
    check_int(n, "n")
    _check_noise(noise)
    if isinstance(fn, str):
        if fn not in REGRESSION_FUNCTIONS:
            raise ValueError(f"unknown fn {fn!r}; choose one of {sorted(REGRESSION_FUNCTIONS)} or pass a function")
        fn = REGRESSION_FUNCTIONS[fn]
    elif not callable(fn):
        raise TypeError(f"fn must be a name or a function of a numpy array, got {type(fn).__name__}")
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(-1, 1, n))
    y = np.asarray(fn(x), dtype=np.float64)
    if y.shape != x.shape:
        raise ValueError(f"fn must return one value per input (shape {x.shape}), got shape {y.shape}")
    y = y + noise * rng.standard_normal(n)
    return torch.from_numpy(x.astype(np.float32)[:, None]), torch.from_numpy(y.astype(np.float32)[:, None])
