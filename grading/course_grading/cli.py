"""Command line: `python -m course_grading grade ASSIGNMENT SUBMISSIONS --out DIR`."""

from __future__ import annotations

import argparse
import sys

from .grade import grade


def parser() -> argparse.ArgumentParser:
    """The argument parser of `python -m course_grading`."""
    top = argparse.ArgumentParser(prog="python -m course_grading", description="Instructor tools for the course.")
    commands = top.add_subparsers(dest="command", required=True)
    g = commands.add_parser(
        "grade",
        help="autograde a folder or .zip of student notebooks",
        description="Autograde every submission of ASSIGNMENT; write DIR/grades.csv and DIR/feedback/<student>.html.",
    )
    g.add_argument("assignment", help="assignment name, e.g. 01_logistic_regression")
    g.add_argument(
        "submissions", help="folder or .zip: alice.ipynb, alice/<NAME>.ipynb, or nbgrader's submitted/ layout"
    )
    g.add_argument("--out", required=True, help="output folder for grades.csv, feedback/ and nbgrader.log")
    g.add_argument("--timeout", type=int, default=300, help="seconds allowed per cell (default 300)")
    g.add_argument("--memory-mb", type=int, default=3000, help="memory ceiling of each student's kernel (default 3000)")
    g.add_argument("--max-output", type=int, default=100_000, help="characters of printed output kept per cell")
    g.add_argument("--course-dir", default=".", help="course folder holding nbgrader_config.py and the sources")
    g.add_argument(
        "--jobs", type=int, default=None, help="notebooks graded at once (default: one per usable CPU, at most 4)"
    )
    g.add_argument("--work-dir", default=None, help="keep nbgrader's working course folder here (default: temporary)")
    g.add_argument("--cpu-seconds", type=int, default=1800, help="CPU seconds each student's kernel may use in all")
    g.add_argument(
        "--processes",
        type=int,
        default=256,
        help="processes and threads each student's kernel may run (enforced when grading as root)",
    )
    g.add_argument(
        "--id-pattern",
        default=None,
        metavar="PATTERN",
        help="take student ids out of entry names: 'moodle', 'canvas' (their bulk downloads) or a "
        "regular expression with a group (?P<student_id>...)",
    )
    g.add_argument(
        "--lms",
        choices=("canvas", "moodle"),
        default=None,
        help="also write DIR/<lms>.csv, the platform's grade-import file (needs --id-map)",
    )
    g.add_argument(
        "--id-map",
        default=None,
        metavar="CSV",
        help="CSV with a 'student' column (the grader's id) and the platform's: canvas_id, "
        "sis_user_id, sis_login_id, section, name, email, idnumber, username",
    )
    g.add_argument(
        "--force",
        action="store_true",
        help="grade into a DIR that holds an earlier run: its files move to DIR/previous/<time>/ and the "
        "hand-entered 'written' scores are carried over (without it such a DIR is refused)",
    )
    g.add_argument(
        "--into-course",
        action="store_true",
        help="also record the results in the course's gradebook and autograded/ folder, so formgrader lists "
        "every submission for hand-grading (run 'nbgrader generate_assignment' there first)",
    )
    g.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show a progress bar on stderr (default: when stderr is a terminal)",
    )
    g.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run student code WITHOUT the sandbox (only on a machine that holds nothing else of value)",
    )
    return top


def main(argv: list[str] | None = None) -> int:
    """Run the command; return the exit status (0: graded, 2: bad arguments or missing files)."""
    args = parser().parse_args(argv)
    from .sandbox import SandboxUnavailable

    try:
        grade(
            args.assignment,
            args.submissions,
            args.out,
            timeout=args.timeout,
            memory_mb=args.memory_mb,
            course_dir=args.course_dir,
            max_output_chars=args.max_output,
            work_dir=args.work_dir,
            jobs=args.jobs,
            sandbox=not args.no_sandbox,
            cpu_seconds=args.cpu_seconds,
            processes=args.processes,
            id_regex=args.id_pattern,
            lms=args.lms,
            id_map=args.id_map,
            force=args.force,
            into_course=args.into_course,
            progress=args.progress,
        )
    except SandboxUnavailable as err:
        print(f"error: refusing to grade without a sandbox: {err}", file=sys.stderr)
        return 2
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0
