"""Round-trip checks of an assignment: its secrets, a solution submission, and its wrong answers."""

from __future__ import annotations

import copy
import runpy
from pathlib import Path

import nbformat

HIDDEN_TESTS = (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),)
SECRET_BLOCKS = (("BEGIN SOLUTION", "END SOLUTION"),) + HIDDEN_TESTS
MIN_SECRET_LINE = 16  # shorter lines ("return x", "pass", ")") may legitimately appear elsewhere


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """The cell's nbgrader metadata, or {}."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def autograded_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the autograded test cells (graded, not an answer), in notebook order."""
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells
            if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")]


def answer_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the answer (solution) cells, in notebook order."""
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c).get("solution")]


def trivial(line: str) -> bool:
    """Lines too generic to count as a leak: short ones, comments, block headers, closing brackets."""
    text = line.strip()
    return (len(text) < MIN_SECRET_LINE or text.startswith(("#", ")", "]", "}"))
            or (text.endswith(":") and text.split()[0] in {"with", "for", "if", "elif", "else", "try", "except",
                                                               "while", "def", "class"}))


def _split(source: nbformat.NotebookNode, blocks) -> tuple[list[str], set[str]]:
    """(non-trivial lines inside `blocks`, every stripped line outside them) of an instructor notebook."""
    inside_lines, outside = [], set()
    for cell in source.cells:
        inside = False
        for line in cell.source.splitlines():
            text = line.strip()
            if any(begin in text for begin, _ in blocks):
                inside = True
            elif any(end in text for _, end in blocks):
                inside = False
            elif not inside:
                outside.add(text)
            elif not trivial(text):
                inside_lines.append(text)
    return inside_lines, outside


def secret_lines(source: nbformat.NotebookNode, blocks=SECRET_BLOCKS) -> list[str]:
    """Non-trivial lines inside solution/hidden-test blocks (or just `blocks`) of an instructor notebook."""
    return _split(source, blocks)[0]


def hidden_test_lines(source: nbformat.NotebookNode) -> list[str]:
    """Hidden-test lines that are secret: non-trivial, and written nowhere else (visible parts, solutions)."""
    inside, _ = _split(source, HIDDEN_TESTS)
    _, visible = _split(source, SECRET_BLOCKS)
    elsewhere = visible | set(secret_lines(source, SECRET_BLOCKS[:1]))
    return [line for line in inside if line not in elsewhere]


def leaks(release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> list[str]:
    """Markers, solution lines and secret hidden-test lines of `source` found in the student version `release`."""
    lines = {line.strip() for cell in release.cells for line in cell.source.splitlines()}
    markers = [m for pair in SECRET_BLOCKS for m in pair if any(m in line for line in lines)]
    secrets = secret_lines(source, SECRET_BLOCKS[:1]) + hidden_test_lines(source)
    return markers + sorted({s for s in secrets if s in lines})


def cells_by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """Cells with a grade_id, by grade_id."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("grade_id")}


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
