"""Simulate mybinder.org's build of the course and its first lecture, offline where the package index is local.

    python tools/binder_check.py [--keep DIR] [--lecture lectures/01_learning_as_optimisation.ipynb]

Steps, as repo2docker takes them (each timed; the first failure stops the check with exit 1):
1. a clean virtual environment, then `pip install -r binder/requirements.txt` (the cached dependency layer);
2. binder/postBuild, run in a copy of the course, which installs the course without dependencies;
3. lecture 01 executed there on a fresh kernel pinned to one CPU (Binder gives 1 CPU), checking that the
   course's thread choice sees that one CPU.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

sys.path.insert(0, str(Path(__file__).resolve().parent))
from release_check import RUN_NOTEBOOK, CheckFailed, _run  # noqa: E402  (tools/ scripts, not a package)

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("course", "lectures", "binder", "pyproject.toml", "README.md", "LICENSE", "LICENSE-CONTENT.md")


def _resolves(host: str) -> bool:
    try:
        socket.getaddrinfo(host, 443)
    except OSError:
        return False
    return True


def requirements_here(into: Path) -> tuple[Path, str]:
    """binder/requirements.txt as pip here should read it, and a note on what was changed.

    Behind a package mirror with no internet the PyTorch CPU index cannot be reached, and pip would retry it five
    times for each of the ~120 packages (minutes); there the file is used without its --extra-index-url line,
    every pin unchanged (torch==2.13.0 then comes from the mirror, which must hold the CPU build).
    """
    source = ROOT / "binder" / "requirements.txt"
    lines = source.read_text().splitlines()
    index = [line for line in lines if line.startswith("--extra-index-url")]
    hosts = [urlparse(line.split(maxsplit=1)[1]).hostname or "" for line in index]
    if all(_resolves(host) for host in hosts):
        return source, ""
    copy = into / "requirements.txt"
    copy.write_text("\n".join(line for line in lines if not line.startswith("--extra-index-url")) + "\n")
    return copy, f" (without the unreachable index {', '.join(hosts)}: pins unchanged)"


def dependency_layer(venv: Path) -> tuple[Path, str]:
    """A clean virtual environment with binder/requirements.txt installed (and a notebook runner); its python."""
    _run([sys.executable, "-m", "venv", str(venv)], "creating the virtual environment")
    python = venv / "bin" / "python"
    requirements, note = requirements_here(venv)
    # nbclient runs the notebook here; on Binder, JupyterLab's own server does (jupyterlab is in the layer)
    _run(
        [str(python), "-m", "pip", "install", "-q", "-r", str(requirements), "nbclient"],
        "pip install -r binder/requirements.txt",
    )
    return python, note


def post_build(python: Path, into: Path) -> str:
    """Copy the course to `into` and run binder/postBuild there with the layer's python first on the PATH."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", ".ipynb_checkpoints")
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=skip)
        elif source.exists():
            shutil.copy(source, into / name)
    env = {**_clean_env(), "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    _run(["bash", str(into / "binder" / "postBuild")], "binder/postBuild", cwd=into, env=env)
    done = _run(
        [str(python), "-c", "import course; print(course.__file__)"], "importing course", cwd=into / "lectures", env=env
    )
    return done.stdout.strip()


def one_cpu_lecture(python: Path, course: Path, lecture: str) -> str:
    """Execute `lecture` of the copied course on one CPU (taskset); check the library sees one CPU."""
    env = {**_clean_env(), "PATH": f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    taskset = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    seen = _run(
        [*taskset, str(python), "-c", "import course.device as d; print(d.available_cpus())"],
        "reading the CPU count",
        env=env,
    ).stdout.strip()
    if taskset and seen != "1":
        raise CheckFailed(f"on one CPU the course counted {seen} usable CPUs")
    path = course / lecture
    done = _run(
        [*taskset, str(python), "-c", RUN_NOTEBOOK, str(path), str(path.parent)],
        f"running {lecture}",
        cwd=path.parent,
        env=env,
    )
    return done.stdout.strip().splitlines()[-1] + (f" on 1 CPU (the course counted {seen})" if taskset else "")


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JUPYTER_PATH", "VIRTUAL_ENV")}


def main(argv: list[str] | None = None) -> int:
    """Run the three steps, one timed line each; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", default=None, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--lecture", default="lectures/01_learning_as_optimisation.ipynb")
    args = parser.parse_args(argv)
    base = Path(args.keep or tempfile.mkdtemp(prefix="binder-check-")).resolve()
    (base / "repo").mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        python, note = dependency_layer(base / "venv")
        print(
            f"1. dependency layer (binder/requirements.txt) installed in {time.perf_counter() - start:.0f} s{note}",
            flush=True,
        )
        start = time.perf_counter()
        where = post_build(python, base / "repo")
        print(f"2. postBuild installed the course in {time.perf_counter() - start:.1f} s: {where}", flush=True)
        print(f"3. {one_cpu_lecture(python, base / 'repo', args.lecture)}")
    except CheckFailed as err:
        print(f"binder check FAILED: {err}", file=sys.stderr)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print("binder check passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
