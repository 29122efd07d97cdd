"""Grades as a learning platform imports them: Canvas's gradebook CSV and Moodle's grade-import CSV.

The grader knows students by the ids it graded them under (file names, or the `student_id` taken by an id
pattern); the platform knows them by its own. An id map links the two: a CSV with a `student` column (the
grader's id) and the platform's columns, e.g.

    student,name,canvas_id,sis_user_id,sis_login_id,section,email,idnumber
    12345,Ana Lima,12345,S001,alima,A,ana@uni.example,S001

Canvas needs `canvas_id` (its "ID"); the other Canvas columns are copied when present. Moodle matches rows
by one identifier chosen on its import page (email address, ID number or username): the columns present
among `email`, `idnumber` and `username` are written. A graded student missing from the map is an error that
names them (nothing is written), so that no grade lands on the wrong person.

`write_lms` serves the one-command grader (from its rows) and `LmsExportPlugin` serves `nbgrader export`
(from the gradebook), so both give the same files.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nbgrader.api import MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Enum, Unicode

LMS = ("canvas", "moodle")
CANVAS_COLUMNS = (
    ("Student", "name"),
    ("ID", "canvas_id"),
    ("SIS User ID", "sis_user_id"),
    ("SIS Login ID", "sis_login_id"),
    ("Section", "section"),
)
MOODLE_IDS = (("Email address", "email"), ("ID number", "idnumber"), ("Username", "username"))


def read_id_map(path: str | Path) -> dict[str, dict[str, str]]:
    """{grader id: row} from an id-map CSV; raise ValueError saying what is wrong with the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"id map {path} does not exist: give a CSV with a 'student' column")
    with open(path, newline="", encoding="utf-8-sig") as f:  # utf-8-sig: spreadsheets write a BOM
        reader = csv.DictReader(f)
        if "student" not in (reader.fieldnames or []):
            raise ValueError(
                f"id map {path} has no 'student' column (it has {reader.fieldnames}): the first row "
                "must name the columns, one of them 'student' (the id the grader used)"
            )
        rows: dict[str, dict[str, str]] = {}
        for number, row in enumerate(reader, start=2):
            student = (row.get("student") or "").strip()
            if not student:
                raise ValueError(f"id map {path} line {number}: the 'student' cell is empty")
            if student in rows:
                raise ValueError(f"id map {path} line {number}: student {student!r} appears twice")
            rows[student] = {k: (v or "").strip() for k, v in row.items() if k}
    return rows


def id_columns(lms: str, id_map: dict[str, dict[str, str]]) -> list[tuple[str, str]]:
    """(platform column title, id-map column) pairs for `lms`'s import file.

    Raises ValueError, saying what is missing, for an unknown platform or a map without the ids it needs:
    the grader calls it before grading, so a bad map never costs a grading run.
    """
    if lms not in LMS:
        raise ValueError(f"unknown learning platform {lms!r}: choose one of {', '.join(LMS)}")
    columns = set().union(*(row.keys() for row in id_map.values())) if id_map else set()
    if lms == "canvas":
        if "canvas_id" not in columns:
            raise ValueError("a Canvas import needs the id map's 'canvas_id' column (Canvas's user ID)")
        return [(title, key) for title, key in CANVAS_COLUMNS if key in columns or title == "Student"]
    ids = [(title, key) for title, key in MOODLE_IDS if key in columns]
    if not ids:
        raise ValueError("a Moodle import needs one of the id map's columns 'email', 'idnumber' or 'username'")
    return ids


def lms_table(
    lms: str, grades: dict[str, dict[str, float]], points: dict[str, float], id_map: dict[str, dict[str, str]]
) -> list[list[str]]:
    """The rows of `lms`'s import file, header first.

    Parameters
    ----------
    lms
        "canvas" or "moodle".
    grades
        {grader id: {assignment: points}} (an assignment a student did not submit is left out).
    points
        {assignment: points possible}, in column order.
    id_map
        From `read_id_map`.
    """
    ids = id_columns(lms, id_map)
    missing = sorted(s for s in grades if s not in id_map)
    if missing:
        raise ValueError(
            f"{len(missing)} graded student(s) are not in the id map: {', '.join(missing[:10])}"
            f"{' ...' if len(missing) > 10 else ''}. Add a row for each (column 'student'); "
            "nothing was written"
        )
    table = [[title for title, _ in ids] + list(points)]
    if lms == "canvas":  # Canvas's own exports carry this row; its importer reads it and keeps the maxima
        table.append(["Points Possible"] + [""] * (len(ids) - 1) + [f"{points[a]:g}" for a in points])
    for student in sorted(grades, key=lambda s: (id_map[s].get("name", ""), s)):
        row = id_map[student]
        table.append(
            [row.get(key, "") for _, key in ids]
            + [f"{grades[student][a]:g}" if a in grades[student] else "" for a in points]
        )
    return table


def write_lms(
    lms: str,
    grades: dict[str, dict[str, float]],
    points: dict[str, float],
    id_map: dict[str, dict[str, str]],
    path: str | Path,
) -> Path:
    """Write `lms`'s import file to `path` (see `lms_table`); return the path."""
    table = lms_table(lms, grades, points, id_map)
    with open(path, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\n").writerows(table)
    return Path(path)


class LmsExportPlugin(ExportPlugin):
    """`nbgrader export` to a Canvas or Moodle import file: total points per assignment, students by id map.

    In nbgrader_config.py:
        c.ExportApp.plugin_class = "course_grading.lms.LmsExportPlugin"
        c.LmsExportPlugin.lms = "canvas"            # or "moodle"
        c.LmsExportPlugin.id_map = "lms_ids.csv"
    then `nbgrader export --to grades-canvas.csv` (`--assignment`/`--student` filter as usual).
    """

    lms = Enum(LMS, default_value="canvas", config=True, help="the learning platform whose import file to write")
    id_map = Unicode("lms_ids.csv", config=True, help="CSV linking the grader's student ids to the platform's")

    def export(self, gradebook) -> None:
        """Write the import file for the gradebook's assignments and students (nbgrader's filters applied)."""
        assignments = [
            a
            for a in sorted(gradebook.assignments, key=lambda a: (a.duedate is None, a.duedate, a.name))
            if not self.assignment or a.name in self.assignment
        ]
        points = {a.name: float(a.max_score) for a in assignments}
        grades: dict[str, dict[str, float]] = {}
        for student in gradebook.students:
            if self.student and student.id not in self.student:
                continue
            for a in assignments:
                try:
                    submission = gradebook.find_submission(a.name, student.id)
                except MissingEntry:  # this student did not submit it: the cell stays blank
                    continue
                grades.setdefault(student.id, {})[a.name] = float(submission.score)
        to = self.to or f"grades-{self.lms}.csv"
        write_lms(self.lms, grades, points, read_id_map(self.id_map), to)
        self.log.info("Wrote %s import file %s (%d students, %d assignments)", self.lms, to, len(grades), len(points))
