"""Check a release as a user would get it: build the packages, install the student wheel into a clean
virtual environment, import it there and run lecture 01 with it.

    python tools/release_check.py [--keep DIR] [--lecture lectures/01_learning_as_optimisation.ipynb]

Steps (each timed, the first failure stops the check with exit 1 and says what failed):
1. build the sdist and the wheel of the course (`.`) and of the grader (`grading/`) with `python -m build`;
2. look inside the course wheel: the library and its data subset are there, and no grader, solution, test
   or instructor file is;
3. make a clean virtual environment (no system site-packages), install torch (pinned as in CI; extra pip
   arguments from TORCH_PIP_ARGS, e.g. a CPU wheel index), then the wheel with its dependencies, plus the
   two packages that run a notebook (ipykernel, nbclient);
4. there: `import course` must come from the installed wheel and report the wheel's version;
5. there: execute the lecture top to bottom on a fresh kernel, from a folder outside the repository.
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / ".ci" / "constraints.txt"
TORCH = "torch==2.13.0"  # the version that made the stored outputs (as the Makefile installs it)
# What the student wheel must hold, and what it must never hold.
REQUIRED = ("course/__init__.py", "course/train.py", "course/data/subset/manifest.json")
FORBIDDEN = ("course_grading/", "solutions/", "tests/", "grading/", "nbgrader_config.py", "INSTRUCTORS.md")

RUN_NOTEBOOK = """
import sys, time, nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
print(f"executed {path} in {time.perf_counter() - start:.1f} s, {len(errors)} error output(s)")
sys.exit(1 if errors else 0)
"""


class CheckFailed(RuntimeError):
    """One step of the release check failed; the message says which and why."""


def _run(cmd: list[str], step: str, **kw) -> subprocess.CompletedProcess:
    done = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if done.returncode != 0:
        raise CheckFailed(
            f"{step} failed (exit {done.returncode}): {shlex.join(cmd)}\n{(done.stdout + done.stderr)[-3000:]}"
        )
    return done


def _sources(into: Path) -> tuple[Path, Path]:
    """Copies of what the two packages are built from (the build writes nothing into the repository)."""
    course, grading = into / "course-src", into / "grading-src"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build", "dist")
    course.mkdir(parents=True)
    for name in ("pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md"):
        shutil.copy(ROOT / name, course / name)
    shutil.copytree(ROOT / "course", course / "course", ignore=skip)
    shutil.copytree(ROOT / "grading", grading, ignore=skip)
    shutil.copy(ROOT / "LICENSE", grading / "LICENSE")
    return course, grading


def build(dist: Path) -> dict[str, Path]:
    """Build the sdists and wheels of the course and the grader into `dist`; return them by kind."""
    for folder in _sources(Path(tempfile.mkdtemp(prefix="sources-", dir=dist.parent))):
        # --no-isolation: use this environment's setuptools instead of downloading one (works offline)
        _run(
            [sys.executable, "-m", "build", "--no-isolation", "--sdist", "--wheel", "--outdir", str(dist), str(folder)],
            f"building {folder.name}",
        )
    found = {
        "course_wheel": [p for p in dist.glob("deep_learning_course-*.whl")],
        "course_sdist": [p for p in dist.glob("deep_learning_course-*.tar.gz")],
        "grading_wheel": [p for p in dist.glob("deep_learning_course_grading-*.whl")],
        "grading_sdist": [p for p in dist.glob("deep_learning_course_grading-*.tar.gz")],
    }
    missing = [kind for kind, paths in found.items() if len(paths) != 1]
    if missing:
        raise CheckFailed(f"the build did not produce exactly one of each package: {missing} (in {dist})")
    return {kind: paths[0] for kind, paths in found.items()}


def check_wheel(wheel: Path) -> list[str]:
    """The wheel's file names; raise `CheckFailed` if a required file is missing or an instructor file is in it."""
    names = zipfile.ZipFile(wheel).namelist()
    missing = [r for r in REQUIRED if r not in names]
    leaked = [n for n in names if n.startswith(FORBIDDEN)]
    if missing or leaked:
        raise CheckFailed(f"{wheel.name}: missing {missing}; must not hold {leaked[:10]}")
    return names


def wheel_version(wheel: Path) -> str:
    """The version in a wheel's file name (name-version-python-abi-platform.whl)."""
    return wheel.name.split("-")[1]


def install(venv: Path, wheel: Path) -> Path:
    """A clean virtual environment at `venv` with torch, `wheel` and a notebook runner; return its python."""
    _run([sys.executable, "-m", "venv", str(venv)], "creating the virtual environment")
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pins = ["-c", str(CONSTRAINTS)] if CONSTRAINTS.exists() else []
    torch_args = shlex.split(os.environ.get("TORCH_PIP_ARGS", ""))
    _run([str(python), "-m", "pip", "install", "-q", *pins, TORCH, *torch_args], "installing torch")
    _run(
        [str(python), "-m", "pip", "install", "-q", *pins, str(wheel), "ipykernel", "nbclient"], "installing the wheel"
    )
    return python


def check_import(python: Path, version: str, outside: Path) -> str:
    """`import course` in the clean environment: from its site-packages, with the wheel's version."""
    done = _run(
        [str(python), "-c", "import course, sys; print(course.__file__); print(course.__version__)"],
        "importing course",
        cwd=outside,
    )
    where, found = done.stdout.split()[-2:]
    if str(ROOT) in where or "site-packages" not in where:
        raise CheckFailed(f"`import course` loaded {where}, not the installed wheel")
    if found != version:
        raise CheckFailed(f"course.__version__ is {found!r} but the wheel is version {version!r}")
    return where


def run_lecture(python: Path, lecture: Path, outside: Path) -> str:
    """Execute `lecture` (a copy, in `outside`) on a fresh kernel of the clean environment."""
    copy = outside / lecture.name
    shutil.copy(lecture, copy)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH", "VIRTUAL_ENV")}
    env["PATH"] = str(python.parent) + os.pathsep + env.get("PATH", "")
    done = _run(
        [str(python), "-c", RUN_NOTEBOOK, str(copy), str(outside)], f"running {lecture.name}", cwd=outside, env=env
    )
    return done.stdout.strip().splitlines()[-1]


def main(argv: list[str] | None = None) -> int:
    """Run every step, print one timed line per step, and return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", default=None, help="build in this folder and keep it (default: a temporary one)")
    parser.add_argument("--lecture", default=str(ROOT / "lectures" / "01_learning_as_optimisation.ipynb"))
    args = parser.parse_args(argv)
    base = Path(args.keep or tempfile.mkdtemp(prefix="release-check-")).resolve()
    base.mkdir(parents=True, exist_ok=True)
    (base / "outside").mkdir(exist_ok=True)
    try:
        start = time.perf_counter()
        packages = build(base / "dist")
        sizes = ", ".join(f"{p.name} {p.stat().st_size / 1e3:,.0f} kB" for p in packages.values())
        print(f"1. built in {time.perf_counter() - start:.0f} s: {sizes}", flush=True)
        names = check_wheel(packages["course_wheel"])
        print(f"2. the course wheel holds {len(names)} files, the data subset included, and no instructor file")
        start = time.perf_counter()
        python = install(base / "venv", packages["course_wheel"])
        print(f"3. clean environment installed in {time.perf_counter() - start:.0f} s", flush=True)
        version = wheel_version(packages["course_wheel"])
        where = check_import(python, version, base / "outside")
        print(f"4. import course: {where}, version {version}")
        print(f"5. {run_lecture(python, Path(args.lecture), base / 'outside')}")
    except CheckFailed as err:
        print(f"release check FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("release check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
