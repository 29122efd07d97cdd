"""A throw-away nbgrader course directory: its config, one assignment's source, release and gradebook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

CONFIG_FILE = "nbgrader_config.py"
DEFAULT_DIRS = {"source_directory": "source", "release_directory": "release"}


def nbgrader_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for running nbgrader: this interpreter's bin/ first on PATH (nbgrader runs `alembic`)."""
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    env.setdefault("MPLBACKEND", "Agg")
    env.update(extra or {})
    return env


def course_directories(course_dir: str | os.PathLike) -> dict[str, str]:
    """The source and release folder names set by a course's nbgrader_config.py (nbgrader's defaults otherwise)."""
    found = dict(DEFAULT_DIRS)
    path = Path(course_dir) / CONFIG_FILE
    if path.is_file():
        from traitlets.config.loader import PyFileConfigLoader

        config = PyFileConfigLoader(CONFIG_FILE, path=str(path.parent)).load_config()
        for key in found:
            value = config.CourseDirectory.get(key)
            if isinstance(value, str) and value:
                found[key] = value
    return found


@dataclass
class Workspace:
    """An nbgrader course directory under `root` holding one assignment copied from a course."""

    root: Path
    assignment: str
    source_directory: str = "source"
    release_directory: str = "release"

    @classmethod
    def create(
        cls, root: str | os.PathLike, course_dir: str | os.PathLike, assignment: str, extra_config: str = ""
    ) -> Workspace:
        """Copy `assignment`'s source from `course_dir` into a new course directory at `root`."""
        course_dir, root = Path(course_dir).resolve(), Path(root).resolve()
        dirs = course_directories(course_dir)
        source = course_dir / dirs["source_directory"] / assignment
        if not (source / f"{assignment}.ipynb").is_file():
            raise FileNotFoundError(
                f"No source notebook {source / (assignment + '.ipynb')}: check the assignment name and --course-dir."
            )
        root.mkdir(parents=True, exist_ok=True)
        shutil.copytree(source, root / dirs["source_directory"] / assignment)
        course_config = course_dir / CONFIG_FILE
        lines = ['"""Working nbgrader configuration written by course_grading (safe to delete)."""', "c = get_config()"]
        if course_config.is_file():
            lines.append(f"load_subconfig({str(course_config)!r})")
        lines += [
            f"c.CourseDirectory.root = {str(root)!r}",
            f"c.CourseDirectory.db_url = {'sqlite:///' + str(root / 'gradebook.db')!r}",
            f"c.Exchange.assignment_dir = {str(root)!r}",
            extra_config,
        ]
        (root / CONFIG_FILE).write_text("\n".join(lines) + "\n")
        return cls(root, assignment, dirs["source_directory"], dirs["release_directory"])

    def nbgrader(
        self, *args: str, env: dict[str, str] | None = None, check: bool = True
    ) -> subprocess.CompletedProcess:
        """Run `python -m nbgrader ARGS` in the workspace; raise with nbgrader's log if it fails and `check`."""
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.root,
            env=nbgrader_env(env),
            capture_output=True,
            text=True,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        return done

    def generate(self) -> Path:
        """Generate the student version (and fill the gradebook); return the release folder."""
        self.nbgrader("generate_assignment", self.assignment, "--force")
        return self.root / self.release_directory / self.assignment

    @property
    def source_notebook(self) -> Path:
        """The instructor notebook inside the workspace."""
        return self.root / self.source_directory / self.assignment / f"{self.assignment}.ipynb"

    @property
    def release_notebook(self) -> Path:
        """The generated student notebook inside the workspace."""
        return self.root / self.release_directory / self.assignment / f"{self.assignment}.ipynb"

    def submit(self, student: str, nb: nbformat.NotebookNode) -> Path:
        """Write `nb` as `student`'s submission in nbgrader's submitted/ layout."""
        path = self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        return path

    def autograded_notebook(self, student: str) -> Path:
        """Where nbgrader writes `student`'s executed notebook."""
        return self.root / "autograded" / student / self.assignment / f"{self.assignment}.ipynb"

    def scores(self, student: str) -> dict[str, tuple[float | None, float]]:
        """`{grade_id: (auto_score, max_score)}` for every graded cell of `student`'s submission."""
        from nbgrader.api import Gradebook

        with Gradebook(f"sqlite:///{self.root / 'gradebook.db'}") as gb:
            notebook = gb.find_submission_notebook(self.assignment, self.assignment, student)
            return {g.name: (g.auto_score, g.max_score) for g in notebook.grades}
