"""Shared bits of the benchmark scripts: data, a table printer, and the machine's description."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))  # grading_helpers (solution submissions)

import course  # noqa: E402

MEAN, STD = 0.1307, 0.3081  # MNIST pixel statistics, used to normalise every pipeline the same way


def digits(full: bool) -> tuple[course.ImageSet, course.ImageSet]:
    """MNIST train and test sets: full (COURSE_DATA_DIR, cache or download) or the shipped subset."""
    size = "full" if full else "subset"
    return (course.load_mnist("train", size=size, verbose=False),
            course.load_mnist("test", size=size, verbose=False))


def machine() -> str:
    """One line describing this machine and the software versions."""
    return (f"{platform.processor() or platform.machine()}, {course.device.available_cpus()} usable CPUs "
            f"(os.cpu_count={os.cpu_count()}), Python {platform.python_version()}, torch {torch.__version__}")


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
