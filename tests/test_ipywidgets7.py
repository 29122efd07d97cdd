"""The course with ipywidgets 7 (Colab long shipped 7.7.1): the explorers, and the set-up cell's install.

A virtual environment gets ipywidgets 7.8 of its own and reuses everything else (torch included) from the
environment running the tests: a .pth file in its site-packages names ours, and Python puts a .pth entry
after the folder that holds it, so its own ipywidgets 7 shadows our ipywidgets 8. `--system-site-packages`
would not do: it exposes the base interpreter's packages, not this virtual environment's torch. pip never
uninstalls what lies outside the environment it installs into, so ours is left as it is.

The widget tests (tests/test_widgets.py: each explorer's static figure, a control change that redraws it,
a real kernel) run there unchanged; then a kernel there runs the notebooks' set-up cell with the package
address pointed at a copy of this repository's library. Needs pip to reach a package index; skips if not.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
from pathlib import Path

import nbformat
import pytest
import torch

import course
from tools.sync_links import PACKAGE, SETUP_CELL, release_tag

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
IPYWIDGETS_7 = "ipywidgets==7.8.*"


def _run(python: Path, *args: str, env: dict | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def _clean_env(**extra: str) -> dict:
    """This process's environment without PYTHONPATH (so `course` is not importable unless installed)."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "JPY_SESSION_NAME", "COURSE_WIDGETS")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def venv7(tmp_path_factory) -> Path:
    """The python of a virtual environment with ipywidgets 7 and our other packages; skips when offline."""
    venv = tmp_path_factory.mktemp("ipywidgets7") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(_run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    ours = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    (site / "zz_reuse_test_environment.pth").write_text("\n".join(sorted(ours)) + "\n")
    done = _run(python, "-m", "pip", "install", "-q", "--disable-pip-version-check", IPYWIDGETS_7, env=_clean_env())
    if done.returncode != 0:
        pytest.skip(f"could not install {IPYWIDGETS_7} (no package index?): {done.stderr.strip()[-300:]}")
    probe = _run(python, "-c", "import ipywidgets, torch; print(ipywidgets.__version__, ipywidgets.__file__)")
    version, where = probe.stdout.split()
    assert version.startswith("7.") and Path(where).is_relative_to(venv), probe.stdout
    return python


def test_the_widget_tests_pass_with_ipywidgets_7(venv7):
    env = _clean_env(PYTHONPATH=str(ROOT), OMP_WAIT_POLICY="PASSIVE")
    done = _run(venv7, "-m", "pytest", "tests/test_widgets.py", "-q", "-p", "no:cacheprovider", env=env)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-2000:]


SETUP_CHECK = """
import sys, json, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
text = lambda o: o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
print(json.dumps([[text(o) for o in c.outputs] for c in nb.cells]))
"""

REPORT = """\
import json, course, torch, ipywidgets
from matplotlib.figure import Figure
from course.widgets import lr_explorer
print(json.dumps({"course": course.__file__, "version": course.__version__, "torch": torch.__file__,
                  "ipywidgets": ipywidgets.__version__, "static": isinstance(lr_explorer(), Figure)}))
"""


def test_the_setup_cell_installs_the_course_and_keeps_torch_and_ipywidgets_7(venv7, tmp_path):
    source = tmp_path / "course-src"  # what the release tag holds, as far as installing goes
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "course", source / "course", ignore=shutil.ignore_patterns("__pycache__"))
    tagged = f"git+https://github.com/dl-course/deep-learning-course@{release_tag()}"
    assert SETUP_CELL.count(f'"{PACKAGE} @ {tagged}"') == 1
    cell = SETUP_CELL.replace(tagged, source.as_uri())

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(cell), nbformat.v4.new_code_cell(REPORT), nbformat.v4.new_code_cell(cell)]
    path, work = tmp_path / "setup.ipynb", tmp_path / "work"
    work.mkdir()
    nbformat.write(nb, path)
    check = tmp_path / "check.py"
    check.write_text(textwrap.dedent(SETUP_CHECK))
    done = _run(venv7, str(check), str(path), str(work), env=_clean_env(COURSE_WIDGETS="static"), cwd=work)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    installing, report, again = json.loads(done.stdout.strip().splitlines()[-1])
    assert "not installed" not in "".join(installing), installing
    got = json.loads(report[0])
    venv = venv7.parent.parent
    assert Path(got["course"]).is_relative_to(venv) and got["version"] == course.__version__, got
    assert got["torch"] == torch.__file__, "pip replaced torch"
    assert got["ipywidgets"].startswith("7."), "pip replaced the platform's ipywidgets 7"
    assert got["static"] is True
    assert again == [], "the set-up cell printed something where the course was already installed"
