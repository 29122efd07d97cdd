"""Grade a folder or .zip of submissions: check each notebook, autograde all in one nbgrader run, report.

Every submission gets a row in grades.csv with a status; bad ones never stop the others being graded.
"""

from __future__ import annotations

import html
import re
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import nbformat

from .intake import collect, safe_id, unzip
from .kernel import KERNEL_NAME, install_kernel
from .outcome import clean, failures_from_log, inspect, status_of
from .prepare import prepare
from .report import Row, notice_html, table, write_csv
from .roundtrip import autograded_ids, hidden_test_lines
from .workspace import Workspace, course_directories

GRADING_CONFIG = """
# Grading limits and the grader's own preprocessors (python -m course.grading grade).
from nbgrader.converters import Autograde, GenerateFeedback
from nbgrader.preprocessors import LimitOutput
from course.grading.preprocessors import CapOutput, HideHiddenTests
c.Execute.kernel_name = {kernel!r}
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
c.CapOutput.max_chars = {max_output}
c.Autograde.autograde_preprocessors = [
    CapOutput if p is LimitOutput else p for p in Autograde.class_traits()["autograde_preprocessors"].default()]
c.GenerateFeedback.preprocessors = [HideHiddenTests] + GenerateFeedback.class_traits()["preprocessors"].default()
"""


def _html_text(page: str) -> str:
    """The visible text of an HTML page, roughly (tags dropped, entities decoded)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def _open_submissions(submissions: Path, scratch: Path) -> Path:
    """A folder holding the submissions: the folder itself, an unpacked zip, or a folder around one notebook."""
    if submissions.is_dir():
        return submissions
    if not submissions.exists():
        raise FileNotFoundError(f"{submissions} does not exist: give a folder or .zip of student notebooks.")
    if submissions.suffix.lower() == ".zip":
        return unzip(submissions, scratch / "unpacked")
    if submissions.suffix == ".ipynb":
        (scratch / "single").mkdir()
        shutil.copy(submissions, scratch / "single" / submissions.name)
        return scratch / "single"
    raise ValueError(f"{submissions} is neither a folder, a .zip nor a notebook.")


def grade(assignment: str, submissions: str | Path, out: str | Path, *, timeout: int = 60, memory_mb: int = 3000,
          course_dir: str | Path = ".", max_output_chars: int = 100_000, work_dir: str | Path | None = None,
          echo: Callable[[str], None] = print) -> list[Row]:
    """Autograde every submission of `assignment`; write OUT/grades.csv and OUT/feedback/*.html; return the rows."""
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="course-grading-") as tmp:
        work = Path(work_dir) if work_dir else Path(tmp)
        if (work / "course").exists():
            raise ValueError(f"{work / 'course'} already exists: remove it or choose another --work-dir.")
        config = GRADING_CONFIG.format(kernel=KERNEL_NAME, timeout=int(timeout), max_output=int(max_output_chars))
        ws = Workspace.create(work / "course", course_dir, assignment, config)
        install_kernel(ws.root / "jupyter", memory_mb, max_output_chars)
        env = {"JUPYTER_PATH": str(ws.root / "jupyter")}
        ws.generate()
        release = nbformat.read(ws.release_notebook, as_version=4)
        source = nbformat.read(ws.source_notebook, as_version=4)
        tests = autograded_ids(release)
        points = {c.metadata.nbgrader["grade_id"]: float(c.metadata.nbgrader.get("points", 0)) for c in release.cells
                  if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in tests}
        max_score = sum(points.values())
        others = {p.name for p in (Path(course_dir) / course_directories(course_dir)["source_directory"]).glob("*")
                  if p.is_dir()}

        rows, queued, taken = [], {}, set()
        for sub in collect(_open_submissions(Path(submissions), work), assignment):
            sid = safe_id(sub.student, taken)
            prepared = prepare(sub, release, assignment, others)
            if prepared.notebook is None:
                row = Row(sub.student, 0.0, max_score, status_of(prepared.flags), clean("; ".join(prepared.notes), 300))
                rows.append(row)
                (out / "feedback" / f"{sid}.html").write_text(notice_html(row, assignment), encoding="utf-8")
            else:
                ws.submit(sid, prepared.notebook)
                queued[sid] = (sub, prepared)

        failures, log = {}, ""
        if queued:
            done = ws.nbgrader("autograde", assignment, env=env, check=False)
            log = done.stderr
            failures = failures_from_log(log, list(queued), assignment)
            log += ws.nbgrader("generate_feedback", assignment, "--force", env=env, check=False).stderr
        (out / "nbgrader.log").write_text(log.replace(str(work), "<work>"), encoding="utf-8")

        hidden = hidden_test_lines(source)
        for sid, (sub, prepared) in queued.items():
            flags, notes, score = list(prepared.flags), list(prepared.notes), 0.0
            if sid in failures:
                flags.append(failures[sid][0])
                notes.append(failures[sid][1])
            else:
                found_flags, found_notes = inspect(nbformat.read(ws.autograded_notebook(sid), as_version=4))
                flags, notes = flags + found_flags, notes + found_notes
                scores = ws.scores(sid)
                score = sum(scores[g][0] or 0.0 for g in tests if g in scores)
            message = clean("; ".join(notes).replace(str(work), "<work>"), 300)
            row = Row(sub.student, score, max_score, status_of(flags), message)
            rows.append(row)
            page = ws.root / "feedback" / sid / assignment / f"{assignment}.html"
            text = page.read_text(encoding="utf-8") if page.exists() else ""
            if not text or any(line in _html_text(text) for line in hidden):
                text = notice_html(row, assignment)
            (out / "feedback" / f"{sid}.html").write_text(text, encoding="utf-8")

    write_csv(rows, out / "grades.csv")
    manual = sum(float(c.metadata.nbgrader.get("points", 0)) for c in release.cells
                 if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.metadata.nbgrader.get("solution"))
    echo(table(rows))
    echo(f"Scores are autograded points out of {max_score:g}"
         + (f"; written answers ({manual:g} point{'' if manual == 1 else 's'}) are graded by hand." if manual else "."))
    echo(f"Grades: {out / 'grades.csv'}   Feedback: {out / 'feedback'}/")
    return rows
