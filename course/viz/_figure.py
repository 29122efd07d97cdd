"""Figures that draw themselves as PNG in notebooks, whatever the matplotlib backend.

The plotting helpers build figures with `matplotlib.figure.Figure` directly instead of
pyplot: nothing is registered globally, so a figure is shown exactly once (as the value of
the cell) and never leaks. `_repr_png_` makes IPython render it even when no inline backend
was set up (for example under MPLBACKEND=Agg while a notebook is executed).
"""

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from course.viz.style import png_with_size


class CourseFigure(Figure):
    """A matplotlib Figure that renders itself as a PNG in Jupyter."""

    def _repr_png_(self) -> tuple[bytes, dict[str, int]] | None:
        """The figure as a 150 dpi PNG and the size to show it at (used by IPython's display)."""
        return png_with_size(self)


def new_figure(width: float, height: float) -> CourseFigure:
    """Return an empty figure of the given size in inches with constrained layout."""
    return CourseFigure(figsize=(width, height), layout="constrained")


def figure_of(ax: Axes) -> Figure:
    """The whole figure an axes is drawn in (for an axes in a subfigure, the figure holding the subfigure)."""
    fig = ax.figure
    while not isinstance(fig, Figure):  # a SubFigure: its .figure is the one above it
        fig = fig.figure
    return fig
