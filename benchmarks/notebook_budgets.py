"""Execute notebooks on fresh kernels and print wall time and the kernel's peak memory (RSS) for each.

Usage: python benchmarks/notebook_budgets.py [NOTEBOOK ...] [--budget-seconds 90] [--budget-mb 1536]
With no notebook given, runs every lecture and solution notebook. Exits 1 if any notebook errors or
exceeds its budget. The notebooks are executed in memory; the files are not changed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory (VmHWM) of a live process in MiB, read from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_notebook(path: Path, timeout: int = 900) -> tuple[float, float, int]:
    """Run one notebook top to bottom; return (seconds, peak RSS MiB, number of error outputs)."""
    nb = nbformat.read(path, as_version=4)
    seconds, peak = execute(nb, path.parent, timeout)
    return seconds, peak, len(errors_of(nb))


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 900) -> tuple[float, float]:
    """Run every cell of `nb` in place on a fresh kernel started in `cwd`; return (seconds, peak RSS MiB).

    Errors do not stop the run: they stay in the cells' outputs (see errors_of)."""
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's start-up warnings would split the table
        pid = client.km.provisioner.process.pid
        for index, cell in enumerate(nb.cells):
            client.execute_cell(cell, index)
        seconds = time.perf_counter() - start
        peak = peak_rss_mb(pid)
    return seconds, peak


def errors_of(nb: nbformat.NotebookNode) -> list[str]:
    """'ename: evalue' of every error output in an executed notebook."""
    return [f"{o.get('ename')}: {o.get('evalue')}" for c in nb.cells for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: print a table and check budgets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--budget-seconds", type=float, default=90.0)
    parser.add_argument("--budget-mb", type=float, default=1536.0)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted(ROOT.glob("lectures/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))
    print(f"{'notebook':<62} {'seconds':>8} {'peak MiB':>9} {'errors':>6}  budget")
    total_s, worst_mb, failed = 0.0, 0.0, False
    for path in paths:
        seconds, peak, errors = run_notebook(path)
        ok = errors == 0 and seconds <= args.budget_seconds and peak <= args.budget_mb
        failed |= not ok
        total_s += seconds
        worst_mb = max(worst_mb, peak)
        name = str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
        print(f"{name:<62} {seconds:8.1f} {peak:9.0f} {errors:6d}  {'ok' if ok else 'OVER/ERROR'}", flush=True)
    print(f"{'total':<62} {total_s:8.1f} {worst_mb:9.0f} (max)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
