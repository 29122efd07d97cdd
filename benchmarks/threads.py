"""Threads: one LeNet-5 epoch with 1 and 2 intra-op threads and with the library's automatic choice,
on a quiet machine and with one CPU kept busy by another process; then the choice under a simulated
1-CPU quota (as on mybinder.org) and a one-CPU affinity.

    python benchmarks/threads.py [--full] [--repeats 3] [--smoke]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from common import MEAN, STD, course, digits, machine, table


def one_epoch(threads: int, x: torch.Tensor, y: torch.Tensor) -> float:
    """Seconds for one LeNet-5 training epoch with `threads` intra-op threads."""
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = course.LeNet5()
    start = time.perf_counter()
    course.fit(model, (x, y), epochs=1, batch_size=128, seed=0, progress=False, metrics=())
    return time.perf_counter() - start


def measure(scenario: str, x: torch.Tensor, y: torch.Tensor, repeats: int) -> list[list[object]]:
    """Rows (scenario, setting, best, worst) for 1 thread, 2 threads and the automatic choice made now."""
    auto = course.device.auto_threads()
    rows, results = [], {}
    for label, n in (("1 thread", 1), ("2 threads", 2), (f"automatic -> {auto}", auto)):
        times = [one_epoch(n, x, y) for _ in range(repeats)]
        results[label] = min(times)
        rows.append([scenario, label, f"{min(times):.2f}", f"{max(times):.2f}", ""])
    slower = 1 if results["1 thread"] > results["2 threads"] else 2
    rows[-1][-1] = "YES" if auto == slower else "no"  # did it pick the slower of the two fixed settings?
    return rows


def main() -> None:
    """Time the settings in both scenarios, then show the choice under a 1-CPU quota and affinity."""
    parser = argparse.ArgumentParser(description="thread count benchmark")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--full", action="store_true", help="full MNIST epochs (60,000 images)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    train, _ = digits(full=args.full and not args.smoke)
    x, y = (train.x - MEAN) / STD, train.y
    if args.smoke:
        x, y = x[:512], y[:512]
    repeats = 1 if args.smoke else args.repeats
    print(f"machine: {machine()}; images per epoch {len(y):,}; OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}")
    one_epoch(1, x[:1024], y[:1024])  # warm-up: first calls allocate and pick kernels
    rows = measure("quiet", x, y, repeats)
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # another process keeps one CPU busy
    try:
        time.sleep(1.0)
        rows += measure("1 CPU busy", x, y, repeats)
    finally:
        hog.kill()
        hog.wait()
    print(table(["scenario", "setting", "best s/epoch", "worst s/epoch", "picked the slower?"], rows))

    with tempfile.TemporaryDirectory() as cg:
        Path(cg, "cpu.max").write_text("100000 100000\n")  # cgroup v2: 1 CPU's worth of time per period
        print(f"simulated cgroup quota of 1 CPU (cpu.max '100000 100000'): available_cpus() = "
              f"{course.device.available_cpus(cg)}")
    if hasattr(os, "sched_setaffinity"):
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(before)})
        try:
            print(f"affinity restricted to one CPU: available_cpus() = {course.device.available_cpus()}, "
                  f"auto_threads() = {course.device.auto_threads()}")
        finally:
            os.sched_setaffinity(0, before)


if __name__ == "__main__":
    main()
