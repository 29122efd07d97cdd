"""Rewrite the launch badges and the set-up cell of every notebook from course/_meta.py and the version.

The repository's address lives only in course/_meta.py and the version only in course/__init__.py; run this
after changing either (`make sync-links` also regenerates the student versions in exercises/):
    python tools/sync_links.py          # rewrite notebooks in place
    python tools/sync_links.py --check  # exit 1 if any notebook is out of date

Lectures and solutions get the badges in their first markdown cell; a solution's badges open its student
version in exercises/, since the student edition holds no solutions. Solutions also get a "Saving and
submitting" section as their second cell, so every student version has it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course import __version__  # noqa: E402
from course._meta import REPO_SLUG, REPO_URL, STUDENT_BRANCH  # noqa: E402

PACKAGE = "deep-learning-course"


def release_tag(version: str = __version__) -> str:
    """The git tag of a release of the student edition: what the set-up cell installs."""
    return f"v{version}"


def setup_cell(version: str = __version__) -> str:
    """The first code cell of every notebook: install the released course only where it does not import."""
    tag = release_tag(version)
    return (
        f"# Where the course is not installed (Colab, Kaggle, a JupyterHub), install its release {tag}.\n"
        "# pip keeps the platform's own torch and ipywidgets: they already meet the course's requirements.\n"
        "try:\n"
        "    import course\n"
        "except ModuleNotFoundError:\n"
        f'    %pip install -q "{PACKAGE} @ git+{REPO_URL}@{tag}"\n'
        "    import importlib.util\n"
        "    importlib.invalidate_caches()  # let Python see what pip has just installed\n"
        '    if importlib.util.find_spec("course") is None:\n'
        "        raise ModuleNotFoundError(\n"
        '            "The course is not installed. If pip printed an error, give the notebook internet access "\n'
        '            "(on Kaggle: Settings > Internet) and run this cell again; if not, restart the kernel."\n'
        "        ) from None"
    )


SETUP_CELL = setup_cell()
# The set-up cell is found by what it installs, so that a cell of any earlier version is found and rewritten.
SETUP_MARK = f'%pip install -q "{PACKAGE} @ git+'


def is_setup_cell(cell: nbformat.NotebookNode) -> bool:
    """True for the set-up cell, whatever version it names (or the Colab-only cell it replaced)."""
    return cell.cell_type == "code" and (SETUP_MARK in cell.source or cell.source.startswith("# Colab set-up"))


def student_path(path: str) -> str:
    """Where the notebook at `path` (relative to the repository) is in the student edition."""
    if path.startswith("solutions/"):
        return "exercises/" + path.removeprefix("solutions/")
    return path


def badges(path: str) -> str:
    """Markdown for the Binder and Colab badges of the notebook at `path`, in the student edition."""
    path = student_path(path)
    binder = f"https://mybinder.org/v2/gh/{REPO_SLUG}/{STUDENT_BRANCH}?urlpath=lab/tree/{path}"
    colab = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/{STUDENT_BRANCH}/{path}"
    return (
        f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
        f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})"
    )


BADGE_LINE = re.compile(r"^\[!\[Binder\].*$", re.MULTILINE)


def expected_cells(nb: nbformat.NotebookNode, path: str) -> list[tuple[int, str]]:
    """(cell index, expected source) for the badge line and the set-up cell that a notebook should have.

    A first markdown cell without badges gets them as its first line.
    """
    fixes = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and BADGE_LINE.search(cell.source):
            fixes.append((i, BADGE_LINE.sub(badges(path), cell.source, count=1)))
        if is_setup_cell(cell):
            fixes.append((i, SETUP_CELL))
    first = nb.cells[0] if nb.cells else None
    if first is not None and first.cell_type == "markdown" and not BADGE_LINE.search(first.source):
        fixes.append((0, badges(path) + "\n\n" + first.source))
    return fixes


SUBMIT_TITLE = "## Saving and submitting"
SUBMIT_CELL = f"""{SUBMIT_TITLE}

Your answers live in this notebook file: save often, and hand in the `.ipynb` file itself.

- **Colab:** the notebook the badge opens is a temporary copy, which is not the one you submit.
  *File > Save a copy in Drive* keeps your work between sessions; to hand it in, use
  *File > Download > Download .ipynb* and submit the downloaded file.
- **Binder:** the session is deleted after about 10 minutes without activity, and your work with it.
  Download the notebook often (right-click it in the file browser > *Download*).
- **A JupyterHub with nbgrader:** fetch and submit in the *Assignments* tab (JupyterLab: *Nbgrader >
  Assignment List*). Press *Validate* before *Submit*: it runs every test cell and lists what fails.
- **Your own computer:** save the notebook and hand in the `.ipynb` file as your instructor says."""


def submit_cell_fix(nb: nbformat.NotebookNode, path: str) -> bool:
    """Give a solution notebook the saving-and-submitting section as its second cell; True if it changed."""
    if not path.startswith("solutions/"):
        return False
    for cell in nb.cells:
        if cell.cell_type == "markdown" and cell.source.startswith(SUBMIT_TITLE):
            changed = cell.source != SUBMIT_CELL
            cell.source = SUBMIT_CELL
            return changed
    nb.cells.insert(1, nbformat.v4.new_markdown_cell(SUBMIT_CELL))
    return True


def notebooks() -> list[Path]:
    """Every lecture and solution notebook."""
    return sorted(ROOT.glob("lectures/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    """Check or rewrite every notebook's links; return a process exit code."""
    parser = argparse.ArgumentParser(description="Sync badges and set-up cells with course/_meta.py and the version")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for nb_path in notebooks():
        nb = nbformat.read(nb_path, as_version=4)
        rel = nb_path.relative_to(ROOT).as_posix()
        changed = submit_cell_fix(nb, rel)
        for i, source in expected_cells(nb, rel):
            if nb.cells[i].source != source:
                nb.cells[i].source, changed = source, True
        if changed:
            stale.append(rel)
            if not args.check:
                nbformat.write(nb, nb_path)
    for rel in stale:
        print(("out of date: " if args.check else "updated: ") + rel)
    return 1 if (args.check and stale) else 0


if __name__ == "__main__":
    sys.exit(main())
