"""Unit 4: the experiments behind the optimisation lecture.

Step-size schedules on a noisy quadratic (Robbins-Monro), the noise and cost of mini-batch
gradients, and one toy problem (three spirals, a small ReLU net) on which plain gradient
descent, SGD, momentum, Adagrad, RMSProp and Adam are compared.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from course._validate import check_int, check_positive_int
from course.data import spirals
from course.models import MLP
from course.train import History, evaluate, fit
from course.viz import optimizer_trajectories

# ---------------------------------------------------------------- Robbins-Monro on a noisy quadratic


def noisy_quadratic(
    lr_at: Callable[[int], float],
    steps: int = 2000,
    chains: int = 1000,
    curvature: float = 1.0,
    noise: float = 1.0,
    start: float = 5.0,
    seed: int = 0,
) -> np.ndarray:
    """Mean of theta_t^2 over `chains` independent SGD runs on f(theta) = curvature/2 theta^2 with noisy gradients.

    Step t uses the gradient estimate curvature * theta + noise * xi (xi ~ N(0, 1), fresh every step) and the
    step size lr_at(t), t = 0, 1, ...; returns an array of length steps + 1 (before the first step and after each).
    """
    check_int(steps, "steps", minimum=0)
    check_positive_int(chains, "chains")
    generator = torch.Generator().manual_seed(seed)
    theta = torch.full((chains,), float(start), dtype=torch.float64)
    msd = [float((theta**2).mean())]
    for t in range(steps):
        gradient = curvature * theta + noise * torch.randn(chains, generator=generator, dtype=torch.float64)
        theta = theta - lr_at(t) * gradient
        msd.append(float((theta**2).mean()))
    return np.array(msd)


def stationary_mean_square(lr: float, curvature: float = 1.0, noise: float = 1.0) -> float:
    """Level where constant-step SGD on the noisy quadratic hovers: E[theta^2] = lr noise^2 / (a (2 - lr a))."""
    if not 0 < lr * curvature < 2:
        raise ValueError(f"constant-step SGD is only stable for 0 < lr * curvature < 2, got {lr * curvature}")
    return lr * noise**2 / (curvature * (2 - lr * curvature))


# ---------------------------------------------------------------- mini-batch gradients: noise and cost


def flat_gradient(model: nn.Module, x: Tensor, y: Tensor) -> Tensor:
    """Gradient of the mean cross-entropy on (x, y) w.r.t. all parameters, as one flat vector."""
    params = [p for p in model.parameters() if p.requires_grad]
    loss = F.cross_entropy(model(x), y)
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, params)])


def gradient_noise(
    model: nn.Module, x: Tensor, y: Tensor, batch_sizes: Sequence[int], draws: int = 30, seed: int = 0
) -> dict[int, float]:
    """Mean of ||g_B - g||^2 between gradients on random batches of B examples and the full gradient g."""
    full = flat_gradient(model, x, y)
    generator = torch.Generator().manual_seed(seed)
    noise = {}
    for b in batch_sizes:
        if not 1 <= b <= len(x):
            raise ValueError(f"batch sizes must be between 1 and N={len(x)}, got {b}")
        errors = []
        for _ in range(draws):
            index = torch.randperm(len(x), generator=generator)[:b]
            errors.append(float(((flat_gradient(model, x[index], y[index]) - full) ** 2).sum()))
        noise[int(b)] = float(np.mean(errors))
    return noise


def seconds_per_step(
    model: nn.Module, x: Tensor, y: Tensor, batch_sizes: Sequence[int], repeats: int = 5
) -> dict[int, float]:
    """Fastest of `repeats` timings of one gradient computation on the first B examples, for each B."""
    timings = {}
    for b in batch_sizes:
        flat_gradient(model, x[:b], y[:b])  # warm-up
        best = float("inf")
        for _ in range(repeats):
            start = time.perf_counter()
            flat_gradient(model, x[:b], y[:b])
            best = min(best, time.perf_counter() - start)
        timings[int(b)] = best
    return timings


# ---------------------------------------------------------------- one problem, six optimisers


def spiral_data(n: int = 600) -> tuple[Tensor, Tensor]:
    """The toy problem of this unit: three interleaved spiral arms in the plane."""
    return spirals(n=n, classes=3, noise=0.2, seed=0)


def spiral_net(seed: int = 0, hidden: Sequence[int] = (32, 32)) -> MLP:
    """A small ReLU network for the spirals, with initial weights fixed by `seed`."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MLP(2, list(hidden), 3, activation="relu")


# name -> (build the optimiser from parameters, batch size). "GD" uses every example for each step.
# Learning rates: a good one for each method, from the grid 0.001, 0.003, ..., 1 on this problem.
NET_OPTIMIZERS: dict[str, tuple[Callable[[Iterable[nn.Parameter]], torch.optim.Optimizer], int | None]] = {
    "GD": (lambda params: torch.optim.SGD(params, lr=1.0), None),
    "SGD": (lambda params: torch.optim.SGD(params, lr=1.0), 32),
    "momentum": (lambda params: torch.optim.SGD(params, lr=0.1, momentum=0.9), 32),
    "Adagrad": (lambda params: torch.optim.Adagrad(params, lr=0.3), 32),
    "RMSProp": (lambda params: torch.optim.RMSprop(params, lr=0.01), 32),
    "Adam": (lambda params: torch.optim.Adam(params, lr=0.03), 32),
}


@dataclass
class OptimizerRun:
    """One training run of compare_optimizers: per-epoch history, parameter updates made, final loss and accuracy."""

    model: nn.Module
    history: History
    steps: int
    loss: float
    accuracy: float


def compare_optimizers(
    epochs: int = 30,
    seed: int = 0,
    optimizers: dict | None = None,
    make_model: Callable[[int], nn.Module] = spiral_net,
) -> dict[str, OptimizerRun]:
    """Train the same network (same initial weights, same data, same epochs) with each optimiser.

    Parameters
    ----------
    epochs, seed
        Length of every run, and the seed of the initial weights and of the shuffling.
    optimizers
        Maps a name to (build the optimiser from parameters, batch size or None for full batch); the default
        is NET_OPTIMIZERS.
    make_model
        Builds the network from a seed (default spiral_net); a lecture passes its own, equal, definition.

    Returns
    -------
    dict
        name -> OptimizerRun. Its history has "train_loss", the mean over each epoch's mini-batches while the
        weights changed, and "val_loss", the loss on the whole training set after each epoch (fit evaluates
        the training set as its validation data); `loss` and `accuracy` are the latter after the last epoch.
    """
    x, y = spiral_data()
    runs = {}
    for name, (make, batch_size) in (optimizers or NET_OPTIMIZERS).items():
        batch_size = batch_size or len(x)
        model = make_model(seed)
        history = fit(
            model,
            (x, y),
            (x, y),  # evaluated after every epoch: the loss the final numbers report, epoch by epoch
            epochs=epochs,
            batch_size=batch_size,
            optimizer=make(model.parameters()),
            seed=seed,
            progress=False,
        )
        final = evaluate(model, (x, y))
        runs[name] = OptimizerRun(model, history, epochs * -(-len(x) // batch_size), final["loss"], final["accuracy"])
    return runs


# The same six methods on a 2-D surface (elongated_bowl: curvature 1 along x, 25 along y), from SURFACE_START.
# GD's step must stay below 2/25 = 0.08 or it diverges along the steep y axis.
SURFACE_START = (-9.0, 2.0)
SURFACE_STEPS = 40
SURFACE_NOISE = 2.0  # "SGD": GD with a noisy gradient (see with_gradient_noise)
SURFACE_OPTIMIZERS: dict[str, Callable[[list], torch.optim.Optimizer]] = {
    "GD": lambda params: torch.optim.SGD(params, lr=0.07),
    "SGD": lambda params: torch.optim.SGD(params, lr=0.07),
    "momentum": lambda params: torch.optim.SGD(params, lr=0.02, momentum=0.9),
    "Adagrad": lambda params: torch.optim.Adagrad(params, lr=2.0),
    "RMSProp": lambda params: torch.optim.RMSprop(params, lr=0.3),
    "Adam": lambda params: torch.optim.Adam(params, lr=0.5),
}


def surface_paths(loss2d: Callable[[Tensor], Tensor], seed: int = 0) -> dict[str, np.ndarray]:
    """Paths of the six SURFACE_OPTIMIZERS on loss2d from SURFACE_START; "SGD" sees a noisy gradient."""
    deterministic = {k: v for k, v in SURFACE_OPTIMIZERS.items() if k != "SGD"}
    paths = optimizer_trajectories(loss2d, SURFACE_START, deterministic, steps=SURFACE_STEPS)
    noisy = optimizer_trajectories(
        with_gradient_noise(loss2d, SURFACE_NOISE, seed),
        SURFACE_START,
        {"SGD": SURFACE_OPTIMIZERS["SGD"]},
        steps=SURFACE_STEPS,
    )
    return {name: noisy["SGD"] if name == "SGD" else paths[name] for name in SURFACE_OPTIMIZERS}


def steps_to_reach(loss2d: Callable[[Tensor], Tensor], path: np.ndarray, threshold: float) -> int | None:
    """First step at which a 2-D optimiser path has loss below `threshold` (None if it never does)."""
    with torch.no_grad():
        losses = loss2d(torch.as_tensor(path, dtype=torch.float64)).numpy()
    below = np.flatnonzero(losses < threshold)
    return int(below[0]) if below.size else None


def with_gradient_noise(loss2d: Callable[[Tensor], Tensor], scale: float, seed: int = 0) -> Callable[[Tensor], Tensor]:
    """A stochastic version of a 2-D loss: each call adds scale * xi . p with a fresh xi ~ N(0, I): a noisy gradient."""
    generator = torch.Generator().manual_seed(seed)

    def noisy(p: Tensor) -> Tensor:
        xi = torch.randn(p.shape[-1], generator=generator, dtype=torch.float64).to(p.dtype)
        return loss2d(p) + scale * (xi * p).sum(-1)

    return noisy
