"""Unit 2: XOR, universal approximation by width, and Telgarsky's sawtooth built from depth."""

from __future__ import annotations

import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from course.models import MLP

Tensor = torch.Tensor


# ---------------------------------------------------------------- XOR


def xor_points() -> tuple[Tensor, Tensor]:
    """The four XOR inputs (0,0), (0,1), (1,0), (1,1) and their labels 0, 1, 1, 0 (float32)."""
    X = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    return X, torch.tensor([0.0, 1.0, 1.0, 0.0])


def best_linear_accuracy(X: Tensor | np.ndarray, y: Tensor | np.ndarray, angles: int = 720) -> float:
    """Highest accuracy of any straight-line classifier sign(w.x + b), searched over `angles` directions of w.

    For each direction the points are projected onto w and every threshold between two projections
    (and beyond both ends) is tried, in both orientations: the search is exact up to the angle grid.
    """
    X, y = np.asarray(X, dtype=np.float64), np.asarray(y).reshape(-1) > 0.5
    if X.ndim != 2 or X.shape[1] != 2 or len(X) != len(y):
        raise ValueError(f"X must be (N, 2) with one label per row, got X {X.shape} and y {y.shape}")
    best = 0.0
    for theta in np.linspace(0, np.pi, angles, endpoint=False):
        s = X @ np.array([np.cos(theta), np.sin(theta)])
        order = np.argsort(s, kind="stable")
        s, labels = s[order], y[order]
        # class 1 on the right of a threshold placed after the first k points (k = 0..N)
        ones_left = np.concatenate([[0], np.cumsum(labels)])
        zeros_left = np.arange(len(s) + 1) - ones_left
        correct = zeros_left + (labels.sum() - ones_left)
        valid = np.concatenate([[True], s[1:] > s[:-1], [True]])  # cannot split tied projections
        correct = correct[valid]
        best = max(best, correct.max() / len(s), (len(s) - correct.min()) / len(s))
    return float(best)


def xor_net_by_hand() -> MLP:
    """A 2-2-1 ReLU network with hand-set weights that computes XOR: h = relu(x1+x2), relu(x1+x2-1); out = h1 - 2 h2."""
    net = MLP(2, [2], 1, activation="relu")
    hidden, output = net.linears
    with torch.no_grad():
        hidden.weight.copy_(torch.tensor([[1.0, 1.0], [1.0, 1.0]]))
        hidden.bias.copy_(torch.tensor([0.0, -1.0]))
        output.weight.copy_(torch.tensor([[1.0, -2.0]]))
        output.bias.copy_(torch.tensor([-0.5]))  # logit > 0 exactly for the inputs with output 1
    return net


def train_full_batch(
    model: nn.Module, x: Tensor, y: Tensor, loss_fn: Callable[[Tensor, Tensor], Tensor], steps: int, lr: float
) -> list[float]:
    """Adam on the whole (small) data set at every step; returns the loss before each step."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def bce_logits(logits: Tensor, targets: Tensor) -> Tensor:
    """Binary cross-entropy for one logit per example (N, 1) against 0/1 targets (N,)."""
    return F.binary_cross_entropy_with_logits(logits.reshape(-1), targets.reshape(-1).to(logits.dtype))


def train_xor_net(
    seed: int = 0, steps: int = 1000, lr: float = 0.05, activation: str = "tanh"
) -> tuple[MLP, list[float]]:
    """A 2-2-1 network trained on the four XOR points from the initial weights given by `seed`."""
    X, y = xor_points()
    torch.manual_seed(seed)
    net = MLP(2, [2], 1, activation=activation)
    return net, train_full_batch(net, X, y, bce_logits, steps, lr)


# ---------------------------------------------------------------- universal approximation


def wiggly(x: np.ndarray) -> np.ndarray:
    """The 1-D target used for universal approximation: sin(2 pi x) + 0.3 cos(5 pi x) on [-1, 1]."""
    return np.sin(2 * np.pi * x) + 0.3 * np.cos(5 * np.pi * x)


def _set_one_hidden_layer(net: MLP, w1: Tensor, b1: Tensor, w2: Tensor, b2: Tensor) -> MLP:
    """Copy the given weights into a 1-input, 1-hidden-layer, 1-output MLP."""
    hidden, output = net.linears
    with torch.no_grad():
        hidden.weight.copy_(w1.reshape(-1, 1))
        hidden.bias.copy_(b1)
        output.weight.copy_(w2.reshape(1, -1))
        output.bias.copy_(b2.reshape(1))
    return net


def interpolating_relu_net(f: Callable[[np.ndarray], np.ndarray], width: int, lo: float = -1.0, hi: float = 1.0) -> MLP:
    """A 1-`width`-1 ReLU network equal to the straight-line interpolation of f at width+1 equally spaced knots.

    Unit k switches on at knot k and adds the change of slope there:
    h(x) = f(t_0) + sum_k (s_k - s_{k-1}) relu(x - t_k), with s_k the slope of piece k (s_{-1} = 0).
    """
    knots = np.linspace(lo, hi, width + 1)
    slopes = np.diff(f(knots)) / np.diff(knots)
    changes = np.diff(slopes, prepend=0.0)
    net = MLP(1, [width], 1, activation="relu").double()
    return _set_one_hidden_layer(
        net,
        torch.ones(width, dtype=torch.float64),
        torch.tensor(-knots[:-1]),
        torch.tensor(changes),
        torch.tensor(float(f(knots[:1])[0]), dtype=torch.float64),
    )


def least_squares_relu_net(
    x: Tensor,
    y: Tensor,
    width: int,
    seed: int = 0,
    max_width: int = 128,
    lo: float = -1.0,
    hi: float = 1.0,
    ridge: float = 1e-6,
) -> MLP:
    """A 1-`width`-1 ReLU network whose hidden units are random ramps and whose output layer is fitted by least squares.

    Hidden unit j is relu(+-(x - t_j)) with the kink t_j uniform in [lo, hi] and a random sign; the draws
    for `max_width` units are made once from `seed`, and a network of width w uses the first w of them,
    so wider networks contain the narrower ones. The output weights minimise the squared error on (x, y)
    plus ``ridge`` times their squared norm.
    """
    if not 1 <= width <= max_width:
        raise ValueError(f"width must be between 1 and max_width={max_width}, got {width}")
    generator = torch.Generator().manual_seed(seed)
    kinks = lo + (hi - lo) * torch.rand(max_width, generator=generator, dtype=torch.float64)
    signs = torch.where(torch.rand(max_width, generator=generator) < 0.5, -1.0, 1.0).double()
    w1, b1 = signs[:width], -signs[:width] * kinks[:width]
    x, y = x.double().reshape(-1, 1), y.double().reshape(-1, 1)
    features = torch.cat([torch.relu(x * w1 + b1), torch.ones_like(x)], dim=1)
    # Some ramps are (nearly) copies of others on the samples, so plain least squares has many solutions;
    # a tiny ridge penalty picks one, the same on every machine.
    gram = features.T @ features + ridge * torch.eye(width + 1, dtype=torch.float64)
    coef = torch.linalg.solve(gram, features.T @ y).reshape(-1)
    net = MLP(1, [width], 1, activation="relu").double()
    return _set_one_hidden_layer(net, w1, b1, coef[:-1], coef[-1])


def approximation_errors(
    widths: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128), n_train: int = 256, seed: int = 0
) -> dict[int, tuple[float, float]]:
    """Width -> (max error of the interpolating net, RMS error of the least-squares net) for `wiggly` on [-1, 1].

    Errors are measured on 2,001 equally spaced points; the least-squares nets are fitted on n_train
    random points (course.data.regression_1d without noise).
    """
    from course.data import regression_1d

    x, y = regression_1d(n=n_train, noise=0.0, fn=wiggly, seed=seed)
    grid = torch.linspace(-1, 1, 2001, dtype=torch.float64)[:, None]
    truth = torch.from_numpy(wiggly(grid.numpy()))
    errors = {}
    with torch.no_grad():
        for width in widths:
            built = interpolating_relu_net(wiggly, width)(grid)
            fitted = least_squares_relu_net(x, y, width, seed=seed, max_width=max(widths))(grid)
            errors[width] = ((built - truth).abs().max().item(), (fitted - truth).pow(2).mean().sqrt().item())
    return errors


# ---------------------------------------------------------------- depth: Telgarsky's sawtooth


def sawtooth_net(depth: int) -> MLP:
    """A ReLU network of `depth` hidden layers with 2 units each that computes the tent map composed `depth` times.

    The tent map T(x) = 2 relu(x) - 4 relu(x - 1/2) sends [0, 1] onto [0, 1] going up then down.
    Each hidden layer computes relu(t) and relu(t - 1/2) of the previous layer's output
    t = 2 h1 - 4 h2 (folded into its weights); the output layer returns the last 2 h1 - 4 h2.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an integer >= 1, got {depth!r}")
    net = MLP(1, [2] * depth, 1, activation="relu").double()
    tent_out = torch.tensor([[2.0, -4.0]], dtype=torch.float64)  # t = 2 h1 - 4 h2
    split = torch.tensor([[1.0], [1.0]], dtype=torch.float64)  # both units read t ...
    shift = torch.tensor([0.0, -0.5], dtype=torch.float64)  # ... one shifted by 1/2
    with torch.no_grad():
        for i, layer in enumerate(net.linears):
            if i == 0:
                layer.weight.copy_(split)
            elif i < depth:
                layer.weight.copy_(split @ tent_out)
            else:
                layer.weight.copy_(tent_out)
            layer.bias.copy_(shift if i < depth else torch.zeros(1, dtype=torch.float64))
    return net


def count_linear_pieces(
    fn: Callable[[Tensor], Tensor], lo: float = 0.0, hi: float = 1.0, points: int = 2**14 + 1, tol: float = 1e-7
) -> int:
    """Number of linear pieces of a piecewise-linear 1-D function, from slope changes on a grid of `points` values.

    A kink between two grid points changes the slope twice in a row; such runs count once. Pieces
    shorter than about two grid spacings are missed, so choose the grid finer than the pieces.
    """
    if isinstance(fn, nn.Module):
        fn = copy.deepcopy(fn).double()  # float32 rounding would look like tiny slope changes
    x = torch.linspace(lo, hi, points, dtype=torch.float64)[:, None]
    with torch.no_grad():
        v = fn(x).reshape(-1).double()
    slopes = torch.diff(v) / torch.diff(x.reshape(-1))
    scale = max(1.0, slopes.abs().max().item())
    changed = torch.diff(slopes).abs() > tol * scale
    starts_of_runs = changed & ~torch.cat([torch.tensor([False]), changed[:-1]])
    return 1 + int(starts_of_runs.sum())


# ---------------------------------------------------------------- how many directions a digit uses


def variance_kept(x: Tensor) -> Tensor:
    """Share of the variance of the rows of x kept by their first k principal directions, for k = 1, 2, ...

    The rows are centred, and the squared singular values of the centred matrix (float64) are the
    variances along the principal directions, largest first; the result is their running sum over the total.
    """
    x = x.reshape(len(x), -1).double()
    s = torch.linalg.svdvals(x - x.mean(dim=0))
    return (s**2).cumsum(0) / (s**2).sum()


def directions_needed(kept: Tensor, share: float) -> int:
    """The smallest k whose first k principal directions keep at least `share` of the variance (see variance_kept)."""
    if not 0.0 < share <= 1.0:
        raise ValueError(f"share must be in (0, 1], got {share!r}")
    return min(int((kept < share).sum()) + 1, len(kept))


def directions_per_class(x: Tensor, y: Tensor, shares: tuple[float, ...] = (0.90, 0.95)) -> dict[int, tuple[int, ...]]:
    """Class -> principal directions needed to keep each of `shares` of that class's variance."""
    return {int(c): tuple(directions_needed(variance_kept(x[y == c]), s) for s in shares) for c in torch.unique(y)}
