"""Device choice, thread count and seeding (the three lines at the top of every notebook), and moving data.

`model_device` / `model_dtype` tell where a model's weights live, so inputs can follow them;
`to_numpy` brings a tensor back to the host as a numpy array.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn

from course._validate import check_int

COLAB_GPU_HINT = (
    "Running on the CPU. On Google Colab you can switch to a GPU with "
    "Runtime > Change runtime type > Hardware accelerator > GPU, then re-run the notebook."
)


def _report(device: torch.device) -> None:
    """Print the Colab GPU hint, only on a Colab CPU runtime: elsewhere the menu it names does not exist."""
    if device.type == "cpu" and "google.colab" in sys.modules:
        print(COLAB_GPU_HINT)


def get_device(verbose: bool = False) -> torch.device:
    """Return the best available device: CUDA, then Apple MPS, then the CPU."""
    if torch.cuda.is_available():
        device = torch.device("cuda")
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        device = torch.device("mps")
    else:
        device = torch.device("cpu")
    if verbose:
        print(f"Device: {device.type}")
        _report(device)
    return device


def model_device(model: object) -> torch.device:
    """The device of the model's first parameter; the CPU for a model without parameters or a plain function."""
    if isinstance(model, nn.Module):
        for param in model.parameters():
            return param.device
    return torch.device("cpu")


def model_dtype(model: object) -> torch.dtype:
    """The dtype of the model's first floating-point parameter; float32 where it has none (or is a function)."""
    if isinstance(model, nn.Module):
        for param in model.parameters():
            if param.is_floating_point():
                return param.dtype
    return torch.float32


def to_numpy(values: object, name: str = "values") -> np.ndarray:
    """A tensor (detached and copied to the CPU), array, list or number as a numpy array.

    Raises a TypeError naming `name` when numpy cannot make an array of it.
    """
    if isinstance(values, torch.Tensor):
        return values.detach().cpu().numpy()
    try:
        return np.asarray(values)
    except Exception as error:  # numpy raises several types; all mean "not array-like"
        raise TypeError(f"{name} must be a tensor, numpy array or list, got {type(values).__name__}") from error


def _cgroup_v2_quota(root: Path) -> float | None:
    """CPUs allowed by a cgroup v2 `cpu.max` file, or None when unlimited or absent."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max":
        return None
    return int(quota) / int(period)


def _cgroup_v1_quota(root: Path) -> float | None:
    """CPUs allowed by cgroup v1 CFS files, or None when unlimited or absent."""
    for folder in (root / "cpu", root / "cpu,cpuacct", root):
        try:
            quota = int((folder / "cpu.cfs_quota_us").read_text())
            period = int((folder / "cpu.cfs_period_us").read_text())
        except (OSError, ValueError):
            continue
        return quota / period if quota > 0 and period > 0 else None
    return None


def available_cpus(cgroup_root: str | os.PathLike = "/sys/fs/cgroup") -> int:
    """Number of CPUs this process may really use: affinity and cgroup quota, at least 1."""
    try:
        count = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        count = os.cpu_count() or 1
    root = Path(cgroup_root)
    for quota in (_cgroup_v2_quota(root), _cgroup_v1_quota(root)):
        if quota is not None:
            count = min(count, max(1, math.floor(quota)))
    return max(1, count)


def _cpu_times(text: str) -> tuple[int, int, int]:
    """(idle ticks, total ticks, CPU count) from the text of /proc/stat."""
    lines = text.splitlines()
    fields = lines[0].split()
    if not fields or fields[0] != "cpu" or len(fields) < 5:
        raise ValueError("no aggregate 'cpu' line")
    ticks = [int(v) for v in fields[1:9]]  # user nice system idle iowait irq softirq steal (guest is in user)
    count = sum(1 for line in lines[1:] if line.startswith("cpu") and line[3:4].isdigit())
    return ticks[3] + (ticks[4] if len(ticks) > 4 else 0), sum(ticks), max(1, count)


def idle_cpus(interval: float = 0.1, stat: str | os.PathLike = "/proc/stat") -> float | None:
    """CPUs left idle by all processes over the next `interval` seconds, or None where unknown."""
    try:
        idle0, total0, count = _cpu_times(Path(stat).read_text())
        time.sleep(interval)
        idle1, total1, _ = _cpu_times(Path(stat).read_text())
    except (OSError, ValueError, IndexError):
        return None
    if total1 <= total0:
        return None
    return count * (idle1 - idle0) / (total1 - total0)


def auto_threads() -> int:
    """Threads worth using now: the CPUs available, less those other processes keep busy."""
    count = available_cpus()
    idle = idle_cpus()
    if idle is not None:
        count = min(count, max(1, math.floor(idle + 0.5)))
    return count


def set_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count (default: `auto_threads()`) and return it."""
    if n is None:
        n = auto_threads()
    n = check_int(n, "n", meaning="the number of threads")
    torch.set_num_threads(n)
    return n


def seed_everything(seed: int = 0) -> torch.Generator:
    """Seed Python, NumPy and torch (CPU and GPU); return a torch.Generator seeded the same way."""
    seed = check_int(seed, "seed", minimum=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)  # also seeds every CUDA / MPS device
    return torch.Generator().manual_seed(seed)


def setup(seed: int = 0, verbose: bool = True) -> torch.device:
    """Set threads, seed everything and pick a device; the set-up cell of every notebook.

    In a notebook it also sets the course's figure style (`course.viz.style.use_course_style`): a
    colour-blind-safe colour cycle and figures stored at 150 dpi.
    """
    threads = set_threads()
    seed_everything(seed)
    device = get_device(verbose=False)
    if "IPython" in sys.modules:  # only a notebook shows figures; scripts do not pay for importing matplotlib
        from course.viz.style import use_course_style

        use_course_style()
    if verbose:
        print(f"Device: {device.type} | torch threads: {threads} | seed: {seed}")
        _report(device)
    return device
