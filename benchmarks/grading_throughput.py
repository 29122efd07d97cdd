"""Autograding throughput: grade N copies of each assignment's solution (N students) in one nbgrader run.

    python benchmarks/grading_throughput.py [--students 30] [ASSIGNMENT ...]
    python benchmarks/grading_throughput.py --smoke     # 2 students of the first assignment
"""

from __future__ import annotations

import argparse
import tempfile
import time

import nbformat

from common import ROOT, table
from course.grading.workspace import Workspace


def grade_copies(assignment: str, students: int) -> tuple[float, float]:
    """Seconds to autograde `students` copies of the solution, and the mean score fraction."""
    with tempfile.TemporaryDirectory() as tmp:
        ws = Workspace.create(tmp, ROOT, assignment)
        ws.generate()
        nb = nbformat.read(ws.source_notebook, as_version=4)
        names = [f"student{i:02d}" for i in range(students)]
        for name in names:
            ws.submit(name, nb)
        start = time.perf_counter()
        ws.nbgrader("autograde", assignment, "--force", "--log-level=WARN")
        seconds = time.perf_counter() - start
        fractions = []
        for name in names:
            scores = ws.scores(name)
            got = sum(s or 0 for s, _ in scores.values())
            fractions.append(got / max(1e-9, sum(m for _, m in scores.values() if _ is not None)))
        return seconds, sum(fractions) / len(fractions)


def main() -> None:
    """Grade every assignment and print seconds per submission."""
    parser = argparse.ArgumentParser(description="autograding throughput")
    parser.add_argument("assignments", nargs="*")
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    names = args.assignments or sorted(p.name for p in (ROOT / "solutions").iterdir() if p.is_dir())
    if args.smoke:
        names, args.students = names[:1], 2
    rows, total = [], 0.0
    for name in names:
        seconds, score = grade_copies(name, args.students)
        total += seconds
        rows.append([name, args.students, f"{seconds:.1f}", f"{seconds / args.students:.2f}", f"{score:.0%}"])
        print(table(["assignment", "students", "total s", "s/submission", "mean auto score"], rows[-1:]), flush=True)
    print()
    print(table(["assignment", "students", "total s", "s/submission", "mean auto score"], rows))
    print(f"all assignments: {total:.1f} s for {args.students * len(names)} submissions")


if __name__ == "__main__":
    main()
