"""Rewrite the Binder/Colab badges and the Colab set-up cell of every notebook from course/_meta.py.

The repository's address lives only in course/_meta.py; run this after changing it:
    python tools/sync_links.py          # rewrite notebooks in place
    python tools/sync_links.py --check  # exit 1 if any notebook is out of date
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from course._meta import REPO_SLUG, REPO_URL, STUDENT_BRANCH  # noqa: E402

COLAB_CELL = (
    "# Colab set-up: installs the course package on Google Colab; does nothing elsewhere.\n"
    "import sys\n"
    'if "google.colab" in sys.modules:\n'
    f'    %pip install -q "deep-learning-course @ git+{REPO_URL}@{STUDENT_BRANCH}"'
)


def badges(path: str) -> str:
    """Markdown for the Binder and Colab badges of the notebook at `path`, in the student edition."""
    binder = f"https://mybinder.org/v2/gh/{REPO_SLUG}/{STUDENT_BRANCH}?urlpath=lab/tree/{path}"
    colab = f"https://colab.research.google.com/github/{REPO_SLUG}/blob/{STUDENT_BRANCH}/{path}"
    return (f"[![Binder](https://mybinder.org/badge_logo.svg)]({binder}) "
            f"[![Open In Colab](https://colab.research.google.com/assets/colab-badge.svg)]({colab})")


BADGE_LINE = re.compile(r"^\[!\[Binder\].*$", re.MULTILINE)


def expected_cells(nb: nbformat.NotebookNode, path: str) -> list[tuple[int, str]]:
    """(cell index, expected source) for the badge line and the Colab cell that a notebook should have."""
    fixes = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and BADGE_LINE.search(cell.source):
            fixes.append((i, BADGE_LINE.sub(badges(path), cell.source, count=1)))
        if cell.cell_type == "code" and cell.source.startswith("# Colab set-up"):
            fixes.append((i, COLAB_CELL))
    return fixes


def notebooks() -> list[Path]:
    """Every lecture and solution notebook."""
    return sorted(ROOT.glob("lectures/*.ipynb")) + sorted(ROOT.glob("solutions/*/*.ipynb"))


def main(argv: list[str] | None = None) -> int:
    """Check or rewrite every notebook's links; return a process exit code."""
    parser = argparse.ArgumentParser(description="Sync badges and Colab cells with course/_meta.py")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    stale = []
    for nb_path in notebooks():
        nb = nbformat.read(nb_path, as_version=4)
        rel = nb_path.relative_to(ROOT).as_posix()
        changed = False
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
