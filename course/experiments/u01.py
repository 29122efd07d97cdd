"""Unit 1: logistic regression trained by (stochastic) gradient descent, written out by hand.

Everything works in float64 on tensors ``X`` (N, d) and labels ``y`` (N,) in {0, 1}. The loss is
the regularised empirical risk  R(w, b) = mean_i BCE(w.x_i + b, y_i) + lam/2 ||w||^2.

Lecture 01 writes the same three functions out in its own cells, for students to read and change, and checks
that its versions and these give the same numbers bit for bit. This copy is what tests/test_claims_u01.py and
the tests of Assignment 1 call.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

Tensor = torch.Tensor


def _as_float64(X: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Inputs and 0/1 labels as float64 tensors, with a clear error for mismatched shapes."""
    X, y = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64).reshape(-1)
    if X.ndim != 2 or len(X) != len(y):
        raise ValueError(f"X must be (N, d) with one label per row, got X {tuple(X.shape)} and y {tuple(y.shape)}")
    return X, y


def logistic_loss(X: Tensor, y: Tensor, w: Tensor, b: float | Tensor, lam: float = 0.0) -> float:
    """Mean binary cross-entropy of sigmoid(X w + b) against y, plus lam/2 ||w||^2."""
    X, y = _as_float64(X, y)
    z = X @ w + b
    # -log sigmoid(z) = softplus(-z) and -log(1 - sigmoid(z)) = softplus(z), so BCE = softplus(z) - y z.
    return float((F.softplus(z) - y * z).mean() + 0.5 * lam * (w @ w))


def logistic_gradient(X: Tensor, y: Tensor, w: Tensor, b: float | Tensor, lam: float = 0.0) -> tuple[Tensor, Tensor]:
    """Gradient of logistic_loss with respect to w and b: (X^T (p - y) / N + lam w, mean(p - y))."""
    X, y = _as_float64(X, y)
    error = torch.sigmoid(X @ w + b) - y
    return X.T @ error / len(y) + lam * w, error.mean()


@dataclass
class GDRun:
    """Result of gradient_descent: final weights, and the full loss and examples used before each step."""

    w: Tensor
    b: Tensor
    losses: list[float] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)


def gradient_descent(
    X: Tensor,
    y: Tensor,
    lr: float,
    steps: int,
    lam: float = 0.0,
    batch_size: int | None = None,
    seed: int = 0,
    w0: Tensor | None = None,
    b0: float = 0.0,
) -> GDRun:
    """Minimise logistic_loss from (w0, b0) (default 0, 0) by (mini-batch) gradient descent: theta <- theta - lr * grad.

    batch_size=None uses all N examples per step; otherwise each step uses a fresh random batch
    (drawn without replacement, seeded by ``seed``). ``losses[t]`` is the loss on all the data
    before step t (and after the last step), ``examples[t]`` the number of per-example gradients
    computed so far: the cost of training.
    """
    X, y = _as_float64(X, y)
    if batch_size is not None and not 1 <= batch_size <= len(y):
        raise ValueError(f"batch_size must be between 1 and N={len(y)} (or None for full batch), got {batch_size}")
    generator = torch.Generator().manual_seed(seed)
    w = torch.zeros(X.shape[1], dtype=torch.float64) if w0 is None else torch.as_tensor(w0, dtype=torch.float64)
    run = GDRun(w=w.clone(), b=torch.tensor(float(b0), dtype=torch.float64))
    used = 0
    for _ in range(steps):
        run.losses.append(logistic_loss(X, y, run.w, run.b, lam))
        run.examples.append(used)
        if batch_size is None:
            Xb, yb = X, y
        else:
            idx = torch.randperm(len(y), generator=generator)[:batch_size]
            Xb, yb = X[idx], y[idx]
        gw, gb = logistic_gradient(Xb, yb, run.w, run.b, lam)
        run.w, run.b = run.w - lr * gw, run.b - lr * gb
        used += len(yb)
    run.losses.append(logistic_loss(X, y, run.w, run.b, lam))
    run.examples.append(used)
    return run


def cosine_similarity(u: Tensor, v: Tensor) -> float:
    """cos of the angle between two vectors: 1 means the same direction."""
    u, v = torch.as_tensor(u, dtype=torch.float64), torch.as_tensor(v, dtype=torch.float64)
    return float(u @ v / (u.norm() * v.norm()))
