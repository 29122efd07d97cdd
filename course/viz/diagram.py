"""Schematic figures drawn by code: boxes, arrows and layered networks on a blank canvas.

A lecture draws its diagrams (a neuron, a computational graph, a residual block, an optimiser's update) with
these few primitives, in a cell the student can read and change:

    fig, ax = diagram(8, 3)
    x = box(ax, (1, 1.5), "x")
    h = box(ax, (4, 1.5), "ReLU(Wx + b)", colour=1)
    arrow(ax, x, h, "W")
    ax.set_title("One layer")

Coordinates are in data units of the canvas (0..width, 0..height); one unit is one inch on the page.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch

from course.viz._figure import new_figure
from course.viz.style import PALETTE

Point = tuple[float, float]


class Node(tuple):
    """The centre of a drawn box or circle, with its half-width and half-height (so arrows stop at its edge)."""

    half_w: float
    half_h: float

    def __new__(cls, x: float, y: float, half_w: float, half_h: float) -> Node:
        node = super().__new__(cls, (x, y))
        node.half_w, node.half_h = half_w, half_h
        return node


def diagram(width: float, height: float) -> tuple[Figure, Axes]:
    """A blank canvas `width` x `height` inches with no axes drawn; returns (figure, axes)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"a diagram needs a positive size, got {width} x {height} inches")
    fig = new_figure(width, height)
    ax = fig.subplots()
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _fill(colour: int | str | None) -> str:
    if colour is None:
        return "white"
    return PALETTE[colour % len(PALETTE)] if isinstance(colour, int) else colour


def box(
    ax: Axes,
    centre: Point,
    text: str,
    width: float = 1.4,
    height: float = 0.6,
    colour: int | str | None = None,
    fontsize: float = 10,
) -> Node:
    """A rounded box with `text` centred at `centre`.

    Parameters
    ----------
    ax : the canvas from `diagram`.
    centre : (x, y) in canvas units.
    text : the label (matplotlib mathtext such as ``"$W x + b$"`` works).
    width, height : the box's size in canvas units.
    colour : a palette index (0 blue, 1 orange, ...), a colour, or None for white; filled pale.
    fontsize : the label's size in points.

    Returns
    -------
    Node : the centre, to pass to `arrow`.
    """
    x, y = centre
    patch = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.08",
        facecolor=_fill(colour),
        alpha=0.35 if colour is not None else 1.0,
        edgecolor="none",
    )
    ax.add_patch(patch)
    outline = FancyBboxPatch(
        (x - width / 2, y - height / 2),
        width,
        height,
        boxstyle="round,pad=0.02,rounding_size=0.08",
        facecolor="none",
        edgecolor="black",
        linewidth=1.0,
    )
    ax.add_patch(outline)
    ax.text(x, y, text, ha="center", va="center", fontsize=fontsize)
    return Node(x, y, width / 2 + 0.04, height / 2 + 0.04)


def _edge(node: Point, towards: Point) -> Point:
    """Where the straight line from `node`'s centre towards `towards` leaves its box (or circle)."""
    x, y = node
    half_w, half_h = getattr(node, "half_w", 0.0), getattr(node, "half_h", 0.0)
    dx, dy = towards[0] - x, towards[1] - y
    if (dx == 0 and dy == 0) or (half_w == 0 and half_h == 0):
        return x, y
    scale = min(half_w / abs(dx) if dx else float("inf"), half_h / abs(dy) if dy else float("inf"))
    return x + dx * scale, y + dy * scale


def arrow(
    ax: Axes,
    start: Point,
    end: Point,
    text: str | None = None,
    curve: float = 0.0,
    colour: str = "black",
    style: str = "-|>",
) -> None:
    """An arrow from `start` to `end` (stopping at the edges of boxes), with an optional label at its middle.

    `curve` bends it (0 straight; -0.3 a gentle arc to the left of the direction of travel, 0.3 to the right),
    e.g. for a skip connection drawn around a block; `style="<|-|>"` gives a double-headed arrow.
    """
    tail, head = _edge(start, end), _edge(end, start)
    ax.annotate(
        "",
        xy=head,
        xytext=tail,
        arrowprops=dict(
            arrowstyle=style, color=colour, lw=1.2, shrinkA=0, shrinkB=0, connectionstyle=f"arc3,rad={curve}"
        ),
    )
    if text:
        mx, my = (tail[0] + head[0]) / 2, (tail[1] + head[1]) / 2
        # matplotlib's arc3 is a quadratic Bezier with its control point at middle + curve * (dy, -dx): the
        # curve's own middle is half-way there
        dx, dy = head[0] - tail[0], head[1] - tail[1]
        mx, my = mx + curve * dy / 2, my - curve * dx / 2
        ax.text(
            mx,
            my,
            text,
            ha="center",
            va="bottom",
            fontsize=9,
            bbox=dict(boxstyle="round,pad=0.1", facecolor="white", edgecolor="none", alpha=0.8),
        )


def network(
    ax: Axes,
    sizes: Sequence[int],
    origin: Point = (0.5, 0.5),
    spacing: Point = (1.6, 0.5),
    labels: Sequence[str] | None = None,
    radius: float = 0.15,
) -> list[list[Node]]:
    """A layered, fully connected network: one column of circles per layer, every unit joined to the next layer.

    Parameters
    ----------
    ax : the canvas from `diagram`.
    sizes : units per layer, input first, e.g. (2, 4, 4, 1).
    origin : the lower-left unit's position; columns are centred vertically on the tallest.
    spacing : (between layers, between units) in canvas units.
    labels : one caption per layer, written under its column (e.g. "input", "hidden", "output").
    radius : of each unit's circle.

    Returns
    -------
    list of lists of Node : the units' centres, layer by layer, for further arrows or labels.
    """
    if not sizes or any(int(n) < 1 for n in sizes):
        raise ValueError(f"sizes must be positive unit counts per layer, got {list(sizes)}")
    if labels is not None and len(labels) != len(sizes):
        raise ValueError(f"got {len(labels)} labels for {len(sizes)} layers; pass one label per layer")
    tallest = max(sizes)
    layers: list[list[Node]] = []
    for i, n in enumerate(sizes):
        x = origin[0] + i * spacing[0]
        offset = (tallest - n) * spacing[1] / 2
        column = [Node(x, origin[1] + offset + j * spacing[1], radius, radius) for j in range(n)]
        layers.append(column)
    for left, right in zip(layers, layers[1:]):
        for a in left:
            for b in right:
                ax.plot([a[0] + radius, b[0] - radius], [a[1], b[1]], color="0.55", lw=0.7, zorder=1)
    for i, column in enumerate(layers):
        colour = PALETTE[0] if i == 0 else PALETTE[1] if i == len(layers) - 1 else PALETTE[2]
        for node in column:
            ax.add_patch(Circle(node, radius, facecolor=colour, edgecolor="black", lw=0.8, zorder=2))
        if labels is not None:
            ax.text(column[0][0], origin[1] - 0.45, labels[i], ha="center", va="top", fontsize=9)
    return layers
