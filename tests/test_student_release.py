"""The student edition (tools/student_release.py): what it holds, what it must not hold, that it refuses a
leak, and that committing it to the `student` branch leaves the working tree and the index alone."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from pathlib import Path

import pytest

from tools.student_release import IDIOMS, NEVER, ROOT, build, check, secret_map

TOOL = ROOT / "tools" / "student_release.py"
STUDENT_TOP = {"course", "lectures", "exercises", "binder", "environment.yml", "pyproject.toml", "README.md",
               "Makefile", ".gitignore"}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


def head_files(repo: Path = ROOT) -> list[str]:
    return git(repo, "ls-tree", "-r", "--name-only", "--full-tree", "HEAD").split("\n")[:-1]


def tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(TOOL), *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def edition(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("student") / "edition"
    report = build(out)
    assert not report.problems, "\n".join(report.problems)
    return out


def files_of(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_edition_holds_what_students_use(edition):
    licences = {f for f in head_files() if "/" not in f and f.upper().startswith(("LICEN", "COPYING"))}
    assert {p.name for p in edition.iterdir()} == STUDENT_TOP | licences
    kept = [f for f in head_files() if f.startswith(("course/", "lectures/", "exercises/", "binder/"))]
    assert len(kept) > 60 and not [f for f in kept if not (edition / f).is_file()]

    project = tomllib.loads((edition / "pyproject.toml").read_text())["project"]
    full = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert set(project["optional-dependencies"]) == {"lab"}, "the instructor and dev extras must go"
    assert project["dependencies"] == full["dependencies"] and project["name"] == full["name"]
    assert "-e .[lab]" in (edition / "environment.yml").read_text()

    readme = (edition / "README.md").read_text()
    assert "/student?urlpath=lab/tree/lectures" in readme and "Colab" in readme and "make start" in readme
    assert "## Submit" in readme and "INSTRUCTORS" not in readme and "solutions/" not in readme
    targets = set(re.findall(r"^([\w-]+):", (edition / "Makefile").read_text(), re.MULTILINE))
    assert targets == {"start", "install", "clean"}, f"the student Makefile has {targets}"


def test_edition_holds_nothing_of_the_instructor(edition):
    files = files_of(edition)
    assert not [f for f in files if f.startswith(NEVER) or f in NEVER]
    for name in files:
        text = (edition / name).read_bytes().decode(errors="replace")
        for needle in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "course_grading"):
            assert needle not in text, f"{name} contains {needle!r}"
        if name.startswith("course/"):
            assert "weight_gradients" not in text, f"{name} still uses the left-out weight_gradients"
    binder = (edition / "binder" / "requirements.txt").read_text()
    assert "grading" not in binder and "[dev" not in binder and "instructor" not in binder
    assert (edition / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in binder and "torch==2.13.0" in binder
    assert "-e ." not in binder, "the course is installed by postBuild, after the cached dependency layer"
    assert "pip install --no-deps -e ." in (edition / "binder" / "postBuild").read_text()


@pytest.mark.slow  # about 3 s of CPU: a fresh interpreter imports torch
def test_edition_imports_the_library_but_not_the_grader(edition):
    # -S: no site processing, so the editable installs of this checkout (course, course_grading) are not
    # seen; the third-party packages come from site-packages named explicitly on PYTHONPATH.
    site = {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(edition), *sorted(site)])}
    code = ("import course, course.checks, course.viz; "
            "print(course.__file__); print(hasattr(course.viz, 'weight_gradients'))")
    done = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, env=env, cwd=edition)
    assert done.returncode == 0, done.stderr
    where, has_left_out = done.stdout.split()
    assert Path(where).is_relative_to(edition) and has_left_out == "False"
    import course_grading  # noqa: F401  (the instructor's environment has it: the failure below is the edition's)
    done = subprocess.run([sys.executable, "-S", "-c", "import course_grading"], capture_output=True, text=True,
                          env=env, cwd=edition)
    assert done.returncode != 0 and "No module named 'course_grading'" in done.stderr


@pytest.mark.slow  # about 3 s of CPU: a fresh interpreter loads the grader's notebook reader
def test_refuses_an_edition_with_a_solution_notebook_planted(edition, tmp_path):
    planted = tmp_path / "edition"
    shutil.copytree(edition, planted)
    solution = subprocess.run(["git", "-C", str(ROOT), "show", "HEAD:solutions/04_autodiff/04_autodiff.ipynb"],
                              capture_output=True, check=True).stdout
    (planted / "exercises" / "04_autodiff" / "04_autodiff.ipynb").write_bytes(solution)
    done = tool("--check", str(planted))
    assert done.returncode == 1 and "REFUSED" in done.stderr
    assert "exercises/04_autodiff/04_autodiff.ipynb: contains the nbgrader marker 'BEGIN SOLUTION'" in done.stderr
    assert "is a line of the solution of 04_autodiff" in done.stderr  # (the fixture's edition passed this scan)


def test_finds_single_lines_of_solutions_and_hidden_tests(tmp_path):
    secrets = secret_map(ROOT, "HEAD")
    solution = next(line for line, where in sorted(secrets.items())
                    if ("09_lenet", "solution") in where and line not in IDIOMS)
    hidden = next(line for line, where in sorted(secrets.items())
                  if ("06_deep_nets", "hidden tests") in where and line not in IDIOMS)
    (tmp_path / "course").mkdir()
    (tmp_path / "course" / "helpers.py").write_text(f"def f(x):\n    {solution}\n")
    (tmp_path / "notes.md").write_text(f"Hint:\n\n    {hidden}\n")
    (tmp_path / "INSTRUCTORS.md").write_text("copied by mistake\n")
    problems = check(tmp_path, secrets).problems
    assert f"course/helpers.py: {solution!r} is a line of the solution of 09_lenet" in problems
    assert f"notes.md: {hidden!r} is a line of the hidden tests of 06_deep_nets" in problems
    assert "INSTRUCTORS.md: instructor file" in problems


@pytest.mark.slow  # about 3 s of CPU: a clone and three builds
def test_student_branch_commit_leaves_worktree_and_index_alone(tmp_path, monkeypatch):
    repo, out = tmp_path / "repo", tmp_path / "out"
    subprocess.run(["git", "clone", "-q", "--shared", str(ROOT), str(repo)], check=True)
    for who in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{who}_NAME", "test")
        monkeypatch.setenv(f"GIT_{who}_EMAIL", "test@example.org")
    index = repo / ".git" / "index"
    before = (git(repo, "status", "--porcelain"), hashlib.sha256(index.read_bytes()).hexdigest(),
              git(repo, "rev-parse", "HEAD"))

    first = build(out, repo, branch="student").commit
    assert first == git(repo, "rev-parse", "student").strip()
    assert git(repo, "ls-tree", "-r", "--name-only", "student").split() == files_of(out)
    assert f"Student edition of {before[2][:12]}" in git(repo, "log", "-1", "--format=%s", "student")
    assert (git(repo, "status", "--porcelain"), hashlib.sha256(index.read_bytes()).hexdigest(),
            git(repo, "rev-parse", "HEAD")) == before
    assert build(out, repo, branch="student").commit == "unchanged"  # same tree: no new commit
    assert git(repo, "rev-parse", "student").strip() == first

    # A commit that copies an answer into the library: refused, the branch stays, no edition is left behind.
    answer = next(line for line, where in sorted(secret_map(ROOT, "HEAD").items())
                  if ("05_optimisers", "solution") in where and line not in IDIOMS)
    with open(repo / "course" / "train.py", "a") as f:
        f.write(f"\n\ndef _shortcut(params, grads, lr):\n    {answer}\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "leak"], check=True)
    refused = build(out, repo, branch="student")
    assert refused.problems == [f"course/train.py: {answer!r} is a line of the solution of 05_optimisers"]
    assert refused.commit is None and git(repo, "rev-parse", "student").strip() == first and not out.exists()


@pytest.mark.slow
def test_edition_wheel_is_the_student_package(edition, tmp_path):
    """What `pip install` of the student branch (the Colab cell) gets: the library, only the `lab` extra."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                    str(tmp_path), str(edition)], check=True, capture_output=True)
    (wheel,) = tmp_path.glob("deep_learning_course-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith(".dist-info/METADATA"))).decode()
    assert "course/checks.py" in names and "course/data/subset/manifest.json" in names
    assert re.findall(r"^Provides-Extra: (\S+)$", metadata, re.MULTILINE) == ["lab"]
    assert "deep-learning-course-grading" not in metadata
