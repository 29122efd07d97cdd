"""Every committed notebook was executed top to bottom, without errors, and links to this repository."""

from pathlib import Path

import nbformat
import pytest

from tools.sync_links import COLAB_CELL, badges

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted(ROOT.glob("lectures/*.ipynb"))
SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))
EXECUTED = LECTURES + SOLUTIONS


def _ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_executed_in_order_without_errors(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: execution counts {counts} are not 1..N"
    for i, cell in enumerate(code, start=1):
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name}: cell {i} stored an error: {out.get('ename')}"
            if out.output_type == "stream" and out.name == "stderr":
                assert "Traceback" not in out.text, f"{path.name}: cell {i} printed a traceback"


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_colab_cell_and_badges_point_to_this_repository(path):
    nb = nbformat.read(path, as_version=4)
    sources = [c.source for c in nb.cells]
    assert COLAB_CELL in sources, f"{path.name}: Colab set-up cell missing or stale (run tools/sync_links.py)"
    if path in LECTURES:
        rel = path.relative_to(ROOT).as_posix()
        assert any(badges(rel) in s for s in sources), f"{path.name}: badges missing or stale"


def test_every_unit_has_a_lecture():
    numbers = sorted(p.name[:2] for p in LECTURES)
    assert numbers == [f"{i:02d}" for i in range(1, 11)], f"lectures found: {numbers}"


def test_student_versions_carry_no_outputs():
    for path in ROOT.glob("exercises/*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name
