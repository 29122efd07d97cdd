"""Reading an assignment notebook: its nbgrader cells, and the lines that must stay secret."""

from __future__ import annotations

import nbformat

HIDDEN_TESTS = (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),)
SECRET_BLOCKS = (("BEGIN SOLUTION", "END SOLUTION"),) + HIDDEN_TESTS
MIN_SECRET_LINE = 16  # shorter lines ("return x", "pass", ")") may legitimately appear elsewhere


def nbgrader_meta(cell: nbformat.NotebookNode) -> dict:
    """The cell's nbgrader metadata, or {}."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def autograded_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the autograded test cells (graded, not an answer), in notebook order."""
    return [
        nbgrader_meta(c)["grade_id"]
        for c in nb.cells
        if nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    ]


def answer_ids(nb: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the answer (solution) cells, in notebook order."""
    return [nbgrader_meta(c)["grade_id"] for c in nb.cells if nbgrader_meta(c).get("solution")]


def trivial(line: str) -> bool:
    """Lines too generic to count as a leak: short ones, comments, block headers, closing brackets."""
    text = line.strip()
    return (
        len(text) < MIN_SECRET_LINE
        or text.startswith(("#", ")", "]", "}"))
        or (
            text.endswith(":")
            and text.split()[0] in {"with", "for", "if", "elif", "else", "try", "except", "while", "def", "class"}
        )
    )


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


def cells_by_id(nb: nbformat.NotebookNode) -> dict[str, nbformat.NotebookNode]:
    """Cells with a grade_id, by grade_id."""
    return {nbgrader_meta(c)["grade_id"]: c for c in nb.cells if nbgrader_meta(c).get("grade_id")}
