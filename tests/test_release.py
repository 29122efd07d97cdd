"""The packages as released: built from the repository, holding what users need and nothing of the instructor's.

The whole check (a clean virtual environment, torch installed, lecture 01 run there) is `make release-check`;
these tests cover the build and the wheel's contents, which need no download.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import release_check  # noqa: E402  (a script in tools/, not a package)


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    return release_check.build(tmp_path_factory.mktemp("dist"))


def test_the_course_wheel_holds_the_library_and_data_and_no_instructor_file(packages):
    names = release_check.check_wheel(packages["course_wheel"])
    assert any(n.startswith("course/data/subset/mnist/") for n in names)
    assert "course/data/text/kjv_genesis_exodus.txt" in names and "course/data/text/SOURCE.md" in names  # Unit 12
    grader = zipfile.ZipFile(packages["grading_wheel"]).namelist()
    assert "course_grading/sandbox.py" in grader and not any(n.startswith("course/") for n in grader)


def test_the_wheel_version_is_the_library_version(packages):
    import course

    assert release_check.wheel_version(packages["course_wheel"]) == course.__version__


def test_the_licences_ship_in_the_sdist_and_the_wheel(packages):
    sdist = tarfile.open(packages["course_sdist"]).getnames()
    assert any(n.endswith("/LICENSE") for n in sdist), sdist[:20]
    wheel = zipfile.ZipFile(packages["course_wheel"]).namelist()
    assert any(n.endswith("licenses/LICENSE") or n.endswith("/LICENSE") for n in wheel), [
        n for n in wheel if "dist-info" in n]


def test_a_leaked_instructor_file_fails_the_check(tmp_path, packages):
    leaked = tmp_path / "leaky.whl"
    with zipfile.ZipFile(packages["course_wheel"]) as src, zipfile.ZipFile(leaked, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item))
        dst.writestr("solutions/01_logistic_regression/01_logistic_regression.ipynb", "{}")
    with pytest.raises(release_check.CheckFailed, match="must not hold"):
        release_check.check_wheel(leaked)
