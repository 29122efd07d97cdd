"""Check one student's notebook before grading and repair what nbgrader would mishandle.

Restores edited or deleted test cells, re-attaches lost nbgrader metadata to test cells recognised by
their text, rejects what cannot be graded (not a notebook, a format too new, another assignment) and flags
code that tampers with the kernel or the tests (`flags.py`). Every change is noted.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .flags import describe, scan
from .intake import Submission
from .notebook import cells_by_id, nbgrader_meta


@dataclass
class Prepared:
    """A notebook ready for nbgrader (or None) with the findings that go into the student's status."""

    notebook: nbformat.NotebookNode | None
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _version_problem(data: object, name: str) -> str:
    """Why parsed JSON is not a notebook in a format this grader reads (no version, too new, not possible), or ""."""
    if not isinstance(data, dict):
        return f"{name} is not a valid notebook: its JSON is a {type(data).__name__}, not an object"
    major, minor = data.get("nbformat"), data.get("nbformat_minor", 0)
    if major is None:  # nbformat would guess version 1 and fail or produce an empty notebook
        return f"{name} is not a valid notebook: it has no nbformat version (not saved by Jupyter)"
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (major, minor)):
        return f"{name} is not a valid notebook: its version (nbformat {major!r}, minor {minor!r}) is not whole numbers"
    newest = (nbformat.current_nbformat, nbformat.current_nbformat_minor)
    if major > newest[0]:
        return (
            f"{name} is written in nbformat {major}, newer than this grader reads: save it with Jupyter 4 or "
            f"later as nbformat {newest[0]}"
        )
    if (major, minor) > newest:
        return (
            f"{name} is written in nbformat {major}.{minor}, newer than this grader reads ({newest[0]}."
            f"{newest[1]} at most): save it as nbformat {newest[0]}.{newest[1]} or update nbformat here"
        )
    if major < 1:
        return f"{name} is not a valid notebook: nbformat {major} does not exist"
    return ""


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """The notebook at `path` with outputs cleared, or None and why it cannot be read."""
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as err:
        return None, f"cannot read {path.name}: {type(err).__name__}"
    if not text.strip():
        return None, f"{path.name} is empty"
    try:
        data = json.loads(text)
    except ValueError as err:
        return None, f"{path.name} is not a valid notebook (not JSON: {str(err).splitlines()[0][:80]})"
    problem = _version_problem(data, path.name)
    if problem:
        return None, problem
    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as err:  # noqa: BLE001 - any parse failure means "not a notebook"
        why = f"{type(err).__name__}: {str(err).splitlines()[0][:80]}"
        if data["nbformat"] < nbformat.current_nbformat:  # converting an old format failed
            return None, (
                f"{path.name} is marked as the old nbformat {data['nbformat']} but cannot be converted "
                f"({why}): open it in Jupyter and save it again"
            )
        return None, f"{path.name} is not a valid notebook ({why})"
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    try:
        nbformat.validate(nb)
    except Exception as err:  # noqa: BLE001
        return None, f"{path.name} is not a valid notebook ({str(err).splitlines()[0][:80]})"
    return nb, ""


def _same(a: nbformat.NotebookNode, b: nbformat.NotebookNode) -> bool:
    return a.cell_type == b.cell_type and a.source.strip() == b.source.strip() and bool(a.source.strip())


def _match_by_text(nb: nbformat.NotebookNode, release: nbformat.NotebookNode, ids_only: bool) -> dict[int, int]:
    """{release index: submission index} for cells whose text is unchanged (first unused match, in order)."""
    used, found = set(), {}
    for r, rcell in enumerate(release.cells):
        if ids_only and not nbgrader_meta(rcell).get("grade_id"):
            continue
        for i, cell in enumerate(nb.cells):
            if i not in used and not nbgrader_meta(cell).get("grade_id") and _same(cell, rcell):
                used.add(i)
                found[r] = i
                break
    return found


def _keep_known_ids(nb: nbformat.NotebookNode, known: set[str]) -> dict[str, int]:
    """{grade_id: index} of the first cell carrying each known id; other nbgrader metadata is dropped."""
    found = {}
    for i, cell in enumerate(nb.cells):
        gid = nbgrader_meta(cell).get("grade_id")
        if gid in known and gid not in found:
            found[gid] = i
        elif "nbgrader" in cell.get("metadata", {}):
            del cell.metadata["nbgrader"]
    return found


def _as_release_cell(
    cell: nbformat.NotebookNode, rcell: nbformat.NotebookNode, restore_source: bool
) -> nbformat.NotebookNode:
    """`cell` with the release's nbgrader metadata and cell type (and its source, when `restore_source`)."""
    source = rcell.source if restore_source else cell.source
    if cell.cell_type != rcell.cell_type:
        cell = nbformat.v4.new_code_cell(source) if rcell.cell_type == "code" else nbformat.v4.new_markdown_cell(source)
    cell.source = source
    cell.metadata["nbgrader"] = copy.deepcopy(rcell.metadata["nbgrader"])
    return cell


def _insert_missing_tests(
    nb: nbformat.NotebookNode, release: nbformat.NotebookNode, found: dict[str, int]
) -> list[str]:
    """Put back the release's autograded test cells absent from `nb`, each before the next cell that is there."""
    rcells = cells_by_id(release)
    rindex = {nbgrader_meta(c)["grade_id"]: r for r, c in enumerate(release.cells) if nbgrader_meta(c).get("grade_id")}
    anchors = {rindex[gid]: i for gid, i in found.items()}
    anchors.update({r: i for r, i in _match_by_text(nb, release, ids_only=False).items() if r not in anchors})
    missing = [
        gid
        for gid, c in rcells.items()
        if gid not in found and nbgrader_meta(c).get("grade") and not nbgrader_meta(c).get("solution")
    ]
    inserts = []
    for gid in missing:
        later = [anchors[r] for r in sorted(anchors) if r > rindex[gid]]
        inserts.append((later[0] if later else len(nb.cells), rindex[gid], gid))
    for at, _, gid in sorted(inserts, reverse=True):
        cell = copy.deepcopy(rcells[gid])
        cell["id"] = f"restored-{gid}"[:64]
        nb.cells.insert(at, cell)
    return missing


def repair(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> Prepared:
    """Give `nb` the release's nbgrader cells: restore edited/deleted locked cells, recover lost metadata."""
    rcells = cells_by_id(release)
    had_metadata = any("nbgrader" in c.get("metadata", {}) for c in nb.cells)
    found = _keep_known_ids(nb, set(rcells))
    out = Prepared(nb)
    if not found and had_metadata:
        return Prepared(None, ["wrong_assignment"], ["its nbgrader cells belong to another assignment"])
    if not found:
        by_text = _match_by_text(nb, release, ids_only=True)
        found = {nbgrader_meta(release.cells[r])["grade_id"]: i for r, i in by_text.items()}
        if not found:
            return Prepared(
                None,
                ["metadata_missing"],
                ["the notebook has no nbgrader metadata and none of this assignment's cells"],
            )
        out.flags.append("metadata_missing")
        out.notes.append("nbgrader metadata was missing: test cells recognised by their text")
    edited = []
    for gid, i in found.items():
        locked = bool(nbgrader_meta(rcells[gid]).get("locked"))
        if locked and nb.cells[i].source.strip() != rcells[gid].source.strip():
            edited.append(gid)
        nb.cells[i] = _as_release_cell(nb.cells[i], rcells[gid], restore_source=locked)
    missing = _insert_missing_tests(nb, release, found)
    if edited:
        out.flags.append("tests_restored")
        out.notes.append("edited test cell(s) restored: " + ", ".join(edited))
    if missing and "metadata_missing" not in out.flags:
        out.flags.append("tests_restored")
        out.notes.append("deleted test cell(s) restored: " + ", ".join(missing))
    elif missing:
        out.notes.append("test cell(s) not recognised, added back: " + ", ".join(missing))
    written = [
        gid
        for gid, c in rcells.items()
        if gid not in found and nbgrader_meta(c).get("solution") and nbgrader_meta(c).get("grade")
    ]
    if written:
        out.notes.append("written answer(s) not found: " + ", ".join(written))
    return out


def _shares_a_test(nb: nbformat.NotebookNode, release: nbformat.NotebookNode) -> bool:
    """Whether any of the release's locked cells appears, unchanged, in `nb`."""
    locked = {c.source.strip() for c in release.cells if nbgrader_meta(c).get("locked") and c.source.strip()}
    return any(c.source.strip() in locked for c in nb.cells)


def _choose(sub: Submission, assignment: str) -> tuple[Path | None, list[str]]:
    """The notebook to grade for `sub`: `<assignment>.ipynb` when present, else the first one found."""
    if not sub.notebooks:
        return None, []
    exact = [p for p in sub.notebooks if p.name == f"{assignment}.ipynb"]
    chosen = (exact or sub.notebooks)[0]
    notes = []
    if len(sub.notebooks) > 1:
        names = ", ".join(sub.relative)
        graded = sub.relative[sub.notebooks.index(chosen)]
        notes.append(f"{len(sub.notebooks)} notebooks found ({names}); graded {graded}")
    return chosen, notes


def prepare(
    sub: Submission, release: nbformat.NotebookNode, assignment: str, other_assignments: set[str] = frozenset()
) -> Prepared:
    """Pick, read, check and repair a student's notebook; say what was wrong."""
    path, notes = _choose(sub, assignment)
    if path is None:
        return Prepared(None, ["no_notebook"], ["no .ipynb file found"])
    flat = len(sub.notebooks) == 1 and "/" not in sub.relative[0]
    nb, problem = read_notebook(path)
    if nb is None:
        return Prepared(None, ["invalid_notebook"], notes + [problem])
    if not flat and path.stem in set(other_assignments) - {assignment} and not _shares_a_test(nb, release):
        return Prepared(None, ["wrong_assignment"], notes + [f"{path.name} is the notebook of assignment {path.stem}"])
    out = repair(nb, release)
    if out.notebook is None:
        return Prepared(None, out.flags, notes + [f"{path.name}: {note}" for note in out.notes])
    out.notes = notes + out.notes
    findings = scan(out.notebook, release)
    if findings:  # first, so that the message, cut to one line, always shows what was flagged
        out.flags.append("flagged")
        out.notes.insert(0, describe(findings))
    if not flat and path.name != f"{assignment}.ipynb":
        out.flags.append("renamed")
        out.notes.append(f"notebook named {path.name}, expected {assignment}.ipynb (graded anyway)")
    return out
