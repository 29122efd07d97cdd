"""Every committed notebook was executed top to bottom, without errors, links to this repository and starts
with the one set-up cell, which names the current version."""

import sys
import types
from pathlib import Path

import nbformat
import pytest
from IPython.core.inputtransformer2 import TransformerManager

import course
from tools.sync_links import SETUP_CELL, SUBMIT_CELL, badges, is_setup_cell, setup_cell

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted(ROOT.glob("lectures/*.ipynb"))
SOLUTIONS = sorted(ROOT.glob("solutions/*/*.ipynb"))
EXECUTED = LECTURES + SOLUTIONS
EXERCISES = sorted(ROOT.glob("exercises/*/*.ipynb"))


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


@pytest.mark.parametrize("path", EXECUTED + EXERCISES, ids=_ids(EXECUTED + EXERCISES))
def test_the_first_code_cell_is_the_setup_cell_of_this_version_and_the_badges_point_here(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    stale = "run `make sync-links` (tools/sync_links.py)"
    version = course.__version__
    assert code[0].source == SETUP_CELL, f"{path.name}: the first code cell is not the {version} set-up: {stale}"
    assert not any(is_setup_cell(c) for c in code[1:]), f"{path.name}: a second set-up cell"
    assert not code[0].outputs, f"{path.name}: the set-up cell printed something where the course imports"
    rel = path.relative_to(ROOT).as_posix()
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith(badges(rel)), (
        f"{path.name}: badges missing or stale in the first cell: {stale}")
    if path not in LECTURES:  # an assignment: how to save and hand it in, right after its introduction
        assert nb.cells[1].source == SUBMIT_CELL, f"{path.name}: no 'Saving and submitting' section: {stale}"


def test_the_setup_cell_installs_the_release_tag_of_the_current_version():
    assert f"deep-learning-course@v{course.__version__}\"" in SETUP_CELL
    assert setup_cell("9.8.7") != SETUP_CELL and "@v9.8.7\"" in setup_cell("9.8.7")


def test_the_badges_of_a_solution_open_its_student_version():
    links = badges("solutions/03_backprop/03_backprop.ipynb")
    assert "solutions" not in links and links.count("/student") == 2
    assert links.count("exercises/03_backprop/03_backprop.ipynb") == 2


class FakeShell:
    """Records the %pip lines the set-up cell runs instead of running pip."""

    def __init__(self):
        self.magics = []

    def run_line_magic(self, name, line, _stack_depth=1):
        self.magics.append((name, line))


def run_setup_cell():
    shell = FakeShell()
    code = TransformerManager().transform_cell(SETUP_CELL)  # what IPython runs: %pip becomes a method call
    exec(compile(code, "<set-up cell>", "exec"), {"get_ipython": lambda: shell})
    return shell.magics


def test_the_setup_cell_does_nothing_where_the_course_imports(capsys):
    assert run_setup_cell() == []
    assert capsys.readouterr() == ("", "")


def test_without_the_course_the_setup_cell_installs_the_tag_and_says_what_to_do_if_that_fails(monkeypatch):
    import importlib.util

    monkeypatch.setitem(sys.modules, "course", None)  # `import course` now raises ModuleNotFoundError
    find_spec = importlib.util.find_spec
    pip_line = f'install -q "deep-learning-course @ git+https://github.com/dl-course/deep-learning-course@v{course.__version__}"'

    def found_after_pip(installed):
        def fake(name, *args):
            if name != "course":
                return find_spec(name, *args)
            return types.SimpleNamespace(name=name) if installed else None

        return fake

    monkeypatch.setattr(importlib.util, "find_spec", found_after_pip(True))
    assert run_setup_cell() == [("pip", pip_line)]
    monkeypatch.setattr(importlib.util, "find_spec", found_after_pip(False))  # pip failed (no internet, say)
    with pytest.raises(ModuleNotFoundError, match=r"internet access \(on Kaggle: Settings > Internet\)") as failed:
        run_setup_cell()
    assert failed.value.__suppress_context__  # one clear message, not a chain of two tracebacks


def test_every_unit_has_a_lecture():
    numbers = sorted(p.name[:2] for p in LECTURES)
    # Units 1-10 are all present; Units 11-13 are added one lecture at a time
    assert set(numbers) >= {f"{i:02d}" for i in range(1, 11)}, f"lectures found: {numbers}"
    assert set(numbers) <= {f"{i:02d}" for i in range(1, 14)}, f"lectures found: {numbers}"
    assert len(numbers) == len(set(numbers)), f"two lectures share a number: {numbers}"


def test_student_versions_carry_no_outputs():
    for path in ROOT.glob("exercises/*/*.ipynb"):
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path.name


MAX_NOTEBOOK_MB = 3.0  # the largest lecture is about 2 MB with its figures at 150 dpi


@pytest.mark.parametrize("path", EXECUTED, ids=_ids(EXECUTED))
def test_figures_are_stored_sharp_and_the_notebook_stays_small(path):
    import base64
    import struct

    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        for out in cell.get("outputs", []):
            if "image/png" not in out.get("data", {}):
                continue
            png = base64.b64decode(out["data"]["image/png"])
            width = struct.unpack(">I", png[16:20])[0]
            shown = out.get("metadata", {}).get("image/png", {}).get("width")
            # stored at 150 dpi and shown at the 100 dpi size: 1.5 pixels per shown pixel (re-run the notebook
            # if this fails: course.setup() arranges it)
            where = f"{path.name}: code cell {i + 1}"
            assert shown and width / shown > 1.45, f"{where} has a {width}-pixel figure shown at {shown}"
    assert path.stat().st_size < MAX_NOTEBOOK_MB * 2**20, f"{path.name} is {path.stat().st_size / 2**20:.1f} MB"
