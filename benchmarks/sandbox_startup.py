"""What the sandbox costs per notebook: start a grading kernel, run the assignments' set-up imports, shut it down.

Plain and sandboxed kernels alternate (so drifting machine load falls on both alike); the table gives the
median seconds of each and the difference. The library copy, made once per grading run, is timed apart.

    python benchmarks/sandbox_startup.py [--rounds 10]
    python benchmarks/sandbox_startup.py --smoke
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from common import machine, table
from course_grading.kernel import KERNEL_NAME, SCRIPT_NAME, install_kernel
from course_grading.sandbox import SandboxKernelManager, copy_library
from jupyter_client.manager import AsyncKernelManager

SETUP = "import numpy as np\nimport torch\nimport course\nfrom course.checks import check_close\n"


async def one_notebook(manager: AsyncKernelManager, folder: Path) -> float:
    """Seconds from starting the kernel to its shutdown, running SETUP once."""
    start = time.perf_counter()
    await manager.start_kernel(cwd=str(folder))
    client = manager.client()
    client.start_channels()
    await client.wait_for_ready(timeout=120)
    reply = await client.execute_interactive(SETUP, timeout=120)
    assert reply["content"]["status"] == "ok", reply["content"]
    client.stop_channels()
    await manager.shutdown_kernel(now=False)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    rounds = 1 if args.smoke else args.rounds
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        library = copy_library(Path(tmp, "library"))
        copy_seconds = time.perf_counter() - started
        plain_dir, boxed_dir = Path(tmp, "plain"), Path(tmp, "boxed")
        install_kernel(plain_dir, 3000, 100_000)
        install_kernel(boxed_dir, 3000, 100_000, script=library / SCRIPT_NAME)
        folder = Path(tmp, "autograded", "student", "assignment")
        folder.mkdir(parents=True)
        plain, boxed = [], []
        for _ in range(rounds):
            os.environ["JUPYTER_PATH"] = str(plain_dir)
            plain.append(asyncio.run(one_notebook(AsyncKernelManager(kernel_name=KERNEL_NAME), folder)))
            os.environ["JUPYTER_PATH"] = str(boxed_dir)
            boxed.append(asyncio.run(one_notebook(
                SandboxKernelManager(kernel_name=KERNEL_NAME, library=str(library)), folder)))
    p, b = statistics.median(plain), statistics.median(boxed)
    print(f"machine: {machine()}; {rounds} round(s), plain and sandboxed kernels alternating")
    print(table(["kernel", "median s/notebook", "min", "max"],
                [["plain", f"{p:.2f}", f"{min(plain):.2f}", f"{max(plain):.2f}"],
                 ["sandbox", f"{b:.2f}", f"{min(boxed):.2f}", f"{max(boxed):.2f}"]]))
    print(f"the sandbox adds {b - p:+.2f} s per notebook (median); copying the library, once per run: "
          f"{copy_seconds:.2f} s")


if __name__ == "__main__":
    main()
