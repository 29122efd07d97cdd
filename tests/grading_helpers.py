"""Round-trip helpers for the tests: leaks of a student version, a solution submission, wrong answers."""

from __future__ import annotations

import copy
import datetime
import runpy
from pathlib import Path

import nbformat

from course_grading.notebook import (SECRET_BLOCKS, answer_ids, cells_by_id, hidden_test_lines, nbgrader_meta,
                                     secret_lines)


def leaks(release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[str]:
    """Markers, solution lines and secret hidden-test lines of `source` found in the student version `release`."""
    lines = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    markers = [m for pair in SECRET_BLOCKS for m in pair if any(m in line for line in lines)]
    secrets = secret_lines(source, SECRET_BLOCKS[:1]) + hidden_test_lines(source)
    return markers + sorted({s for s in secrets if s in lines})


def solution_submission(release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The student version with every answer cell filled in from the instructor notebook (markers dropped)."""
    nb = copy.deepcopy(release)
    solved = cells_by_id(source)
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            lines = solved[nbgrader_meta(cell)["grade_id"]].source.splitlines()
            cell.source = "\n".join(x for x in lines if "BEGIN SOLUTION" not in x and "END SOLUTION" not in x)
    return nb


def replace_answer(nb: nbformat.NotebookNode, grade_id: str, source: str) -> nbformat.NotebookNode:
    """A copy of `nb` whose answer cell `grade_id` holds `source`."""
    nb = copy.deepcopy(nb)
    cell = cells_by_id(nb).get(grade_id)
    if cell is None or not nbgrader_meta(cell).get("solution"):
        raise KeyError(f"{grade_id!r} is not an answer cell of this notebook; answer cells: {answer_ids(nb)}")
    cell.source = source
    return nb


def load_wrong_answers(path: str | Path) -> list[dict]:
    """The WRONG_ANSWERS list of a tests/wrong_answers/<NAME>.py file, checked for its keys."""
    answers = runpy.run_path(str(path)).get("WRONG_ANSWERS")
    if not isinstance(answers, list):
        raise ValueError(f"{path} must define WRONG_ANSWERS = [dict(cell=..., fails=[...], why=..., source=...)]")
    for i, answer in enumerate(answers):
        missing = {"cell", "fails", "why", "source"} - set(answer)
        if missing:
            raise ValueError(f"{path}: WRONG_ANSWERS[{i}] lacks {sorted(missing)}")
    return answers


def cell_seconds(nb: nbformat.NotebookNode) -> list[float]:
    """How long each executed cell of a stored notebook run took (from Jupyter's execution timings)."""
    seconds = []
    for cell in nb.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            start, end = (datetime.datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                          for k in ("iopub.execute_input", "shell.execute_reply"))
            seconds.append((end - start).total_seconds())
    return seconds
