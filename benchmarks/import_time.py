"""What `import course` costs on top of `import torch`, from `python -X importtime`, median of several fresh runs.

    python benchmarks/import_time.py [--runs 7]
Also the price of the parts that load on first use (course.viz with matplotlib, course.widgets with ipywidgets,
course.checks), which a grading kernel or a script that never draws does not pay.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

from common import machine, table

GOAL_S = 0.15  # issue 16: import course adds at most this to import torch
PARTS = ("course", "course.viz", "course.widgets", "course.checks")


def cumulative_seconds(statement: str) -> dict[str, float]:
    """Run `statement` in a fresh interpreter with -X importtime; return each top-level module's cumulative s."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True, text=True,
                          check=True)
    out: dict[str, float] = {}
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if name.strip() in ("torch", *PARTS) and name.strip() not in out:
            out[name.strip()] = int(cumulative) / 1e6  # microseconds; a module is timed where it is first imported
    return out


def main() -> None:
    """Time torch, then course, then each lazily loaded part, each in its own fresh run."""
    parser = argparse.ArgumentParser(description="import time of the course library")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {machine()}; median of {args.runs} fresh interpreters")
    rows = []
    for part in PARTS:
        statement = "import torch, course" + (f"; import {part}" if part != "course" else "")
        runs = [cumulative_seconds(statement) for _ in range(args.runs)]
        torch_s = statistics.median(r["torch"] for r in runs)
        part_s = statistics.median(r.get(part, 0.0) for r in runs)
        rows.append([f"import {part}" + (" (after torch)" if part == "course" else " (after torch and course)"),
                     f"{part_s:.3f}", f"{torch_s:.3f}"])
    print(table(["statement", "s (median)", "torch itself, s"], rows))
    added = float(rows[0][1])
    print(f"import course adds {added:.3f} s to import torch (goal: at most {GOAL_S} s): "
          f"{'met' if added <= GOAL_S else 'NOT met'}")


if __name__ == "__main__":
    main()
