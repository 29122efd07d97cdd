"""Colours, markers and resolution that every reader can use: colour-blind-safe, not colour alone, sharp.

- Colours: the Okabe-Ito palette (distinguishable with the common colour-vision deficiencies), in an order
  that keeps matplotlib's first five names: C0 blue, C1 orange, C2 green, C3 red, C4 purple.
- Classes differ by marker shape as well as colour, and optimiser paths by line style and marker, so a figure
  printed in grey or seen without colour still tells them apart.
- Figures are stored at 150 dpi and shown at the size 100 dpi gives, so they stay sharp on high-density
  screens without growing on the page.

`use_course_style()` (called by `course.setup()` in a notebook) makes the palette the default colour cycle,
so the lectures' own plots use it too, and has IPython store every figure this way.
"""

from __future__ import annotations

import struct
from io import BytesIO
from typing import Any

import matplotlib
from cycler import cycler
from matplotlib.figure import Figure

# Okabe & Ito (2008), "Color Universal Design", then wine and olive for up to ten classes
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion (the red)
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#F0E442",  # yellow (last of the palette: faint as a line on white)
    "#882255",  # wine
    "#999933",  # olive
)
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
LINESTYLES: tuple[Any, ...] = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (1, 1)), (0, (8, 2)))
STORED_DPI = 150  # pixels per inch kept in the notebook
SHOWN_DPI = 100  # the size on the page: matplotlib's default figure dpi


def class_style(i: int) -> dict[str, Any]:
    """Colour and marker of class number `i` (they repeat after ten classes)."""
    return {"color": PALETTE[i % len(PALETTE)], "marker": MARKERS[i % len(MARKERS)]}


def path_style(i: int) -> dict[str, Any]:
    """Colour, line style and marker of the i-th line in a comparison (optimiser paths, runs)."""
    return {
        "color": PALETTE[i % len(PALETTE)],
        "linestyle": LINESTYLES[i % len(LINESTYLES)],
        "marker": MARKERS[i % len(MARKERS)],
    }


def png_with_size(fig: Figure) -> tuple[bytes, dict[str, int]] | None:
    """The figure as a STORED_DPI PNG plus the width and height to show it at (SHOWN_DPI); None if empty.

    IPython accepts (data, metadata) from a PNG printer; JupyterLab, nbconvert and the website then draw the
    image at that size, so a 150 dpi figure takes the page space of a 100 dpi one and is 1.5 times sharper.
    """
    if not fig.axes and not fig.lines and not fig.images and not fig.texts:
        return None  # an empty figure shows nothing, as IPython's own printer does
    buffer = BytesIO()
    fig.savefig(buffer, format="png", dpi=STORED_DPI, bbox_inches="tight")
    data = buffer.getvalue()
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk of every PNG
    scale = SHOWN_DPI / STORED_DPI
    return data, {"width": round(width * scale), "height": round(height * scale)}


def use_course_style() -> bool:
    """Make the palette matplotlib's colour cycle and, inside IPython, store figures as `png_with_size` does.

    Returns whether IPython's display was configured (False outside IPython). Safe to call again.
    """
    matplotlib.rcParams["axes.prop_cycle"] = cycler(color=list(PALETTE))
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    backend = dict.__getitem__(matplotlib.rcParams, "backend")  # as set, without making matplotlib choose one
    if str(backend).endswith("backend_inline"):
        # Importing the inline backend registers its own PNG printer for every Figure; do it now so that a
        # later `import matplotlib.pyplot` cannot replace ours.
        import matplotlib_inline.backend_inline  # noqa: F401
    shell.display_formatter.formatters["image/png"].for_type(Figure, png_with_size)
    return True
