"""Figures for every reader: a palette that survives colour-vision deficiencies, shapes as well as colours, 150 dpi."""

from __future__ import annotations

import struct

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex, to_rgb
from torch import nn

from course.viz import plot_decision_boundary, plot_latent, plot_trajectories, rosenbrock
from course.viz._figure import new_figure
from course.viz.style import MARKERS, PALETTE, STORED_DPI, png_with_size, use_course_style

# Machado, Oliveira & Fernandes (2009): full-severity simulation matrices in linear RGB
DEFICIENCIES = {
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab(colour: str, matrix) -> np.ndarray:
    """CIELAB (D65) of a colour as seen with the deficiency `matrix` applies."""
    c = np.array(to_rgb(colour))
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    seen = np.clip(np.array(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ seen
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def _closest_pair(palette, matrix) -> float:
    points = [_lab(c, matrix) for c in palette]
    return min(float(np.linalg.norm(a - b)) for i, a in enumerate(points) for b in points[i + 1 :])


@pytest.mark.parametrize("deficiency", sorted(DEFICIENCIES))
def test_every_pair_of_palette_colours_stays_apart_with_a_colour_vision_deficiency(deficiency):
    matrix = DEFICIENCIES[deficiency]
    assert _closest_pair(PALETTE, matrix) > 12  # CIELAB ΔE: ~2 is just noticeable, >10 clearly different
    if deficiency != "tritanopia":  # the check can fail: matplotlib's tab10 does, as red-green blindness sees it
        with matplotlib.rc_context({"axes.prop_cycle": matplotlib.rcParamsDefault["axes.prop_cycle"]}):
            tab10 = [to_hex(f"C{i}") for i in range(10)]
        assert _closest_pair(tab10, matrix) < 8


def test_the_palette_keeps_matplotlibs_first_colour_names():
    # lectures say "the blue line", "orange": C0-C4 stay blue, orange, green, red, purple
    hues = [matplotlib.colors.rgb_to_hsv(to_rgb(c))[0] * 360 for c in PALETTE[:5]]
    assert 190 < hues[0] < 220 and 30 < hues[1] < 45 and 150 < hues[2] < 175 and hues[3] < 30 and 300 < hues[4] < 340


def test_figures_are_stored_at_150_dpi_and_shown_at_the_100_dpi_size():
    fig = new_figure(4, 3)
    fig.subplots().plot([0, 1], [0, 1])
    data, size = png_with_size(fig)
    width, height = struct.unpack(">II", data[16:24])
    assert STORED_DPI == 150 and width > 4 * 140  # tight bbox trims a little of the 600 pixels
    assert size == {"width": round(width / 1.5), "height": round(height / 1.5)}
    assert fig._repr_png_() is not None and fig._repr_png_()[1] == size
    assert png_with_size(new_figure(2, 2)) is None  # nothing drawn: nothing shown, as IPython does


def _two_moons_like(n: int = 90, classes: int = 3):
    torch.manual_seed(0)
    X = torch.randn(n, 2)
    y = torch.arange(n) % classes
    return X + 3 * torch.stack([torch.cos(y * 2.1), torch.sin(y * 2.1)], 1), y


def _scatters(ax) -> list:
    return [coll for coll in ax.collections if type(coll).__name__ == "PathCollection"]


def _marker_shapes(ax) -> list[bytes]:
    return [coll.get_paths()[0].vertices.round(3).tobytes() for coll in _scatters(ax)]


def test_decision_boundary_classes_differ_by_marker_shape_and_palette_colour():
    X, y = _two_moons_like()
    model = nn.Linear(2, 3)
    fig = plot_decision_boundary(model, X, y)
    ax = fig.axes[0]
    shapes = _marker_shapes(ax)
    assert len(shapes) == 3 and len(set(shapes)) == 3, "each class needs its own marker shape"
    faces = [to_hex(coll.get_facecolor()[0], keep_alpha=False) for coll in _scatters(ax)]
    assert faces == [c.lower() for c in PALETTE[:3]]


def test_latent_classes_differ_by_marker_shape():
    X, y = _two_moons_like(classes=4)
    fig = plot_latent(X, y)
    assert len(set(_marker_shapes(fig.axes[0]))) == 4


def test_optimiser_paths_differ_by_line_style_and_marker():
    paths = {name: np.cumsum(np.full((30, 2), 0.01 * (k + 1)), axis=0) - 1 for k, name in enumerate("ABC")}
    fig = plot_trajectories(rosenbrock, paths, xlim=(-2, 2), ylim=(-1, 3))
    lines = [line for line in fig.axes[0].get_lines() if line.get_label()[:1] in "ABC"]
    assert len(lines) == 3
    assert len({line.get_linestyle() for line in lines}) == 3 and len({line.get_marker() for line in lines}) == 3
    assert {line.get_marker() for line in lines} <= set(MARKERS)


class _Shell:
    def __init__(self):
        from IPython.core.formatters import DisplayFormatter

        self.display_formatter = DisplayFormatter()


def test_use_course_style_sets_the_cycle_and_the_notebooks_figure_printer(monkeypatch):
    import IPython

    shell = _Shell()
    with matplotlib.rc_context():
        monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
        assert use_course_style() is True
        assert [to_hex(c["color"]) for c in matplotlib.rcParams["axes.prop_cycle"]] == [c.lower() for c in PALETTE]
        from matplotlib.figure import Figure

        plain = Figure(figsize=(3, 2))  # a plain Figure (pyplot's kind), not the library's CourseFigure
        plain.subplots().plot([1, 2])
        data, metadata = shell.display_formatter.format(plain)
        assert data["image/png"][:8] == b"\x89PNG\r\n\x1a\n" or data["image/png"].startswith("iVBOR")
        assert metadata["image/png"]["width"] < 3 * 150 * 0.9
        monkeypatch.setattr(IPython, "get_ipython", lambda: None)
        assert use_course_style() is False  # a script: only the colour cycle
