"""The course website's Sphinx extension: figure alt text, the course map, and links to repository files.

- Alt text: every image output of a notebook gets its alt text from website/alt_text.json, keyed by notebook
  path and cell id (ids survive re-executing the notebooks; outputs do not). A figure without an entry, and an
  entry whose cell no longer exists or has no figure, is a warning naming the notebook and the cell.
- The course map: `<!-- course-map -->` in index.md becomes a table of units built from the notebooks' first
  headings and lectures/README.md's table, so a new lecture appears without editing the landing page.
- The notebooks' own Binder/Colab badge line is dropped (the pages have launch buttons; the badges are remote
  images), and a link to a repository file that is not a page points at the file on GitHub.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
ALT_TEXT = HERE / "alt_text.json"
ALT_HINT = "add an entry to website/alt_text.json"
MAP_MARK = "<!-- course-map -->"


def load_alt_text() -> dict[str, dict[str, str]]:
    return json.loads(ALT_TEXT.read_text(encoding="utf-8"))


def figure_cells(notebook: Path) -> list[str]:
    """The ids of the code cells of a notebook that have at least one image output."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return [
        cell["id"]
        for cell in nb["cells"]
        if cell["cell_type"] == "code"
        and any(k.startswith("image/") for out in cell.get("outputs", []) for k in out.get("data", {}))
    ]


def alt_text_problems(srcdir: Path, alt: dict[str, dict[str, str]]) -> list[str]:
    """Every figure without alt text and every entry that names no figure, one sentence each."""
    problems = []
    notebooks = sorted(p.relative_to(srcdir).as_posix() for p in srcdir.glob("**/*.ipynb"))
    for path in notebooks:
        entries = alt.get(path, {})
        cells = figure_cells(srcdir / path)
        for cell in cells:
            if not entries.get(cell, "").strip():
                problems.append(f"{path}: cell {cell} has a figure without alt text: {ALT_HINT}")
        for cell in sorted(set(entries) - set(cells)):
            problems.append(f"website/alt_text.json: {path} has no figure cell {cell} (cell gone or no image)")
    for path in sorted(set(alt) - set(notebooks)):
        problems.append(f"website/alt_text.json: {path} is not a notebook of the site")
    return problems


def check_alt_text(app: Sphinx) -> None:
    for problem in alt_text_problems(Path(app.srcdir), load_alt_text()):
        logger.warning(problem, type="course", subtype="alt_text")


def set_alt_text(app: Sphinx, doctree: nodes.document) -> None:
    """Give every image output of a notebook page the alt text of its cell."""
    source = Path(app.env.doc2path(app.env.docname))
    if source.suffix != ".ipynb":
        return
    path = source.relative_to(app.srcdir).as_posix()
    cells = json.loads(source.read_text(encoding="utf-8"))["cells"]
    entries = load_alt_text().get(path, {})
    for cell_node in doctree.findall(nodes.container):
        if cell_node.get("nb_element") != "cell_code":
            continue
        cell_id = cells[cell_node["cell_index"]].get("id", "")
        for image in cell_node.findall(nodes.image):
            if image["uri"].startswith(("http://", "https://")):
                continue
            text = entries.get(cell_id, "").strip()
            image["alt"] = text  # empty when missing: the warning at builder-inited says which cell
            image["classes"].append("course-figure")


def drop_badges(app: Sphinx, doctree: nodes.document) -> None:
    """Remove paragraphs made only of the remote Binder/Colab badge images (the page has launch buttons)."""
    for para in list(doctree.findall(nodes.paragraph)):
        images = list(para.findall(nodes.image))
        badges = [i for i in images if re.match(r"https://(mybinder\.org|colab\.research\.google\.com)/", i["uri"])]
        text = "".join(child.astext() for child in para.children if isinstance(child, nodes.Text))
        if images and badges == images and not text.strip():
            para.parent.remove(para)


class RepositoryLinks(SphinxPostTransform):
    """A link to a repository file that is not a page (LICENSE, a script) points at it on GitHub.

    Runs just before MyST's own resolver (priority 9), which would warn that no page has that name.
    """

    default_priority = 8

    def run(self, **kwargs) -> None:
        from course._meta import BRANCH, REPO_URL

        srcdir = Path(self.env.srcdir).resolve()
        for node in list(self.document.findall(addnodes.pending_xref)):
            target = node.get("reftarget", "")
            if node.get("reftype") != "myst" or not target or "://" in target:
                continue
            base = Path(self.env.doc2path(node.get("refdoc", self.env.docname))).parent
            try:
                file = (base / target.split("#")[0]).resolve().relative_to(srcdir)
            except ValueError:
                continue
            if file.with_suffix("").as_posix() in self.env.found_docs or not (ROOT / file).exists():
                continue
            kind = "tree" if (ROOT / file).is_dir() else "blob"
            ref = nodes.reference("", "", internal=False, refuri=f"{REPO_URL}/{kind}/{BRANCH}/{file.as_posix()}")
            ref += node.children
            node.replace_self(ref)


def first_heading(notebook: Path) -> str:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            match = re.search(r"^#\s+(.+)$", "".join(cell["source"]), re.MULTILINE)
            if match:
                return match.group(1).strip()
    return notebook.stem


def lecture_table(srcdir: Path) -> dict[str, tuple[str, list[str]]]:
    """From lectures/README.md: notebook stem -> (what you will learn, its assignments)."""
    readme = srcdir / "lectures" / "README.md"
    rows = {}
    if readme.exists():
        for line in readme.read_text(encoding="utf-8").splitlines():
            cols = [c.strip() for c in line.strip().strip("|").split("|")]
            match = re.match(r"\[(\w+)\]\(", cols[0]) if len(cols) == 4 else None
            if match:
                rows[match.group(1)] = (cols[2], [a.strip() for a in cols[3].split(",") if a.strip()])
    return rows


def course_map(srcdir: Path) -> str:
    """A Markdown table: each unit's lecture, what it teaches and its assignments, linked."""
    table = lecture_table(srcdir)
    exercises = {p.parent.name: p for p in sorted(srcdir.glob("exercises/*/*.ipynb"))}
    lines = ["| unit | lecture | you will learn to | assignment |", "| --- | --- | --- | --- |"]
    listed = set()
    for lecture in sorted(srcdir.glob("lectures/*.ipynb")):
        title = first_heading(lecture)
        unit, _, name = title.partition(":")
        learn, assignments = table.get(lecture.stem, ("", []))
        links = []
        for a in assignments:
            if a in exercises:
                links.append(f"[{first_heading(exercises[a])}](exercises/{a}/{a}.ipynb)")
                listed.add(a)
        lines.append(
            f"| {unit.strip() if name else ''} | [{(name or title).strip()}](lectures/{lecture.name}) "
            f"| {learn} | {'<br>'.join(links)} |"
        )
    for name, path in exercises.items():  # an assignment no lecture names still gets a row
        if name not in listed:
            lines.append(f"| | | | [{first_heading(path)}](exercises/{name}/{path.name}) |")
    return "\n".join(lines)


def fill_course_map(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname == app.config.root_doc and MAP_MARK in source[0]:
        source[0] = source[0].replace(MAP_MARK, course_map(Path(app.srcdir)))


DETAILS = re.compile(r"<details>(\s*<summary>.*?</summary>)(.*?)</details>[ \t]*\n?", re.DOTALL)


def _open_one(match: re.Match) -> str:
    line_start = match.string.rfind("\n", 0, match.start()) + 1
    indent = re.match(r"[ \t]*", match.string[line_start:]).group()  # inside a list item: keep its indentation
    return f"<details>{match.group(1)}\n\n{indent}{match.group(2).strip()}\n\n{indent}</details>\n\n"


def open_details(app: Sphinx, docname: str, source: list[str]) -> None:
    """Markdown inside <details> answers, parsed as Markdown (maths included) as Jupyter shows it.

    CommonMark ends an HTML block only at a blank line, so an answer written right after </summary> would stay raw
    HTML, its $...$ and **bold** shown as typed. Blank lines around the answer fix that (the notebooks are unchanged).
    """
    if app.env.doc2path(docname).suffix != ".ipynb" or "</summary>" not in source[0]:
        return
    nb = json.loads(source[0])
    for cell in nb["cells"]:
        text = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and "</summary>" in text:
            cell["source"] = DETAILS.sub(_open_one, text)
    source[0] = json.dumps(nb)


def setup(app: Sphinx) -> dict:
    app.connect("builder-inited", check_alt_text)
    app.connect("source-read", fill_course_map)
    app.connect("source-read", open_details)
    app.connect("doctree-read", set_alt_text)
    app.connect("doctree-read", drop_badges)
    app.add_post_transform(RepositoryLinks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
