"""The grading results: one row per student, written as a CSV and printed as a table.

grades.csv has the columns `student, score, max_score, status, message`, then one column per autograded part
(named by its test cell's grade id, the points earned; blank where the notebook could not be graded) and
`written`, the hand-graded written answers, blank until an instructor grades them.
"""

from __future__ import annotations

import csv
import html
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

COLUMNS = ("student", "score", "max_score", "status", "message")
WRITTEN = "written"  # the column of the hand-graded written answers


@dataclass
class Row:
    """One student's result: autograded points, the status, a one-line explanation and the points per part."""

    student: str
    score: float
    max_score: float
    status: str
    message: str
    parts: dict[str, float] = field(default_factory=dict)  # {test cell grade id: points earned}, graded ones

    def cells(self, parts: list[str] = ()) -> list[str]:
        """The row as CSV strings (scores without trailing zeros, for a stable file), then one per part in `parts`."""
        return [self.student, f"{self.score:g}", f"{self.max_score:g}", self.status, self.message] + [
            f"{self.parts[p]:g}" if p in self.parts else "" for p in parts
        ]


def write_csv(
    rows: list[Row],
    path: Path,
    parts: list[str] | None = None,
    hand: dict[str, dict[str, str]] | None = None,
    extra: Sequence[str] = (),
) -> None:
    """Write the rows sorted by student, with a header and no timestamps (the same input gives the same file).

    Parameters
    ----------
    rows, path
        The results and the file to write.
    parts
        The autograded parts' grade ids, in notebook order: a column each, then the `written` column (blank
        until written answers are graded by hand). None writes the five summary columns only.
    hand, extra
        What was entered by hand, {student: {column: value}}, for `written` and the `extra` columns an
        instructor added after it (they follow `written`).
    """
    columns = [] if parts is None else list(parts)
    manual = [] if parts is None else [WRITTEN, *extra]
    hand = hand or {}
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS + tuple(columns) + tuple(manual))
        for row in sorted(rows, key=lambda r: r.student):
            typed = hand.get(row.student, {})
            writer.writerow(row.cells(columns) + [typed.get(c, "") for c in manual])


def read_csv(path: Path) -> dict[str, dict[str, str]]:
    """{student: row} from a grades.csv."""
    with open(path, newline="", encoding="utf-8") as f:
        return {row["student"]: row for row in csv.DictReader(f)}


def table(rows: list[Row], width: int = 60) -> str:
    """A plain-text summary table and a count per status."""
    name_w = max([7] + [len(r.student) for r in rows])
    lines = [f"{'student':<{name_w}}  {'score':>9}  {'status':<16}  message", "-" * (name_w + 32 + width)]
    for r in sorted(rows, key=lambda r: r.student):
        message = r.message if len(r.message) <= width else r.message[: width - 3] + "..."
        lines.append(f"{r.student:<{name_w}}  {r.score:>4g}/{r.max_score:<4g}  {r.status:<16}  {message}")
    counts = Counter(r.status for r in rows)
    lines.append("-" * (name_w + 32 + width))
    lines.append(f"{len(rows)} submission(s): " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return "\n".join(lines)


def notice_html(row: Row, assignment: str) -> str:
    """A small feedback page for a submission that could not be graded."""
    return (
        f"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>{html.escape(assignment)}: feedback</title>"
        f"</head><body><h1>{html.escape(assignment)}</h1>"
        f"<p>Score: {row.score:g} / {row.max_score:g}</p><p>Status: <b>{html.escape(row.status)}</b></p>"
        f"<p>{html.escape(row.message)}</p></body></html>\n"
    )
