"""The course from the command line, on any system (Windows included, no make needed).

    python -m course start [--port 8888] [--root DIR]   # JupyterLab on the lectures; prints the URL
    python -m course info                                # version, torch, device, threads, data folders
`course start` and `course info` do the same where the package's console script is on the PATH.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
from pathlib import Path


def course_root(root: str | Path | None = None) -> Path:
    """The folder holding the course's `lectures/`: `root`, else the current folder, else the clone the package
    was installed from (pip install -e .). Raises SystemExit with what to do where there is none."""
    here = Path(__file__).resolve().parent.parent
    candidates = [Path(root)] if root is not None else [Path.cwd(), here]
    for candidate in candidates:
        if (candidate / "lectures").is_dir():
            return candidate.resolve()
    where = f"{candidates[0]}" if root is not None else f"{Path.cwd()} (nor in {here})"
    raise SystemExit(
        f"course start: no lectures/ folder in {where}. Run it from your copy of the course "
        "(git clone, or the student edition's folder), or pass --root FOLDER."
    )


def start_command(port: int, root: Path) -> list[str]:
    """The JupyterLab command `start` runs: local only, no browser, opening on the lectures."""
    command = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        f"--ServerApp.root_dir={root}",
        "--LabApp.default_url=/lab/tree/lectures",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # Jupyter refuses root unless told; containers often are
        command.append("--allow-root")
    return command


def start(port: int, root: str | Path | None, dry_run: bool = False) -> int:
    """Start JupyterLab on the course (or, with `dry_run`, print the command); return its exit status."""
    folder = course_root(root)
    if not 1 <= port <= 65535:
        raise SystemExit(f"course start: --port must be between 1 and 65535, got {port}.")
    if importlib.util.find_spec("jupyterlab") is None:
        raise SystemExit(
            "course start: JupyterLab is not installed in this Python. Install the course with it: "
            "pip install -e '.[lab]' (in the course folder)."
        )
    command = start_command(port, folder)
    if dry_run:
        print(subprocess.list2cmdline(command))
        return 0
    # Idle OpenMP threads sleep instead of spinning: much faster training when the CPU is shared.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "PASSIVE")}
    try:
        return subprocess.call(command, env=env)
    except KeyboardInterrupt:  # Ctrl-C stops JupyterLab, which shuts down on the same signal
        return 0


def info() -> int:
    """Print what a bug report needs: versions, the device the course would use, threads and data folders."""
    import torch

    import course
    from course.data.download import cache_root

    print(f"course {course.__version__} ({Path(course.__file__).resolve().parent})")
    print(f"python {sys.version.split()[0]}, torch {torch.__version__}, on {sys.platform}")
    print(f"device: {course.get_device()}; usable CPUs: {course.device.available_cpus()}")
    print(f"COURSE_DATA_DIR: {os.environ.get('COURSE_DATA_DIR') or '(not set)'}; cache: {cache_root()}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (`python -m course` and the `course` console script)."""
    parser = argparse.ArgumentParser(prog="course", description="the deep-learning course")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("start", help="JupyterLab on the course's lectures (prints the URL)")
    run.add_argument("--port", type=int, default=8888)
    run.add_argument("--root", default=None, help="the course folder (default: this folder, or the clone)")
    run.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    commands.add_parser("info", help="versions, device, threads and data folders")
    args = parser.parse_args(argv)
    if args.command == "start":
        return start(args.port, args.root, args.dry_run)
    return info()


if __name__ == "__main__":
    sys.exit(main())
