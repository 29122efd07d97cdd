"""The Binder image: a cached layer of pinned dependencies, the course installed after it, lecture 01 on one CPU.

repo2docker rebuilds the layer of binder/requirements.txt only when that file changes, so the file must hold every
dependency, pinned as CI pins them, and not the course itself (binder/postBuild installs it without dependencies).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import binder_check  # noqa: E402  (scripts in tools/, not a package)
import binder_requirements  # noqa: E402

REQUIREMENTS = ROOT / "binder" / "requirements.txt"


def _pins(text: str) -> dict[str, str]:
    return dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", text, flags=re.M))


def test_the_requirements_are_those_of_this_environment(capsys):
    assert binder_requirements.main(["--check"]) == 0, capsys.readouterr().err


def test_a_stale_requirements_file_is_reported(tmp_path, monkeypatch, capsys):
    stale = tmp_path / "requirements.txt"
    stale.write_text(REQUIREMENTS.read_text().replace("\nnumpy==", "\nnumpy==1.0.0\n# was numpy=="))
    monkeypatch.setattr(binder_requirements, "TARGET", stale)
    monkeypatch.setattr(binder_requirements, "ROOT", tmp_path)
    assert binder_requirements.main(["--check"]) == 1
    assert "make binder-requirements" in capsys.readouterr().err


def test_the_layer_pins_everything_and_holds_no_local_package():
    text = REQUIREMENTS.read_text()
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    requirements = [line for line in lines if not line.startswith("--")]
    assert requirements and all("==" in line for line in requirements), [r for r in requirements if "==" not in r]
    assert not any(line.startswith(("-e", ".", "file:")) or "deep-learning-course" in line for line in lines)
    pins = _pins(text)
    # the stored outputs were made with the torch CI pins; Binder must run the same one
    constraints = _pins((ROOT / ".ci" / "constraints.txt").read_text())
    assert pins["torch"] == constraints["torch"].split("+")[0] == "2.13.0"
    for needed in ("numpy", "matplotlib", "ipywidgets", "jupyterlab", "nbgrader", "tqdm"):
        assert needed in pins, f"{needed} is missing from the Binder layer"
    for instructor_only in ("pytest", "playwright", "ruff", "mypy", "jupyterhub", "course-grading"):
        assert instructor_only not in pins, f"{instructor_only} is a developer or instructor tool"


def test_post_build_installs_the_course_without_dependencies():
    post_build = ROOT / "binder" / "postBuild"
    assert post_build.stat().st_mode & 0o111, "repo2docker runs postBuild only when it is executable"
    commands = [line for line in post_build.read_text().splitlines() if line and not line.startswith("#")]
    assert "python -m pip install --no-deps -e ." in commands


def test_an_unreachable_index_is_dropped_and_nothing_else(tmp_path, monkeypatch):
    monkeypatch.setattr(binder_check, "_resolves", lambda host: False)
    used, note = binder_check.requirements_here(tmp_path)
    assert used != REQUIREMENTS and "download.pytorch.org" in note
    assert "--extra-index-url" not in used.read_text()
    assert _pins(used.read_text()) == _pins(REQUIREMENTS.read_text())
    monkeypatch.setattr(binder_check, "_resolves", lambda host: True)
    assert binder_check.requirements_here(tmp_path) == (REQUIREMENTS, "")


@pytest.mark.slow  # about 55 s: a clean virtual environment with ~120 packages, then lecture 01 on one CPU
def test_the_simulated_binder_build_runs_lecture_01_on_one_cpu(capsys):
    assert binder_check.main([]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "3. executed" in out and "0 error output(s)" in out and "the course counted 1" in out, out
