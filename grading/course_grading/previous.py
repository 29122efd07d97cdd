"""No grade is ever lost: an output folder is graded into again only with `--force`, which keeps the earlier run.

The earlier run's files move to OUT/previous/<UTC time>/. What an instructor typed into the earlier
grades.csv, the `written` column and any columns they added after it (a comment, say), is carried into the
new one, and students that the new run does not grade (re-grading one late submission) keep their rows.
"""

from __future__ import annotations

import csv
import shutil
import time
from pathlib import Path

from .report import COLUMNS, WRITTEN, Row

PREVIOUS = "previous"
# Everything a grading run writes into OUT (besides previous/ itself).
OUTPUTS = ("grades.csv", "feedback", "nbgrader.log", "report.html", "canvas.csv", "moodle.csv", "gradebook.db")


def earlier_outputs(out: Path) -> list[Path]:
    """The files and folders of an earlier grading run in `out`."""
    return [out / name for name in OUTPUTS if (out / name).exists()]


def check_out(out: Path, force: bool) -> None:
    """Refuse (ValueError) to grade into a folder that holds an earlier run's results unless `force`."""
    found = earlier_outputs(out)
    if found and not force:
        raise ValueError(
            f"{out} already holds the results of an earlier run ({', '.join(p.name for p in found)}). "
            f"Pass --force to grade again (the earlier files move to {out / PREVIOUS}/<time>/ and the hand-entered "
            "`written` scores are carried over), or choose another --out."
        )


def keep_previous(out: Path) -> Path | None:
    """Move an earlier run's outputs into OUT/previous/<UTC time>/ and return that folder (None if nothing)."""
    found = earlier_outputs(out)
    if not found:
        return None
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    folder, k = out / PREVIOUS / stamp, 1
    while folder.exists():  # two runs within one second
        k += 1
        folder = out / PREVIOUS / f"{stamp}-{k}"
    folder.mkdir(parents=True)
    for path in found:
        shutil.move(str(path), str(folder / path.name))
    return folder


def hand_entered(grades_csv: Path) -> tuple[list[str], dict[str, dict[str, str]]]:
    """(extra column names, {student: {column: value}}) typed into a grades.csv by hand.

    Those are `written` and every column after it; a file without `written` (an older layout) has none.
    """
    with open(grades_csv, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        header = next(reader, [])
        if WRITTEN not in header:
            return [], {}
        start = header.index(WRITTEN)
        kept = header[start:]
        values = {}
        for line in reader:
            if line and line[0]:
                line = line + [""] * (len(header) - len(line))
                values[line[0]] = dict(zip(kept, line[start:]))
    return [c for c in kept if c != WRITTEN], values


def _is_number(text: str | None) -> bool:
    try:
        float(text or "")
    except ValueError:
        return False
    return True


def earlier_rows(grades_csv: Path) -> list[Row]:
    """The rows of an earlier grades.csv, as `Row`s (parts are the columns between `message` and `written`)."""
    with open(grades_csv, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        end = header.index(WRITTEN) if WRITTEN in header else len(header)
        parts = [h for h in header[len(COLUMNS) : end]]
        rows = []
        for r in reader:
            try:
                score, max_score = float(r["score"]), float(r["max_score"])
            except (KeyError, TypeError, ValueError):
                continue  # a line the instructor broke by hand: it stays in previous/
            earned = {p: float(r[p]) for p in parts if _is_number(r.get(p))}
            rows.append(Row(r["student"], score, max_score, r.get("status", ""), r.get("message", ""), earned))
    return rows
