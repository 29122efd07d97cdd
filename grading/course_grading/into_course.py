"""`--into-course`: put the grader's results into the course's own gradebook and autograded/ folder.

The grader executes every notebook in throw-away nbgrader course folders (in the sandbox, several at once).
This module then hands each executed notebook to nbgrader in the real course, with execution turned off:
nbgrader's own `SaveAutoGrades` records the scores in the course's gradebook exactly as if it had run the
notebook itself, and the notebook lands in `autograded/<student>/<assignment>/`. Formgrader then lists every
submission, repaired ones included, for hand-grading the written answers.

nbgrader keeps hand-entered scores and comments when a submission is autograded again (it only updates the
automatic fields), so re-grading never loses them; the gradebook is also copied beside the results first.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from .workspace import CONFIG_FILE, nbgrader_env

IMPORT_CONFIG = """
# Written by course_grading --into-course (safe to delete): record already executed notebooks.
c = get_config()
{load}
c.CourseDirectory.root = {root!r}
c.CourseDirectory.submitted_directory = {staged!r}
from nbgrader.preprocessors import AssignLatePenalties, CheckCellMetadata, SaveAutoGrades
c.Autograde.sanitize_preprocessors = [CheckCellMetadata]  # cleaned and executed in the sandbox already
c.Autograde.autograde_preprocessors = [SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
"""


def course_gradebook(course_dir: str | Path) -> Path:
    """The course's gradebook file (its nbgrader_config.py's `db_url` if that is a sqlite file, else gradebook.db)."""
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    url = ""
    if (course_dir / CONFIG_FILE).is_file():
        config = PyFileConfigLoader(CONFIG_FILE, path=str(course_dir)).load_config()
        value = config.CourseDirectory.get("db_url")
        url = value if isinstance(value, str) else ""
    if url and not url.startswith("sqlite:///"):
        raise ValueError(f"--into-course works with a sqlite gradebook; {course_dir / CONFIG_FILE} sets db_url={url!r}")
    return Path(url[len("sqlite:///") :]) if url else course_dir / "gradebook.db"


def check_course(course_dir: str | Path, assignment: str) -> Path:
    """The course's gradebook, after checking it knows `assignment`; ValueError saying what to run if not."""
    db = course_gradebook(course_dir)
    known = False
    if db.is_file():
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
            known = bool(con.execute("select 1 from assignment where name = ?", (assignment,)).fetchone())
    if not known:
        raise ValueError(
            f"--into-course: the course gradebook {db} does not know assignment {assignment!r}. Release it first "
            f"(in {Path(course_dir).resolve()}: nbgrader generate_assignment {assignment}), then grade again."
        )
    return db


def already_graded(course_dir: str | Path, assignment: str, students: list[str]) -> list[str]:
    """The students among `students` who already have an autograded `assignment` in the course."""
    root = Path(course_dir).resolve()
    return [s for s in students if (root / "autograded" / s / assignment).exists()]


def import_graded(
    course_dir: str | Path,
    assignment: str,
    graded: dict[str, Path],
    scratch: Path,
    files: dict[str, dict[str, str]] | None = None,
    env: dict[str, str] | None = None,
) -> str:
    """Record each student's executed notebook in the course's gradebook and autograded/; return nbgrader's log.

    Parameters
    ----------
    course_dir, assignment
        The course folder (with its nbgrader_config.py) and the assignment.
    graded
        {student id: their notebook as executed by the grader}.
    scratch
        An empty folder for the staged notebooks and the one-off configuration.
    files
        {student id: {file name: text}}: nbgrader's files of each submission (timestamp.txt, for the course's late
        penalties; submission_secret.txt, for returning feedback through the exchange), put beside the notebook.
    env
        Extra environment variables for nbgrader.
    """
    import subprocess
    import sys

    root = Path(course_dir).resolve()
    staged = scratch / "submitted"
    for sid, notebook in graded.items():
        folder = staged / sid / assignment
        folder.mkdir(parents=True)
        shutil.copy(notebook, folder / f"{assignment}.ipynb")
        for name, text in (files or {}).get(sid, {}).items():
            (folder / name).write_text(text, encoding="utf-8")
    load = f"load_subconfig({str(root / CONFIG_FILE)!r})" if (root / CONFIG_FILE).is_file() else ""
    (scratch / CONFIG_FILE).write_text(IMPORT_CONFIG.format(load=load, root=str(root), staged=str(staged)))
    if not graded:
        return ""
    done = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force"],
        cwd=scratch,
        env=nbgrader_env(env),
        capture_output=True,
        text=True,
    )
    return done.stderr


def written_points(gradebook: Path, assignment: str, tests: list[str]) -> dict[str, float]:
    """{student: hand-graded points} of `assignment`'s written answers in the sqlite file `gradebook`, for
    students a grader has scored.

    A written answer is a graded cell that is not an autograded test; students none of whose written answers
    has a manual score are left out (their `written` column stays blank).
    """
    from nbgrader.api import Gradebook, MissingEntry

    out: dict[str, float] = {}
    with Gradebook(f"sqlite:///{gradebook}") as gb:
        try:
            submissions = gb.assignment_submissions(assignment)
        except MissingEntry:
            return out
        for submission in submissions:
            scores = [
                g.manual_score
                for nb in submission.notebooks
                for g in nb.grades
                if g.name not in tests and g.manual_score is not None
            ]
            if scores:
                out[submission.student.id] = float(sum(scores))
    return out
