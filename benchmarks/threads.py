"""Threads: one LeNet-5 epoch with 1 and 2 intra-op threads and with the library's automatic choice,
and the choice under a simulated 1-CPU quota (as on mybinder.org).

    python benchmarks/threads.py [--smoke]
"""

from __future__ import annotations

import argparse
import os
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


def main() -> None:
    """Time the settings and show the automatic choice, then simulate a 1-CPU quota."""
    parser = argparse.ArgumentParser(description="thread count benchmark")
    parser.add_argument("--smoke", action="store_true")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    train, _ = digits(full=False)  # the shipped subset: 10,000 images, enough for a stable epoch time
    x, y = (train.x - MEAN) / STD, train.y
    if args.smoke:
        x, y = x[:512], y[:512]
    auto = course.available_cpus()
    print(f"machine: {machine()}; images per epoch {len(y):,}")
    rows = []
    for label, n in (("1 thread", 1), ("2 threads", 2), (f"automatic ({auto})", auto)):
        times = [one_epoch(n, x, y) for _ in range(1 if args.smoke else args.repeats)]
        rows.append([label, f"{min(times):.2f}", f"{max(times):.2f}"])
    print(table(["setting", "best s/epoch", "worst s/epoch"], rows))

    with tempfile.TemporaryDirectory() as cg:
        Path(cg, "cpu.max").write_text("100000 100000\n")  # cgroup v2: 1 CPU's worth of time per period
        print(f"simulated cgroup quota of 1 CPU (cpu.max '100000 100000'): available_cpus() = "
              f"{course.available_cpus(cg)}")
    if hasattr(os, "sched_setaffinity"):
        before = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {min(before)})
        try:
            print(f"affinity restricted to one CPU: available_cpus() = {course.available_cpus()}")
        finally:
            os.sched_setaffinity(0, before)


if __name__ == "__main__":
    main()
