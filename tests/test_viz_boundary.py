"""Tests for course.viz.plot_decision_boundary."""

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure
from torch import nn

from course.viz import plot_decision_boundary
from course.viz.boundary import _as_probabilities
from course.viz.style import PALETTE


def points(n=60, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.rand(n, 2, generator=g) * 4 - 2
    return x, (x[:, 0] > 0).long()


class Counting(nn.Module):
    """Logit = x1; records every call."""

    def __init__(self, dropout=False):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(()))
        self.drop = nn.Dropout(0.5) if dropout else nn.Identity()
        self.calls = []

    def forward(self, x):
        self.calls.append((tuple(x.shape), torch.is_grad_enabled(), self.training, x.dtype))
        return self.drop(self.scale * x[:, :1])


def test_one_batched_forward_pass_without_gradients_in_eval_mode():
    model = Counting(dropout=True)
    x, y = points()
    fig = plot_decision_boundary(model, x, y, resolution=50)
    assert isinstance(fig, Figure)
    assert model.calls == [((2500, 2), False, False, torch.float32)]
    assert model.training  # mode restored
    double = Counting().double()
    plot_decision_boundary(double, x, y, resolution=10)
    assert double.calls[0][3] == torch.float64  # grid built in the model's dtype (and on its device)


def test_binary_probability_shading_colourbar_and_boundary_at_one_half():
    x, y = points()
    fig = plot_decision_boundary(Counting(), x, y, resolution=41, title="x1 decides")
    ax, cbar = fig.axes
    assert ax.get_title() == "x1 decides"
    assert cbar.get_ylabel() == "p(class 1 | x)"
    assert ax.get_xlabel() and ax.get_ylabel()
    # the 0.5 contour of sigmoid(x1) is the line x1 = 0
    contour = [c for c in ax.collections if getattr(c, "levels", None) is not None and list(c.levels) == [0.5]][0]
    vertices = np.concatenate([p.vertices for p in contour.get_paths()])
    assert np.abs(vertices[:, 0]).max() < 1e-3  # linear interpolation between grid points
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["class 0", "class 1"]


def test_multiclass_regions_follow_the_argmax_for_logits_and_probabilities():
    x = torch.tensor([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.0], [0.5, 0.5]])
    y = torch.tensor([0, 1, 2, 2])
    centres = torch.tensor([[-2.0, -2.0], [2.0, -2.0], [0.0, 2.0]])

    def logits(z):
        return -torch.cdist(z, centres) * 3

    images = []
    for fn in (logits, lambda z: torch.softmax(logits(z), 1)):
        fig = plot_decision_boundary(fn, x, y, resolution=30, probability=False)
        ax = fig.axes[0]
        rgba = ax.images[0].get_array()
        images.append(np.asarray(rgba))
        xmin, xmax, ymin, ymax = ax.images[0].get_extent()
        for cls, (cx, cy) in enumerate(centres.tolist()):
            i = int(round((cy - ymin) / (ymax - ymin) * 29))
            j = int(round((cx - xmin) / (xmax - xmin) * 29))
            assert np.allclose(rgba[i, j, :3], to_rgba(PALETTE[cls])[:3])
    np.testing.assert_allclose(images[0], images[1])
    assert fig.axes[0].get_title() == "Decision boundary (3 classes)"


def test_output_conversion_handles_logits_probabilities_and_one_column():
    logits = torch.tensor([[2.0, -1.0, 0.0], [0.0, 0.0, 5.0]])
    torch.testing.assert_close(_as_probabilities(logits, 2), torch.softmax(logits, 1))
    probs = torch.softmax(logits, 1)
    torch.testing.assert_close(_as_probabilities(probs, 2), probs)
    one = torch.tensor([[3.0], [-1.0]])
    expected = torch.stack([1 - torch.sigmoid(one[:, 0]), torch.sigmoid(one[:, 0])], 1)
    torch.testing.assert_close(_as_probabilities(one, 2), expected)
    torch.testing.assert_close(_as_probabilities(torch.tensor([0.2, 0.9]), 2), torch.tensor([[0.8, 0.2], [0.1, 0.9]]))
    with pytest.raises(ValueError, match="one row per point"):
        _as_probabilities(torch.zeros(3, 2), 2)


def test_draws_on_a_given_axes():
    fig = Figure()
    ax = fig.subplots()
    x, y = points()
    assert plot_decision_boundary(Counting(), x, y, ax=ax, resolution=10) is fig
    assert ax.get_title() == "Decision boundary (2 classes)"


def test_inputs_that_are_not_two_dimensional_points_are_rejected():
    model = nn.Linear(3, 2)
    with pytest.raises(ValueError, match=r"\(N, 2\) inputs"):
        plot_decision_boundary(model, torch.zeros(10, 3), torch.zeros(10))
    with pytest.raises(ValueError, match=r"\(N, 2\) inputs"):
        plot_decision_boundary(model, torch.zeros(10, 2, 2), torch.zeros(10))
    with pytest.raises(ValueError, match="one label per point"):
        plot_decision_boundary(Counting(), torch.zeros(10, 2), torch.zeros(9))
