"""Autograding throughput: N copies of each assignment's solution (N students) through the instructor's
command, `python -m course_grading grade` (here its function, course_grading.grade.grade).

    python benchmarks/grading_throughput.py [--students 30] [--jobs N] [--serial] [--sandbox-cost] [ASSIGNMENT ...]
    python benchmarks/grading_throughput.py --smoke     # 2 students of the first assignment
--serial also grades the first assignment one notebook at a time (--jobs 1), to show what running
notebooks in parallel gains. --sandbox-cost grades every assignment twice in turn, with and without the
sandbox, and prints the difference per submission (the sandbox is on everywhere else).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import nbformat

from common import ROOT, machine, table
from course_grading.grade import default_jobs, grade
from grading_helpers import solution_submission


def grade_copies(assignment: str, students: int, jobs: int, sandbox: bool = True) -> tuple[float, float, int]:
    """(seconds, mean score fraction, submissions not 'ok') for `students` copies of the solution."""
    source = nbformat.read(ROOT / "solutions" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(ROOT / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    answered = solution_submission(release, source)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp, "submissions")
        folder.mkdir()
        for i in range(students):
            nbformat.write(answered, folder / f"student{i:02d}.ipynb")
        start = time.perf_counter()
        rows = grade(assignment, folder, Path(tmp, "out"), course_dir=ROOT, jobs=jobs, sandbox=sandbox,
                     echo=lambda _text: None)
        seconds = time.perf_counter() - start
    return seconds, sum(r.score / r.max_score for r in rows) / len(rows), sum(r.status != "ok" for r in rows)


def sandbox_cost(names: list[str], students: int, jobs: int) -> None:
    """Seconds per submission with and without the sandbox, side by side (alternating, so load drifts cancel)."""
    headers = ["assignment", "students", "s/submission, no sandbox", "s/submission, sandbox", "sandbox adds"]
    rows, added = [], []
    for name in names:
        plain, _, _ = grade_copies(name, students, jobs, sandbox=False)
        boxed, score, bad = grade_copies(name, students, jobs, sandbox=True)
        assert bad == 0 and score == 1.0, f"{name}: the solution did not grade cleanly in the sandbox"
        added.append((boxed - plain) / students)
        rows.append([name, students, f"{plain / students:.2f}", f"{boxed / students:.2f}", f"{added[-1]:+.2f} s"])
        print(table(headers, rows[-1:]), flush=True)
    print()
    print(table(headers, rows))
    print(f"the sandbox adds {sum(added) / len(added):+.2f} s per submission on average")


def main() -> None:
    """Grade every assignment and print seconds per submission."""
    parser = argparse.ArgumentParser(description="autograding throughput")
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=None, help="notebooks graded at once (default: automatic)")
    parser.add_argument("--serial", action="store_true", help="also grade the first assignment with --jobs 1")
    parser.add_argument("--sandbox-cost", action="store_true",
                        help="grade each assignment with and without the sandbox, alternately, and compare")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    names = args.assignments or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    if args.smoke:
        names, args.students = names[:1], 2
    jobs = args.jobs or default_jobs()
    print(f"machine: {machine()}; {args.students} students per assignment; {jobs} notebooks at once")
    if args.sandbox_cost:
        sandbox_cost(names, args.students, jobs)
        return
    headers = ["assignment", "jobs", "students", "total s", "s/submission", "mean auto score", "not ok"]
    plan = [(name, jobs) for name in names] + ([(names[0], 1)] if args.serial and jobs != 1 else [])
    rows, total, count = [], 0.0, 0
    for name, j in plan:
        seconds, score, bad = grade_copies(name, args.students, j)
        if j == jobs:
            total, count = total + seconds, count + args.students
        rows.append([name, j, args.students, f"{seconds:.1f}", f"{seconds / args.students:.2f}", f"{score:.0%}", bad])
        print(table(headers, rows[-1:]), flush=True)
    print()
    print(table(headers, rows))
    print(f"all assignments ({jobs} at once): {total:.1f} s for {count} submissions, "
          f"{total / max(1, count):.2f} s per submission")


if __name__ == "__main__":
    main()
