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
    """One line describing this machine and the software versions (and the GPU, where there is one)."""
    gpu = f", GPU {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""
    return (f"{platform.processor() or platform.machine()}, {course.device.available_cpus()} usable CPUs "
            f"(os.cpu_count={os.cpu_count()}){gpu}, Python {platform.python_version()}, torch {torch.__version__}")


def device_arg(name: str) -> torch.device:
    """The --device option: "cpu" (the default of the tables), "cuda", "mps" or "auto" (the best there is)."""
    device = course.get_device() if name == "auto" else torch.device(name)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: this machine has no CUDA GPU that torch can use; use --device cpu")
    return device


def sync(device: torch.device) -> None:
    """Wait for queued GPU work, so that a clock read afterwards times it (GPU calls return before they finish)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def table(headers: list[str], rows: list[list[object]]) -> str:
    """A plain-text table with right-aligned columns."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
