"""Run the cheat battery of one assignment through the real instructor command, then check from outside.

`run_battery` writes the solution, the blank student version and one notebook per attack, runs
`python -m course_grading grade` on them in a subprocess, and records, after it returned: the grades, files
named with the run's marker, lines appended to instructor files, instructor files changed, processes left
running and connections to the test's listener. It then removes what it found.

Also a script, for a picture of what the attacks get (e.g. against a copy of the course, "before" a sandbox):
    cd tests && python -m cheats.run 01_logistic_regression [--course-dir DIR] [--jobs 2] [-- GRADER ARGS]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from course_grading.report import read_csv

from grading_helpers import solution_submission

from .build import ATTACKS, battery, write_battery
from .outside import (Listener, changed, clean_up, fingerprint, marked_appends, marked_files, marked_processes,
                      plant_places)

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class BatteryResult:
    """One assignment's battery: the grades and what the attacks left behind (already cleaned up)."""

    assignment: str
    returncode: int
    output: str
    seconds: float
    rows: dict[str, dict[str, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    processes: list[str] = field(default_factory=list)
    connections: list[bytes] = field(default_factory=list)

    def score(self, student: str) -> float:
        return float(self.rows[student]["score"])

    def max_score(self, student: str) -> float:
        return float(self.rows[student]["max_score"])

    def status(self, student: str) -> str:
        return self.rows[student]["status"]

    def describe(self, student: str) -> str:
        """One line: score/max, status and message."""
        row = self.rows.get(student)
        if row is None:
            return f"{student}: no row in grades.csv"
        return f"{student}: {row['score']}/{row['max_score']} {row['status']} {row['message'][:160]}"


def grader_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment with the interpreter's bin/ first on PATH (nbgrader runs a bare `alembic`)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.update(extra or {})
    return env


def _installed_course() -> Path:
    """The folder of the `course` package that a kernel started from this environment imports."""
    spec = importlib.util.find_spec("course")
    if spec is None or spec.origin is None:
        raise RuntimeError("the course package is not importable: install the project (make install)")
    return Path(spec.origin).resolve().parent


def run_battery(assignment: str, base: Path, *, course_dir: Path = ROOT, jobs: int = 2, timeout: int = 60,
                grader_args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                attacks: list[str] | None = None) -> BatteryResult:
    """Grade `assignment`'s battery (`attacks`, default all) under `base`; check and clean up from outside after."""
    course_dir = Path(course_dir).resolve()
    marker = f"cheatmark{uuid.uuid4().hex[:12]}"  # never in any path or argument the grader itself sees
    release = nbformat.read(course_dir / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    source = nbformat.read(course_dir / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    installed = _installed_course()
    watched = [course_dir / "course", course_dir / "solutions" / assignment, course_dir / "nbgrader_config.py",
               installed]
    appendable = [installed / "checks.py", installed.parent / "nbgrader_config.py", course_dir / "nbgrader_config.py"]
    shallow, deep = plant_places(course_dir, installed, base / "work")

    listener = Listener()
    try:
        students = battery(release, solution_submission(release, source), assignment=assignment, marker=marker,
                           port=listener.port, attacks=attacks)
        subs = write_battery(base / "submissions", students)
        before = fingerprint(watched)
        command = [sys.executable, "-m", "course_grading", "grade", assignment, str(subs), "--out", str(base / "out"),
                   "--course-dir", str(course_dir), "--timeout", str(timeout), "--jobs", str(jobs),
                   "--work-dir", str(base / "work"), *grader_args]
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=grader_env(env), timeout=1800)
        seconds = time.perf_counter() - start
    finally:
        connections = listener.close()
    # From outside, after the command returned. A double-forked child may take a moment to appear: look twice.
    processes = marked_processes(marker)
    time.sleep(1.0)
    processes.update(marked_processes(marker))
    files = marked_files(marker, shallow, deep)
    appended = marked_appends(marker, appendable)
    after = fingerprint(watched)
    clean_up(marker, processes, files, appended)

    result = BatteryResult(assignment, done.returncode, (done.stdout + done.stderr)[-6000:], seconds,
                           files=[str(f) for f in files], appended=sorted({str(f) for f in appended}),
                           changed=changed(before, after), processes=sorted(processes.values()),
                           connections=connections)
    if (base / "out" / "grades.csv").exists():
        result.rows = read_csv(base / "out" / "grades.csv")
    return result


def report(result: BatteryResult) -> str:
    """The battery's result as readable lines."""
    lines = [f"{result.assignment}: exit {result.returncode}, {result.seconds:.1f} s"]
    if result.returncode != 0:
        lines.append("  " + result.output[-2000:].replace("\n", "\n  "))
    lines += ["  " + result.describe(s) for s in ["solution", "blank"] + [a.student for a in ATTACKS.values()]
              if s in result.rows]
    for label, items in (("files left", result.files), ("lines appended", result.appended),
                         ("instructor files changed", result.changed), ("processes left", result.processes),
                         ("connections", result.connections)):
        lines.append(f"  {label}: {len(items)}" + "".join(f"\n    {item!r}" for item in items[:12]))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the battery of the named assignments and print what happened."""
    parser = argparse.ArgumentParser(prog="python -m cheats.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignments", nargs="+")
    parser.add_argument("--course-dir", default=str(ROOT))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--timeout", type=int, default=60)
    parser.add_argument("--attacks", default=None, help="comma-separated attack names (default: all at once)")
    parser.add_argument("--alone", action="store_true", help="one grading run per attack, each with solution and blank")
    parser.add_argument("--keep", default=None, help="keep the runs' folders under this folder")
    argv = sys.argv[1:] if argv is None else argv
    cut = argv.index("--") if "--" in argv else len(argv)  # after --: extra arguments for the grader
    args, extra = parser.parse_args(argv[:cut]), tuple(argv[cut + 1:])
    chosen = args.attacks.split(",") if args.attacks else None
    groups = [[name] for name in (chosen or list(ATTACKS))] if args.alone else [chosen]
    for assignment in args.assignments:
        for attacks in groups:
            with tempfile.TemporaryDirectory(prefix="cheats-", dir=args.keep) as tmp:
                base = Path(tempfile.mkdtemp(prefix=f"{assignment}-", dir=args.keep)) if args.keep else Path(tmp)
                result = run_battery(assignment, base, course_dir=Path(args.course_dir), jobs=args.jobs,
                                     timeout=args.timeout, grader_args=extra, attacks=attacks)
            print(report(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
