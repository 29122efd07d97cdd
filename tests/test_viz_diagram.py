"""Schematic figures drawn by code: the primitives place what they are asked to, and refuse nonsense."""

import pytest
from matplotlib.patches import Circle, FancyBboxPatch

from course.viz.diagram import arrow, box, diagram, network


def test_a_box_and_an_arrow_between_two_boxes_stop_at_the_edges():
    fig, ax = diagram(6, 2)
    a = box(ax, (1, 1), "x")
    b = box(ax, (5, 1), "$Wx + b$", colour=1)
    arrow(ax, a, b, "W")
    assert (ax.get_xlim(), ax.get_ylim()) == ((0, 6), (0, 2)) and not ax.axison
    assert sum(isinstance(p, FancyBboxPatch) for p in ax.patches) == 4  # fill and outline of each box
    (annotation,) = [t for t in ax.texts if t.get_text() == ""]
    tail, head = annotation.xyann, annotation.xy
    assert tail[0] == pytest.approx(1 + 0.7 + 0.04) and head[0] == pytest.approx(5 - 0.7 - 0.04)
    assert {t.get_text() for t in ax.texts} >= {"x", "$Wx + b$", "W"}
    assert fig._repr_png_() is not None


def test_a_network_has_one_circle_per_unit_and_every_connection():
    fig, ax = diagram(6, 3)
    layers = network(ax, (2, 3, 1), labels=("input", "hidden", "output"))
    assert [len(layer) for layer in layers] == [2, 3, 1]
    assert sum(isinstance(p, Circle) for p in ax.patches) == 6
    assert len(ax.lines) == 2 * 3 + 3 * 1
    # columns centred on the tallest: the single output unit and the pair of inputs sit around the middle unit
    assert layers[2][0][1] == pytest.approx(layers[1][1][1]) == pytest.approx(sum(n[1] for n in layers[0]) / 2)


@pytest.mark.parametrize("call, match", [
    (lambda ax: network(ax, (2, 0, 1)), "positive unit counts"),
    (lambda ax: network(ax, (2, 1), labels=("in",)), "one label per layer"),
])
def test_bad_arguments_say_what_to_pass(call, match):
    _, ax = diagram(3, 2)
    with pytest.raises(ValueError, match=match):
        call(ax)
    with pytest.raises(ValueError, match="positive size"):
        diagram(0, 2)
