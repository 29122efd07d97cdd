"""What happened when a notebook ran: timeouts, memory errors, crashes, truncated output."""

from __future__ import annotations

import re

import nbformat

from .kernel import TRUNCATED
from .notebook import nbgrader_meta

# Most severe first: the first flag a student has becomes their status.
# `flagged` (code that tampers with the kernel or the tests) is graded but shown above every other gradable
# status, so that the instructor reviews it; statuses of notebooks that could not be graded stay above it.
SEVERITY = [
    "invalid_notebook",
    "no_notebook",
    "wrong_assignment",
    "grader_error",
    "kernel_died",
    "flagged",
    "memory",
    "timeout",
    "syntax_error",
    "exception",
    "metadata_missing",
    "tests_restored",
    "output_truncated",
    "id_unmatched",
    "renamed",
    "ok",
]
MEMORY_WORDS = ("can't allocate memory", "Cannot allocate memory", "Unable to allocate", "out of memory")
TIMEOUT_ERRORS = {"CellTimeoutError", "KeyboardInterrupt", "TimeoutError"}
SYNTAX_ERRORS = {"SyntaxError", "IndentationError", "TabError"}


def status_of(flags: list[str]) -> str:
    """The most severe of `flags`, or "ok"."""
    return min(flags, key=SEVERITY.index) if flags else "ok"


def clean(text: str, limit: int = 160) -> str:
    """One line of at most `limit` characters, without memory addresses or ANSI colours."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", text)
    text = re.sub(r"0x[0-9a-fA-F]{6,}", "0x...", " ".join(text.split()))
    text = re.sub(r"\(\d+\.py, line (\d+)\)", r"(line \1)", text)  # IPython's generated cell file names
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _label(cell: nbformat.NotebookNode, number: int) -> str:
    return nbgrader_meta(cell).get("grade_id") or f"code cell {number}"


def inspect(nb: nbformat.NotebookNode) -> tuple[list[str], list[str]]:
    """Flags and notes for an executed notebook (errors in graded test cells are ordinary failures)."""
    flags, notes = [], []
    code = [c for c in nb.cells if c.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        graded = bool(nbgrader_meta(cell).get("grade"))
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and (TRUNCATED in out.text or "... Output truncated ..." in out.text):
                flags.append("output_truncated")
                notes.append(f"output cut in {_label(cell, number)}")
            if out.output_type != "error":
                continue
            where = _label(cell, number)
            what = clean(f"{out.ename}: {out.evalue}" if out.evalue.strip() else out.ename)
            if out.ename in TIMEOUT_ERRORS:
                flags.append("timeout")
                notes.append(f"{where} ran past the time limit")
            elif out.ename == "MemoryError" or any(w in out.evalue for w in MEMORY_WORDS):
                flags.append("memory")
                notes.append(f"{where} needed more memory than allowed ({clean(what, 100)})")
            elif out.ename in SYNTAX_ERRORS:
                flags.append("syntax_error")
                notes.append(f"{what} in {where}")
            elif not graded:
                flags.append("exception")
                notes.append(f"{what} in {where}")
    unique = list(dict.fromkeys(zip(flags, notes, strict=True)))  # one note per flag
    return [f for f, _ in unique], [n for _, n in unique]


def _records(log: str) -> list[str]:
    """Log records: a line starting with "[" plus its continuation lines (tracebacks)."""
    records: list[str] = []
    for line in log.splitlines():
        if line.startswith("[") or not records:
            records.append(line)
        else:
            records[-1] += "\n" + line
    return records


def _last_error_line(detail: str) -> str:
    """The final `SomethingError: message` line of a traceback, or its last non-empty line."""
    lines = [line.strip() for line in detail.splitlines() if line.strip() and not line.startswith("[")]
    errors = [line for line in lines if re.match(r"^[\w.]+(Error|Exception)\b", line)]
    return (errors or lines or ["unknown error"])[-1]


def failures_from_log(log: str, students: list[str], assignment: str) -> dict[str, tuple[str, str]]:
    """{student: (flag, note)} for submissions nbgrader could not process, read from its log."""
    records, found = _records(log), {}
    for student in students:
        if f"error processing assignment '{assignment}' for student '{student}'" not in log:
            continue
        where = f"/submitted/{student}/{assignment}"
        hits = [k for k, r in enumerate(records) if where in r.splitlines()[0]]
        detail = "\n".join(records[k] + "\n" + (records[k + 1] if k + 1 < len(records) else "") for k in hits)
        if "DeadKernelError" in detail or "Kernel died" in detail:
            found[student] = (
                "kernel_died",
                "the kernel died while running the notebook (a crash, an exit call or too much memory); not graded",
            )
        elif "CellTimeoutError" in detail or "unresponsive" in detail:
            found[student] = ("timeout", "a cell ran past the time limit and could not be interrupted; not graded")
        else:
            found[student] = (
                "grader_error",
                "nbgrader could not process this notebook: " + clean(_last_error_line(detail)),
            )
    return found
