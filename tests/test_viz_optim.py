"""Tests for course.viz.optim: optimiser paths on 2-D losses, learning-rate sweeps and their plots."""

import matplotlib

matplotlib.use("Agg")

import math

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from torch import nn

from course.viz import elongated_bowl, lr_sweep, optimizer_trajectories, plot_lr_curves, plot_trajectories, rosenbrock
from course.viz.optim import _surface


pytestmark = pytest.mark.usefixtures("one_thread_per_module")


def test_sgd_on_the_bowl_follows_the_closed_form():
    lr, steps = 0.03, 20
    paths = optimizer_trajectories(elongated_bowl, (2.0, -1.0), {"SGD": lambda p: torch.optim.SGD(p, lr=lr)}, steps)
    path = paths["SGD"]
    assert path.shape == (steps + 1, 2)
    t = np.arange(steps + 1)
    # gradient of 0.5 (x^2 + 25 y^2) is (x, 25 y): each step multiplies x by (1 - lr) and y by (1 - 25 lr)
    np.testing.assert_allclose(path[:, 0], 2.0 * (1 - lr) ** t, rtol=1e-12)
    np.testing.assert_allclose(path[:, 1], -1.0 * (1 - 25 * lr) ** t, rtol=1e-12)


def test_every_optimiser_starts_at_the_start_and_adam_reaches_the_rosenbrock_valley():
    makers = {
        "SGD": lambda p: torch.optim.SGD(p, lr=1e-3),
        "Adam": lambda p: torch.optim.Adam(p, lr=0.1),
    }
    paths = optimizer_trajectories(rosenbrock, (-1.5, 2.0), makers, steps=300)
    assert set(paths) == {"SGD", "Adam"}
    for path in paths.values():
        np.testing.assert_array_equal(path[0], [-1.5, 2.0])
    final = rosenbrock(torch.tensor(paths["Adam"][-1])).item()
    assert final < rosenbrock(torch.tensor([-1.5, 2.0])).item() / 10


def test_a_diverging_run_stops_and_is_marked_in_the_plot():
    paths = optimizer_trajectories(rosenbrock, (-1.5, 2.0), {"too fast": lambda p: torch.optim.SGD(p, lr=0.05),
                                                            "slow": lambda p: torch.optim.SGD(p, lr=1e-4)}, 50)
    fast = paths["too fast"]
    bad = ~np.isfinite(fast).all(axis=1)
    assert bad.any() and bad[bad.argmax():].all()  # once non-finite, the rest of the path is nan
    fig = plot_trajectories(rosenbrock, paths, (-2, 2), (-1, 3), resolution=60)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[0] == "too fast (diverged)"
    assert labels[1].startswith("slow: final loss") and labels[2] == "start"
    assert ax.get_xlim() == (-2, 2) and ax.get_ylim() == (-1, 3)


def test_contour_levels_are_log_spaced():
    paths = optimizer_trajectories(elongated_bowl, (1.0, 1.0), {"SGD": lambda p: torch.optim.SGD(p, lr=0.01)}, 5)
    fig = plot_trajectories(elongated_bowl, paths, (-2, 2), (-2, 2), resolution=50)
    filled = fig.axes[0].collections[0]
    ratios = np.diff(np.log(filled.levels))
    np.testing.assert_allclose(ratios, ratios[0], rtol=1e-6)
    assert filled.levels[-1] == pytest.approx(0.5 * (4 + 25 * 4))


def test_surface_works_for_losses_written_for_a_single_point():
    def pointwise(p):
        return p[0] ** 2 + 3 * p[1] ** 2 if p.ndim == 1 else None  # cannot take a grid at once

    xs, ys = np.linspace(-1, 1, 7), np.linspace(-2, 2, 5)
    xx, yy = np.meshgrid(xs, ys)
    np.testing.assert_allclose(_surface(pointwise, xs, ys), xx**2 + 3 * yy**2)
    np.testing.assert_allclose(_surface(elongated_bowl, xs, ys), 0.5 * (xx**2 + 25 * yy**2))


def test_trajectories_explain_bad_arguments():
    with pytest.raises(TypeError, match="build an optimiser"):
        optimizer_trajectories(rosenbrock, (0.0, 0.0), {"SGD": lambda p: p})
    with pytest.raises(ValueError, match="two numbers"):
        optimizer_trajectories(rosenbrock, (0.0, 0.0, 1.0), {})
    with pytest.raises(ValueError, match="scalar"):
        optimizer_trajectories(lambda p: p * 2, (0.0, 0.0), {"SGD": lambda p: torch.optim.SGD(p, lr=0.1)})


def test_lr_sweep_trains_the_same_initial_model_for_every_learning_rate():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 2, generator=g)
    y = (x[:, 0] > 0).long()
    initial = []

    def make_model():
        model = nn.Linear(2, 2)
        initial.append(model.weight.detach().clone())
        return model

    curves = lr_sweep(make_model, (x, y), [0.01, 0.5, 1e6], epochs=3, batch_size=16)
    assert list(curves) == [0.01, 0.5, 1e6] and all(len(c) == 3 for c in curves.values())
    assert all(torch.equal(w, initial[0]) for w in initial)
    assert curves[0.5][-1] < 0.5 < curves[0.01][-1]  # a sensible rate learns faster than a timid one
    assert not all(math.isfinite(v) and v < 10 for v in curves[1e6])  # an absurd one blows up
    assert lr_sweep(make_model, (x, y), [0.5], epochs=3, batch_size=16)[0.5] == curves[0.5]
    with pytest.raises(ValueError, match="unknown optimizer"):
        lr_sweep(make_model, (x, y), [0.1], optimizer="lbfgs")


def test_lr_curves_use_a_log_scale_and_clip_diverged_runs():
    curves = {0.1: [1.0, 0.5, 0.25], 0.01: [1.0, 0.9, 0.8], 10.0: [3.0, float("nan"), float("inf")]}
    fig = plot_lr_curves(curves, title="sweep")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log" and ax.get_title() == "sweep"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["0.01", "0.1", "10 (diverged, clipped)"]
    lines = [line for line in ax.get_lines() if line.get_label() in labels]
    np.testing.assert_allclose(lines[1].get_ydata(), [1.0, 0.5, 0.25])
    diverged = lines[2].get_ydata()
    assert np.isfinite(diverged).all() and diverged[1] == diverged[2] == pytest.approx(10 * 1.0)
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "training loss"
    with pytest.raises(ValueError, match="empty"):
        plot_lr_curves({})
