"""The student library and the instructor tools are separate: `import course` never loads the grader,
and the student distribution does not contain it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_course_loads_no_grading_module():
    code = "import sys, course, course.checks, course.viz, course.widgets; " \
           "print(sorted(m for m in sys.modules if m.startswith('course_grading') or m.startswith('nbgrader')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", f"import course loaded {done.stdout.strip()}"


def test_import_course_loads_no_plotting_or_widgets_until_used():
    # every grading kernel and script pays for `import course`: matplotlib and ipywidgets wait until used
    code = ("import sys, course; heavy = ('matplotlib', 'ipywidgets', 'course.viz', 'course.widgets'); "
            "print([m for m in heavy if m in sys.modules]); course.viz.CourseFigure; course.widgets; "
            "print([m for m in heavy if m not in sys.modules]); "
            "print(sorted({'viz', 'widgets', 'checks'} - set(dir(course))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    before, after, missing = done.stdout.split("\n")[:3]
    assert before == "[]", f"import course loaded {before}"
    assert after == "[]", f"course.viz / course.widgets did not load on use: {after} still missing"
    assert missing == "[]", f"dir(course) lacks {missing}"
    with pytest.raises(AttributeError, match="no attribute 'vizz'"):
        import course

        course.vizz  # noqa: B018 - a typo gets the usual error


@pytest.mark.slow
def test_student_wheel_holds_the_library_and_not_the_grader(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(ROOT)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("deep_learning_course-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "course/__init__.py" in names and "course/checks.py" in names
    assert not [n for n in names if n.startswith(("course_grading/", "course/grading/", "solutions/", "tests/"))], \
        "the student wheel must not contain the grader, solutions or tests"


def test_the_version_is_written_once_and_the_build_reads_it_from_course():
    # pyproject.toml names no version of its own: setuptools reads course.__version__ (dynamic = ["version"])
    import tomllib

    from setuptools.config.pyprojecttoml import read_configuration

    import course

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert "version" not in project and "version" in project["dynamic"]
    built = read_configuration(ROOT / "pyproject.toml", expand=True)["project"]["version"]
    assert built == course.__version__


def test_the_top_level_holds_what_a_student_uses_not_device_plumbing():
    import course
    import course.device

    for name in ("available_cpus", "idle_cpus", "auto_threads", "model_device", "model_dtype", "to_numpy"):
        assert name not in course.__all__ and not hasattr(course, name), f"course.{name} should live in course.device"
        assert callable(getattr(course.device, name))
    assert all(hasattr(course, name) for name in course.__all__), "__all__ names something course lacks"
