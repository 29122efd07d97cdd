"""`python -m course_grading grade`: bad submissions each get a clear status, good ones are graded normally.

The toy assignment in tests/grading_fixtures/ (2 + 3 autograded points, hidden tests, one written answer)
is graded from a folder of students, one per kind of trouble, then again from a zip of the same folder.
"""

from __future__ import annotations

import copy
import csv
import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest

from course_grading.grade import _html_text
from course_grading.intake import Submission, collect, safe_id, unzip
from course_grading.kernel import TRUNCATED
from course_grading.outcome import failures_from_log, inspect, status_of
from course_grading.prepare import prepare, read_notebook, repair
from course_grading.report import Row, read_csv, write_csv
from course_grading.notebook import cells_by_id, hidden_test_lines
from grading_helpers import replace_answer, solution_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"
SOURCE = nbformat.read(FIXTURES / "solutions" / "toy" / "toy.ipynb", as_version=4)
RELEASE = nbformat.read(FIXTURES / "exercises" / "toy" / "toy.ipynb", as_version=4)
GOOD = solution_submission(RELEASE, SOURCE)
SQUARE = cells_by_id(GOOD)["square_answer"].source
MEAN = cells_by_id(GOOD)["mean_answer"].source


def _without(nb, grade_id):
    nb = copy.deepcopy(nb)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != grade_id]
    return nb


def _edited_test(nb, grade_id, source):
    nb = copy.deepcopy(nb)
    cells_by_id(nb)[grade_id].source = source
    return nb


def _no_metadata(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        cell.metadata = {}
    return nb


def _other_assignment_ids(nb):
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["grade_id"] = "lab9_" + cell.metadata.nbgrader["grade_id"]
    return nb


def _other_lab(nb):
    nb = copy.deepcopy(nb)  # another assignment reusing the same cell names, with its own tests
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("locked"):
            cell.source = cell.source.replace("square(3) == 9", "cube(2) == 8")
            cell.source = cell.source.replace("mean([1, 2, 3])", "median([1, 2, 3])")
    return nb


# student path -> (notebook or raw text, expected score, expected status, words expected in the message)
CASES = {
    "alice/toy.ipynb": (GOOD, 5, "ok", ""),
    "bob.ipynb": (replace_answer(GOOD, "mean_answer", "def mean(xs):\n    return sum(xs) / (len(xs) + 1)"), 2, "ok",
                  ""),
    "carol.ipynb": (replace_answer(GOOD, "square_answer", "def square(x)\n    return x * x"), 3, "syntax_error",
                    "SyntaxError"),
    "dave.ipynb": (replace_answer(GOOD, "square_answer", "import numpyy\n" + SQUARE), 3, "exception",
                   "ModuleNotFoundError"),
    "erin.ipynb": (replace_answer(GOOD, "square_answer", "while True:\n    pass\n" + SQUARE), 3, "timeout",
                   "time limit"),
    "frank.ipynb": (replace_answer(GOOD, "square_answer", "import numpy as np\nbig = np.ones(10**11)\n" + SQUARE), 3,
                    "memory", "more memory"),
    "grace.ipynb": (replace_answer(GOOD, "mean_answer", MEAN + "\nprint('\\n'.join(f'spam {i}' for i in range(200_000)))\n"
                                   "print('x' * 3_000_000)"), 5, "output_truncated", "output cut"),
    "heidi.ipynb": (_edited_test(replace_answer(GOOD, "square_answer", "def square(x):\n    return 2 * x"),
                                 "square_tests", "pass  # no tests here"), 3, "tests_restored", "square_tests"),
    "ivan/toy.ipynb": (_without(GOOD, "mean_tests"), 5, "tests_restored", "deleted test cell(s) restored: mean_tests"),
    "judy.ipynb": (_no_metadata(GOOD), 5, "metadata_missing", "metadata was missing"),
    "ken.ipynb": (_no_metadata(replace_answer(GOOD, "mean_answer", "def mean(xs):\n    return 0")), 2,
                  "metadata_missing", "metadata was missing"),
    "kim.ipynb": ("", 0, "invalid_notebook", "empty"),
    "leo.ipynb": ("{not json", 0, "invalid_notebook", "not a valid notebook"),
    "mallory/lab1.ipynb": (GOOD, 5, "renamed", "lab1.ipynb"),
    "nina/toy.ipynb": (_other_assignment_ids(GOOD), 0, "wrong_assignment", "another assignment"),
    "olga/other_lab.ipynb": (_other_lab(RELEASE), 0, "wrong_assignment", "other_lab"),
    "oscar/toy/toy.ipynb": (GOOD, 5, "ok", ""),
    "quinn.ipynb": (replace_answer(GOOD, "square_answer", "import os\nos._exit(3)\n" + SQUARE), 0, "kernel_died",
                    "not graded"),
    # ignoring SIGINT is flagged before grading; the cell then cannot be interrupted, so nothing is graded
    "rita.ipynb": (replace_answer(GOOD, "square_answer", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                                  "while True:\n    pass\n" + SQUARE), 0, "flagged", "could not be interrupted"),
    # code that reaches into the kernel is flagged for review and still graded: square right, mean wrong
    "sybil.ipynb": (replace_answer(replace_answer(GOOD, "mean_answer", "def mean(xs):\n    return 0"), "square_answer",
                                   "print(type(get_ipython()).__name__)\n" + SQUARE), 2, "flagged",
                    "flagged: square_answer line 1: print(type(get_ipython()).__name__) (IPython internals)"),
    "peggy/toy.ipynb": (RELEASE, 0, "ok", ""),
}


def write_cases(folder: Path) -> Path:
    """Write every case's file under `folder`."""
    for rel, (content, *_rest) in CASES.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            nbformat.write(content, path)
    return folder


def _student(rel: str) -> str:
    return rel.split("/")[0].removesuffix(".ipynb")


# ---------------------------------------------------------------- fast checks of the pieces


def test_collect_reads_every_layout(tmp_path):
    subs = write_cases(tmp_path / "subs")
    found = {s.student: s.relative for s in collect(subs, "toy")}
    assert sorted(found) == sorted(_student(r) for r in CASES)
    assert found["oscar"] == ["oscar/toy/toy.ipynb"] and found["bob"] == ["bob.ipynb"]
    # nbgrader's own layout, given as the course folder holding submitted/
    nbformat.write(GOOD, (tmp_path / "course" / "submitted" / "zoe" / "toy").mkdir(parents=True) or
                   tmp_path / "course" / "submitted" / "zoe" / "toy" / "toy.ipynb")
    (tmp_path / "course" / "submitted" / "zoe" / "toy" / "timestamp.txt").write_text("2024-01-01 10:00:00")
    assert [s.relative for s in collect(tmp_path / "course", "toy")] == [["zoe/toy/toy.ipynb"]]


def test_unzip_unwraps_a_lone_folder_and_refuses_escaping_paths(tmp_path):
    archive = tmp_path / "subs.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("submissions/alice.ipynb", nbformat.writes(GOOD))
        zf.writestr("submissions/bob/toy.ipynb", nbformat.writes(GOOD))
        zf.writestr("submissions/.ipynb_checkpoints/alice-checkpoint.ipynb", "{}")
        zf.writestr("__MACOSX/submissions/._alice.ipynb", "junk")
        zf.writestr("../escape.ipynb", "{}")
    folder = unzip(archive, tmp_path / "out")
    assert not (tmp_path / "escape.ipynb").exists()
    assert [s.student for s in collect(folder, "toy")] == ["alice", "bob"]


def test_safe_ids_are_unique_and_plain():
    taken = set()
    assert [safe_id(s, taken) for s in ["Ana María", "Ana_María", "../x", "a.b@c"]] == \
        ["Ana_Mar_a", "Ana_Mar_a_2", "_x", "a.b@c"]


@pytest.mark.parametrize("rel", sorted(CASES))
def test_prepare_flags_each_submission(rel, tmp_path):
    write_cases(tmp_path)
    sub = next(s for s in collect(tmp_path, "toy") if s.student == _student(rel))
    prepared = prepare(sub, RELEASE, "toy", {"toy", "other_lab"})
    _, score, status, words = CASES[rel]
    pre = status_of(prepared.flags)
    if status in {"invalid_notebook", "wrong_assignment", "metadata_missing", "tests_restored", "renamed"}:
        assert pre == status, prepared.notes
        assert words in "; ".join(prepared.notes)
    elif status == "flagged":  # found before grading; what grading adds to the message comes later
        assert pre == status and prepared.notes[0].startswith("flagged: "), prepared.notes
    else:
        assert pre == "ok", prepared.notes
    if prepared.notebook is not None:
        nbformat.validate(prepared.notebook)
        graded = cells_by_id(prepared.notebook)
        for grade_id in ("square_tests", "mean_tests"):  # every test cell present, with the release's text
            assert graded[grade_id].source == cells_by_id(RELEASE)[grade_id].source


@pytest.mark.parametrize("gone", ["square_tests", "mean_tests"])
def test_a_deleted_test_cell_goes_back_right_after_its_answer(gone):
    answer = cells_by_id(GOOD)[gone.replace("_tests", "_answer")].source
    for nb in (_without(GOOD, gone), _no_metadata(_without(GOOD, gone))):
        cells = repair(nb, RELEASE).notebook.cells
        where = [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells].index(gone)
        assert cells[where - 1].source == answer
        assert cells[where].source == cells_by_id(RELEASE)[gone].source
        assert len({c.id for c in cells}) == len(cells)


def test_no_submission_and_no_notebook():
    assert status_of(prepare(Submission("x"), RELEASE, "toy").flags) == "no_notebook"


def test_read_notebook_names_the_problem(tmp_path):
    (tmp_path / "a.ipynb").write_text("")
    (tmp_path / "b.ipynb").write_text(json.dumps({"cells": "nope"}))
    assert read_notebook(tmp_path / "a.ipynb") == (None, "a.ipynb is empty")
    nb, problem = read_notebook(tmp_path / "b.ipynb")
    assert nb is None and "b.ipynb is not a valid notebook" in problem


def test_inspect_reads_timeouts_memory_and_errors():
    nb = copy.deepcopy(GOOD)
    cells = cells_by_id(nb)
    err = nbformat.v4.new_output
    cells["square_answer"].outputs = [err("error", ename="KeyboardInterrupt", evalue="", traceback=[]),
                                      err("error", ename="CellTimeoutError", evalue="", traceback=[])]
    cells["square_tests"].outputs = [err("error", ename="NameError", evalue="name 'square' is not defined",
                                         traceback=[])]
    cells["mean_answer"].outputs = [err("stream", name="stdout", text=f"x\n{TRUNCATED}: ...]\n"),
                                    err("error", ename="MemoryError", evalue="", traceback=[])]
    flags, notes = inspect(nb)
    assert flags == ["timeout", "output_truncated", "memory"], notes  # a failing test is no status of its own
    assert notes[0] == "square_answer ran past the time limit"


def test_failures_are_read_from_nbgrader_log():
    log = ("[AutogradeApp | INFO] Autograding x\n"
           "[AutogradeApp | ERROR] There was an error processing assignment: /w/submitted/bob/toy\n"
           "[AutogradeApp | ERROR] Traceback (most recent call last):\n  File ...\n"
           "nbclient.exceptions.DeadKernelError: Kernel died\n"
           "[AutogradeApp | ERROR] There was an error processing assignment 'toy' for student 'bob'\n")
    stuck = log.replace("bob", "eve").replace("nbclient.exceptions.DeadKernelError: Kernel died",
                                              "nbclient.exceptions.CellTimeoutError: A cell timed out\n  ----")
    odd = log.replace("bob", "fay").replace("nbclient.exceptions.DeadKernelError: Kernel died",
                                            "KeyError: 'points'\n  ----")
    found = failures_from_log(log + stuck + odd, ["alice", "bob", "eve", "fay"], "toy")
    assert sorted(found) == ["bob", "eve", "fay"]
    assert found["bob"][0] == "kernel_died" and "not graded" in found["bob"][1]
    assert found["eve"][0] == "timeout" and "could not be interrupted" in found["eve"][1]
    assert found["fay"] == ("grader_error", "nbgrader could not process this notebook: KeyError: 'points'")


def test_csv_is_sorted_and_stable(tmp_path):
    rows = [Row("zed", 1.5, 5, "ok", ""), Row("amy", 5.0, 5, "renamed", "a, b")]
    write_csv(rows, tmp_path / "a.csv")
    write_csv(rows[::-1], tmp_path / "b.csv")
    assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert (tmp_path / "a.csv").read_text().splitlines() == [
        "student,score,max_score,status,message", 'amy,5,5,renamed,"a, b"', "zed,1.5,5,ok,"]


def test_cli_rejects_an_unknown_assignment(tmp_path, capsys):
    from course_grading.cli import main

    code = main(["grade", "no_such_lab", str(tmp_path), "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES)])
    assert code == 2
    assert "no_such_lab" in capsys.readouterr().err
    code = main(["grade", "toy", str(tmp_path), "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES),
                 "--jobs", "0"])
    assert code == 2
    assert "jobs is the number of notebooks graded at once" in capsys.readouterr().err


@pytest.mark.slow
def test_torch_imports_and_works_under_the_memory_limit():
    code = ("from course_grading.kernel import limit_memory\nlimit_memory(3000)\nimport torch\n"
            "x = torch.randn(500, 500, requires_grad=True)\n(x @ x).sum().backward()\n"
            "try:\n    torch.zeros(100_000, 100_000)\n"
            "except RuntimeError as e:\n    print('refused', 'allocate' in str(e))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "refused True"


# ---------------------------------------------------------------- the whole command, twice


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Grade the cases from a folder (3 at once), then from a zip of it (one by one); return both output folders."""
    base = tmp_path_factory.mktemp("cli")
    course = base / "course"
    shutil.copytree(FIXTURES, course, ignore=shutil.ignore_patterns("wrong_answers", "__pycache__"))
    (course / "solutions" / "other_lab").mkdir()
    shutil.copy(FIXTURES / "solutions" / "toy" / "toy.ipynb", course / "solutions" / "other_lab" / "other_lab.ipynb")
    subs = write_cases(base / "subs")
    with zipfile.ZipFile(base / "subs.zip", "w") as zf:
        for path in sorted(subs.rglob("*")):
            zf.write(path, Path("submissions") / path.relative_to(subs))
    ids = base / "ids.csv"  # the first run also writes a Canvas import file
    ids.write_text("student,name,canvas_id\n" + "".join(f"{_student(rel)},Student {k},{1000 + k}\n"
                                                        for k, rel in enumerate(sorted(CASES))))
    outs = []  # the folder graded 3 notebooks at a time, the zip one at a time: the results must not differ
    for source, out, extra in ((subs, base / "out1", ["--jobs", "3", "--lms", "canvas", "--id-map", str(ids)]),
                               (base / "subs.zip", base / "out2", ["--jobs", "1"])):
        done = subprocess.run([sys.executable, "-m", "course_grading", "grade", "toy", str(source), "--out", str(out),
                               "--timeout", "5", "--course-dir", str(course), *extra],
                              capture_output=True, text=True, timeout=1800)
        assert done.returncode == 0, done.stderr[-3000:]
        outs.append((out, done.stdout))
    return outs


@pytest.mark.grading
@pytest.mark.slow
@pytest.mark.parametrize("rel", sorted(CASES))
def test_each_student_gets_the_right_score_and_status(rel, runs):
    (out, _), _ = runs
    row = read_csv(out / "grades.csv")[_student(rel)]
    _, score, status, words = CASES[rel]
    assert (row["status"], float(row["score"]), float(row["max_score"])) == (status, score, 5.0), row
    assert words in row["message"], row
    parts = [row["square_tests"], row["mean_tests"]]  # a column per autograded part; blank where not graded
    if "" not in parts:
        assert sum(map(float, parts)) == score, row
    else:
        assert parts == ["", ""] and score == 0, row
    assert row["written"] == "", row


@pytest.mark.grading
@pytest.mark.slow
def test_the_canvas_file_has_every_student_with_their_score(runs):
    (out, stdout), _ = runs
    grades = read_csv(out / "grades.csv")
    with open(out / "canvas.csv", newline="") as f:
        table = list(csv.reader(f))
    assert table[0] == ["Student", "ID", "toy"] and table[1] == ["Points Possible", "", "5"]
    names = {f"Student {k}": _student(rel) for k, rel in enumerate(sorted(CASES))}
    assert {names[name]: float(score) for name, _, score in table[2:]} == {
        s: float(r["score"]) for s, r in grades.items()}
    assert "canvas import file" in stdout


@pytest.mark.grading
@pytest.mark.slow
def test_grading_again_from_a_zip_one_at_a_time_gives_the_same_csv(runs):
    (out1, stdout), (out2, _) = runs
    assert (out1 / "grades.csv").read_bytes() == (out2 / "grades.csv").read_bytes()
    assert f"{len(CASES)} submission(s)" in stdout and "written answers (1 point) are graded by hand" in stdout


@pytest.mark.grading
@pytest.mark.slow
def test_feedback_shows_visible_tests_but_never_hidden_ones(runs):
    (out, _), _ = runs
    hidden = hidden_test_lines(SOURCE)
    assert len(hidden) == 4
    pages = sorted((out / "feedback").glob("*.html"))
    assert [p.stem for p in pages] == sorted(_student(r) for r in CASES)
    for page in pages:
        text = page.read_text()
        assert "HIDDEN TESTS" not in text, page.name
        for line in hidden:
            assert line not in text and line.replace('"', "&quot;") not in text, (page.name, line)
    alice = _html_text((out / "feedback" / "alice.html").read_text())
    assert "assert square(3) == 9" in alice and "visible mean tests passed" in alice
    assert (out / "feedback" / "grace.html").stat().st_size < 1_000_000
