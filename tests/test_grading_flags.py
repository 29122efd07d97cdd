"""The tamper scan (`course_grading.flags`): each rule fires on what it targets, also in disguise, and never on
the course's own solutions and wrong answers; notebooks in a format the grader cannot read say so.

Fast: no kernel runs. The solutions, student versions and wrong answers are read when the tests run, since
they change as the assignments do.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from course_grading.flags import Finding, describe, scan
from course_grading.intake import collect
from course_grading.outcome import SEVERITY, status_of
from course_grading.prepare import prepare, read_notebook
from grading_helpers import load_wrong_answers, replace_answer, solution_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"


def _cell(source: str, grade_id: str | None = None, locked: bool = False, solution: bool = False):
    cell = nbformat.v4.new_code_cell(source)
    if grade_id:
        cell.metadata["nbgrader"] = {"grade_id": grade_id, "locked": locked, "solution": solution,
                                     "grade": locked, "schema_version": 3, **({"points": 1} if locked else {})}
    return cell


# A small release: an editable set-up cell, one answer cell and its locked test cell.
SETUP = ("# Colab set-up\nimport sys\nif 'google.colab' in sys.modules:\n    %pip install -q course\n"
         "%matplotlib inline\nimport numpy as np\nimport torch\nimport torch.nn.functional as F\n"
         "from course.checks import check_close, check_function")
TESTS = ("def _sigmoid_ref(z):\n    return 1 / (1 + np.exp(-z))\n\n_z = np.linspace(-3, 3, 7)\n"
         "check_function(sigmoid, _sigmoid_ref, [(_z,)])\nREFERENCE_TOLERANCE = 1e-6")
RELEASE = nbformat.v4.new_notebook(cells=[
    _cell(SETUP), _cell("# YOUR CODE HERE\nraise NotImplementedError()", "sigmoid_answer", solution=True),
    _cell(TESTS, "sigmoid_tests", locked=True)])
ANSWER = "def sigmoid(z):\n    return 1 / (1 + np.exp(-z))"


def flags_of(source: str, extra_cells: tuple[str, ...] = ()) -> list[Finding]:
    """The findings for a submission whose answer cell is `source`, with `extra_cells` added by the student."""
    nb = replace_answer(RELEASE, "sigmoid_answer", source)
    nb.cells += [_cell(s) for s in extra_cells]
    return scan(nb, RELEASE)


# source of the answer cell -> (line flagged, words of the reason)
FLAGGED = {
    # IPython internals, magics and the shell
    "get_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])": (1, "IPython internals"),
    "ip = get_ipython()\nip.events.register('post_run_cell', print)": (1, "IPython internals"),
    "get_ipython().set_custom_exc((Exception,), lambda *a: None)": (1, "IPython internals"),
    "import IPython\nIPython.get_ipython().showtraceback = print": (1, "IPython internals"),
    "from IPython import get_ipython as g\ng().ast_transformers.append(None)": (1, "IPython internals"),
    "from ipykernel.kernelbase import Kernel": (1, "IPython internals"),
    "print(In[-1])": (1, "IPython internals"),
    "print(_i3)": (1, "IPython internals"),
    "%pip install torch": (1, "magic %pip"),
    "!pip install torch": (1, "shell command"),
    "files = !ls ..": (1, "shell command"),
    "x = 1\n%run ../source/01.ipynb": (2, "magic %run"),
    "%%bash\nls": (1, "cell magic %%bash"),
    "%%writefile ../checks.py\nx = 1": (1, "cell magic %%writefile"),
    "%load_ext autoreload": (1, "magic %load_ext"),
    "%config IPCompleter.greedy = True": (1, "magic %config"),
    "%time import inspect": (1, "frame or introspection access"),
    "%%time\nx = 1\nimport inspect": (3, "frame or introspection access"),
    "%timeit -n 3 -r 1 sys._getframe()": (1, "frame or introspection access"),
    # frames and introspection, also obfuscated
    "import sys\nf = sys._getframe(1)": (2, "frame or introspection access"),
    "import sys as s\ns._getframe": (2, "frame or introspection access"),
    "from inspect import currentframe as c": (1, "frame or introspection access"),
    "x = getattr(__import__('sys'), '_getframe')": (1, "frame or introspection access"),
    "x = getattr(sys, '_get' + 'frame')": (1, "frame or introspection access"),
    "x = __import__('inspect').stack()": (1, "frame or introspection access"),
    "s = sys\nt = s\nt.settrace(None)": (3, "frame or introspection access"),
    "sys.setprofile(None)": (1, "frame or introspection access"),
    "frames = sys._current_frames()": (1, "frame or introspection access"),
    "import gc\ngc.get_objects()": (1, "frame or introspection access"),
    "def f():\n    return sys.exc_info()[2].tb_frame.f_back.f_locals": (2, "frame or introspection access"),
    "def g():\n    yield\nprint(g().gi_frame)": (3, "frame or introspection access"),
    "print(check_close.__code__.co_consts)": (1, "frame or introspection access"),
    "check_close.__defaults__ = (1e9, 1e9)": (1, "frame or introspection access"),
    "print(sigmoid.__globals__)": (1, "frame or introspection access"),
    "cells = sigmoid.__closure__": (1, "frame or introspection access"),
    "import traceback\nframes = list(traceback.walk_stack(None))": (2, "frame or introspection access"),
    "print(sys.last_traceback)": (1, "frame or introspection access"),
    "breakpoint()": (1, "frame or introspection access"),
    # builtins, the namespace and the import system
    "import builtins\nbuiltins.print = lambda *a: None": (1, "writes to builtins or the namespace"),
    "__builtins__.len = lambda x: 0": (1, "writes to builtins or the namespace"),
    "globals()['check_close'] = print": (1, "writes to builtins or the namespace"),
    "vars()['check_close'] = print": (1, "writes to builtins or the namespace"),
    "vars(np)['isclose'] = print": (1, "writes to builtins or the namespace"),
    "locals().update(check_close=print)": (1, "writes to builtins or the namespace"),
    "np.__dict__['isclose'] = print": (1, "writes to builtins or the namespace"),
    "x = ().__class__.__base__.__subclasses__()": (1, "writes to builtins or the namespace"),
    "b = print.__self__": (1, "frame or introspection access"),
    "object.__setattr__(np, 'isclose', print)": (1, "writes to builtins or the namespace"),
    "np.isclose = lambda *a, **k: True": (1, "patches an imported module"),
    "import course.checks\ncourse.checks.check_close = lambda *a, **k: None": (2, "patches an imported module"),
    "torch.sigmoid = lambda z: z": (1, "patches an imported module"),
    "F.relu = torch.relu": (1, "patches an imported module"),
    "torch.Tensor.sigmoid = lambda self: self": (1, "patches an imported module"),
    "setattr(np, 'isclose', print)": (1, "patches an imported module"),
    "delattr(torch, 'sigmoid')": (1, "patches an imported module"),
    "del np.isclose": (1, "patches an imported module"),
    "import sys\nsys.modules['course.checks'].check_close = print": (2, "import machinery"),
    "import importlib\nimportlib.reload(np)": (1, "import machinery"),
    "m = __import__('course.checks')": (1, "import machinery"),
    "sys.path.insert(0, '/tmp')": (1, "import machinery"),
    "name = 'sys'\nm = getattr(sys, name)": (2, "computed attribute of sys"),
    # rebinding names that the locked cells or the set-up define
    "check_close = lambda *a, **k: None": (1, "rebinds check_close of the set-up"),
    "check_function = check_close = print": (1, "rebinds check_function"),
    "def check_function(*a, **k):\n    pass": (1, "rebinds check_function"),
    "from numpy import isclose as check_close": (1, "rebinds check_close"),
    "import math as np": (1, "rebinds np of the set-up"),
    "_sigmoid_ref = lambda z: 0": (1, "rebinds _sigmoid_ref of a locked cell"),
    "for REFERENCE_TOLERANCE in [1e9]:\n    pass": (1, "rebinds REFERENCE_TOLERANCE"),
    "def cheat():\n    global _z\n    _z = np.zeros(7)": (3, "rebinds _z"),
    "del check_close": (1, "rebinds check_close"),
    "if (check_close := print):\n    pass": (1, "rebinds check_close"),
    "try:\n    pass\nexcept Exception as check_close:\n    pass": (3, "rebinds check_close"),
    # files and folders
    "text = open('../source/01/01.ipynb').read()": (1, "file or folder access"),
    "import io\nf = io.open('x')": (2, "file or folder access"),
    "import os\nos.listdir('..')": (2, "file or folder access"),
    "import os\nfor root, dirs, files in os.walk('/'):\n    pass": (2, "file or folder access"),
    "from os import scandir\nscandir('.')": (1, "file or folder access"),
    "import glob\nglob.glob('**/*.ipynb')": (1, "file or folder access"),
    "import shutil\nshutil.copy('a', 'b')": (1, "file or folder access"),
    "from pathlib import Path": (1, "file or folder access"),
    "text = p.read_text()": (1, "file or folder access"),
    "p.write_bytes(b'x')": (1, "file or folder access"),
    "paths = list(folder.rglob('*'))": (1, "file or folder access"),
    "import sqlite3": (1, "file or folder access"),
    "data = np.load(path)": (1, "file or folder access"),
    "state = torch.load(path)": (1, "file or folder access"),
    "torch.save(model, path)": (1, "file or folder access"),
    "import os\nprint(os.path.exists(p))": (2, "file or folder access"),
    "where = np.__file__": (1, "file or folder access"),
    "name = 'solution' + '.ipynb'": (1, "file or folder access"),
    "db = 'gradebook.db'": (1, "file or folder access"),
    "folder = '../'": (1, "file or folder access"),
    "import os\nmode = os.environ.get('NBGRADER_EXECUTION')": (2, "environment variables"),
    # code from strings, processes, signals, the network
    "exec('x = 1')": (1, "runs code from a string"),
    "y = eval('1 + 1')": (1, "runs code from a string"),
    "code = compile('x = 1', 'f', 'exec')": (1, "runs code from a string"),
    "run = eval\nrun('1 + 1')": (1, "runs code from a string"),
    "eval = eval\neval('1 + 1')": (2, "runs code from a string"),
    "__builtins__ = {}": (1, "writes to builtins or the namespace"),
    "import subprocess\nsubprocess.Popen(['sleep', '100'], start_new_session=True)": (1, "processes"),
    "import os\nos.system('ls')": (2, "processes"),
    "import os\nos.execv('/bin/sh', ['sh'])": (2, "processes"),
    "import os\npid = os.fork()": (2, "processes"),
    "from os import kill": (1, "processes"),
    "import multiprocessing": (1, "processes"),
    "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)": (1, "processes"),
    "import atexit": (1, "processes"),
    "import resource": (1, "processes"),
    "import ctypes": (1, "processes"),
    "import socket\nsocket.create_connection(('127.0.0.1', 8888))": (1, "network access"),
    "import urllib.request": (1, "network access"),
    "from os import *\nsystem('ls')": (2, "processes"),
}


@pytest.mark.parametrize("source", list(FLAGGED), ids=range(len(FLAGGED)))
def test_each_rule_fires(source):
    line, words = FLAGGED[source]
    found = flags_of(source)
    assert any(f.cell == "sigmoid_answer" and f.line == line and words in f.reason for f in found), found


HARMLESS = [
    ANSWER,
    "%matplotlib inline\n" + ANSWER,
    "import numpy as np\nimport torch.nn.functional as F\nfrom torch.nn import functional as F\n" + ANSWER,
    "from course.checks import check_close\n" + ANSWER,
    "from IPython.display import display\nimport IPython.display\ndisplay(IPython.display.Markdown('x'))",
    "model.eval()\nimport re\npattern = re.compile('a+')\nfast = torch.compile(model)",
    "np.random.seed(0)\ntorch.manual_seed(0)\nprint(type(z).__name__, z.__class__.__name__)",
    "class Value:\n    def __init__(self, data):\n        self.data = data\n"
    "    def __add__(self, other):\n        return Value(self.data + other.data)\n"
    "    def __repr__(self):\n        return f'Value({self.data})'",
    "def act(name):\n    return getattr(F, name)\nrelu = getattr(torch, 'relu')",
    "class Net:\n    def set(self, name, value):\n        setattr(self, name, value)",
    '"""Notes: the notebook 01.ipynb explains this, see ../lectures."""\n' + ANSWER,
    "%time sigmoid(np.zeros(3))\n%timeit -n 10 sigmoid(np.zeros(3))\nsigmoid?\nsigmoid??",
    "%%time\nx = sigmoid(np.zeros(3))",
    "%config InlineBackend.figure_format = 'retina'",
    "for _ in range(3):\n    _ = sigmoid(np.zeros(2))",
    "def f(sys):\n    return sys.modules  # a parameter, not the module",
    "print('loss...', 'done.')\nlabel = 'a/b'",
    "def sigmoid(z, check_close=None):\n    check_function = 1\n    return 1 / (1 + np.exp(-z))",
    "state = {'velocity': 0}\nstate['velocity'] = 1\nmodel = torch.nn.Linear(2, 1)\nmodel.weight.data[:] = 0",
    "await_me = [x for x in range(3)]\nsorted_ = sorted([3, 1])",
    "import math\nvalues = list(map(math.exp, [0.0]))",
    "def broken(:\n    import inspect",  # does not parse, so it never runs
    "def compile(model):\n    return model\nnet = compile(net)",
    "def train(model, open=None):\n    return open",
    "for _i in range(3):\n    print(_i)\ndef f(In):\n    return In",
]


@pytest.mark.parametrize("source", HARMLESS, ids=range(len(HARMLESS)))
def test_ordinary_student_code_is_not_flagged(source):
    assert flags_of(source) == []


def test_lines_the_release_wrote_are_never_flagged_even_in_an_edited_set_up_cell():
    nb = replace_answer(RELEASE, "sigmoid_answer", ANSWER)
    nb.cells[0].source = SETUP + "\nimport subprocess"
    assert [(f.cell, f.line, f.reason) for f in scan(nb, RELEASE)] == [("code cell 1", 10, "processes, signals or "
                                                                       "system internals")]


def test_added_cells_and_aliases_across_cells_are_followed():
    found = flags_of(ANSWER, extra_cells=("import sys as s", "\n\nframe = s._getframe(0)"))
    assert [(f.cell, f.line, f.text) for f in found] == [("code cell 5", 3, "frame = s._getframe(0)")]


def test_locked_cells_are_not_scanned_since_they_are_restored():
    nb = replace_answer(RELEASE, "sigmoid_answer", ANSWER)
    nb.cells[2].source = "import inspect"
    assert scan(nb, RELEASE) == []


def test_the_message_names_cell_line_text_and_reason():
    found = flags_of("x = 1\nget_ipython().input_transformers_post.append(lambda lines: ['pass\\n'])")
    assert describe(found) == ("flagged: sigmoid_answer line 2: get_ipython().input_transformers_post... "
                               "(IPython internals)")
    many = flags_of("import inspect\nimport gc\nimport ctypes\nimport socket\nimport signal")
    assert describe(many).endswith("; 2 more flagged line(s)") and describe(many).count("sigmoid_answer") == 3
    merged = flags_of("import sys\nx = getattr(__import__('os'), 'system')")
    assert len(merged) == 1 and "import machinery" in merged[0].reason and "processes" in merged[0].reason


def test_flagged_shows_above_ordinary_statuses_and_below_ungradable_ones():
    for ordinary in ("memory", "timeout", "syntax_error", "exception", "metadata_missing", "tests_restored",
                     "output_truncated", "renamed"):
        assert status_of([ordinary, "flagged"]) == "flagged"
    for ungradable in ("invalid_notebook", "no_notebook", "wrong_assignment", "grader_error", "kernel_died"):
        assert status_of(["flagged", ungradable]) == ungradable
    assert SEVERITY.count("flagged") == 1


def test_prepare_flags_but_still_grades(tmp_path):
    release = nbformat.read(FIXTURES / "exercises" / "toy" / "toy.ipynb", as_version=4)
    good = solution_submission(release, nbformat.read(FIXTURES / "solutions" / "toy" / "toy.ipynb", as_version=4))
    square = [c for c in good.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "square_answer"][0].source
    cheat = replace_answer(good, "square_answer", "get_ipython().run_cell('x = 1')\n" + square)
    cheat.cells = [c for c in cheat.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "mean_tests"]
    nbformat.write(cheat, tmp_path / "eve.ipynb")
    prepared = prepare(next(iter(collect(tmp_path, "toy"))), release, "toy", {"toy"})
    assert prepared.notebook is not None
    assert status_of(prepared.flags) == "flagged" and "tests_restored" in prepared.flags
    assert prepared.notes[0] == "flagged: square_answer line 1: get_ipython().run_cell('x = 1') (IPython internals)"


# ---------------------------------------------------------------- never on the course's own code


def _assignments() -> list[tuple[str, Path, Path, Path]]:
    """(name, instructor notebook, student version, wrong answers file) of every assignment and the toy one."""
    found = [(p.name, p / f"{p.name}.ipynb", ROOT / "exercises" / p.name / f"{p.name}.ipynb",
              ROOT / "tests" / "wrong_answers" / f"{p.name}.py")
             for p in sorted((ROOT / "solutions").glob("*")) if p.is_dir() and not p.name.startswith(".")]
    toy = FIXTURES / "solutions" / "toy" / "toy.ipynb"
    return found + [("toy", toy, FIXTURES / "exercises" / "toy" / "toy.ipynb", FIXTURES / "wrong_answers" / "toy.py")]


ASSIGNMENTS = _assignments()


@pytest.mark.parametrize("name, source, student, wrong", ASSIGNMENTS, ids=[a[0] for a in ASSIGNMENTS])
def test_flags_never_fire_on_the_solutions_the_blank_versions_or_the_wrong_answers(name, source, student, wrong):
    release = nbformat.read(student, as_version=4)
    solution = solution_submission(release, nbformat.read(source, as_version=4))
    submissions = {"solution": solution, "student version": release}
    for i, answer in enumerate(load_wrong_answers(wrong) if wrong.exists() else []):
        submissions[f"wrong answer {i} ({answer['cell']})"] = replace_answer(solution, answer["cell"], answer["source"])
    flagged = {label: describe(found) for label, nb in submissions.items() if (found := scan(nb, release))}
    assert flagged == {}, f"{name}: {flagged}"
    assert len(submissions) > 2 or name == "toy" and len(submissions) >= 2


# ---------------------------------------------------------------- notebooks the grader cannot read


def _toy_json() -> dict:
    return json.loads((FIXTURES / "exercises" / "toy" / "toy.ipynb").read_text())


@pytest.mark.parametrize("change, words", [
    ({"nbformat": 5}, "written in nbformat 5, newer than this grader reads: save it with Jupyter 4 or later as "
                      "nbformat 4"),
    ({"nbformat_minor": 99}, "written in nbformat 4.99, newer than this grader reads (4.5 at most)"),
    ({"nbformat": None}, "not a valid notebook: it has no nbformat version"),
    ({"nbformat": 0}, "nbformat 0 does not exist"),
    ({"nbformat": 1}, "marked as the old nbformat 1 but cannot be converted"),
    ({"nbformat": "4"}, "is not whole numbers"),
])
def test_a_notebook_in_a_format_the_grader_cannot_read_says_why(change, words, tmp_path):
    data = {k: v for k, v in {**_toy_json(), **change}.items() if v is not None}
    (tmp_path / "zed" / "toy").mkdir(parents=True)  # a nested layout, where "another assignment" was reported
    (tmp_path / "zed" / "toy" / "toy.ipynb").write_text(json.dumps(data))
    nb, problem = read_notebook(tmp_path / "zed" / "toy" / "toy.ipynb")
    assert nb is None and words in problem, problem
    release = nbformat.read(FIXTURES / "exercises" / "toy" / "toy.ipynb", as_version=4)
    prepared = prepare(next(iter(collect(tmp_path, "toy"))), release, "toy", {"toy", "other_lab"})
    assert status_of(prepared.flags) == "invalid_notebook" and prepared.notes == [problem]


def test_json_that_is_not_a_notebook_object_is_named(tmp_path):
    (tmp_path / "a.ipynb").write_text("[1, 2]")
    (tmp_path / "b.ipynb").write_text('{"cells": [}')
    assert read_notebook(tmp_path / "a.ipynb") == (None, "a.ipynb is not a valid notebook: its JSON is a list, "
                                                         "not an object")
    assert "b.ipynb is not a valid notebook (not JSON" in read_notebook(tmp_path / "b.ipynb")[1]


def test_an_old_but_convertible_notebook_is_still_read(tmp_path):
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""},
          "worksheets": [{"cells": [{"cell_type": "code", "input": "x = 1", "outputs": [], "language": "python",
                                     "metadata": {}}], "metadata": {}}]}
    (tmp_path / "old.ipynb").write_text(json.dumps(v3))
    nb, problem = read_notebook(tmp_path / "old.ipynb")
    assert problem == "" and nb.nbformat == 4 and nb.cells[0].source == "x = 1"
