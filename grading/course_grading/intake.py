"""Find one notebook per student in a folder or .zip of submissions.

Accepted layouts (mixed freely): `alice.ipynb`; `alice/<anything>.ipynb`; nbgrader's
`submitted/alice/<ASSIGNMENT>/<ASSIGNMENT>.ipynb` (pass `submitted/` or the folder holding it).

A learning platform's bulk download names each entry after the student and its own ids, e.g. Moodle's
`Ana Lima_12345_assignsubmission_file_` folders and Canvas's `limaana_12345_67890_lab.ipynb` files. An id
pattern (a preset, or a regular expression with a group named `student_id`, as nbgrader's `zip_collect`
uses) takes the student id out of each entry's name; entries it does not match keep their name and are
marked `id_unmatched`.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

MAX_UNZIPPED_BYTES = 2 * 1024**3
IGNORED_PARTS = {"__MACOSX", ".ipynb_checkpoints"}
ID_PATTERNS = {
    # Moodle: "<Full Name>_<participant id>_assignsubmission_file_[<file name>]"
    "moodle": r"^(?P<name>.+?)_(?P<student_id>\d+)_assignsubmission_file_",
    # Canvas: "<sortable name>[_late]_<user id>_<submission id>_<file name>"
    "canvas": r"^(?P<name>[^_]+)_(?:late_)?(?P<student_id>\d+)_\d+_",
}


def id_pattern(spec: str) -> re.Pattern:
    """The compiled id pattern for `spec`: a preset name (see `ID_PATTERNS`) or a regular expression.

    Raises ValueError, saying what to write, if `spec` does not compile or has no group named `student_id`.
    """
    text = ID_PATTERNS.get(spec, spec)
    try:
        pattern = re.compile(text, re.IGNORECASE)
    except re.error as err:
        raise ValueError(
            f"--id-pattern {spec!r} is not a valid regular expression ({err}); give a preset "
            f"({', '.join(ID_PATTERNS)}) or a regex like '^(?P<student_id>\\d+)_'"
        ) from None
    if "student_id" not in pattern.groupindex:
        raise ValueError(
            f"--id-pattern {spec!r} has no group named student_id: write the id's part as "
            "(?P<student_id>...), e.g. '^(?P<student_id>\\d+)_'"
        )
    return pattern


@dataclass
class Submission:
    """One student's entry: the notebooks found for them and the one chosen for grading."""

    student: str
    notebooks: list[Path] = field(default_factory=list)
    relative: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def unzip(archive: Path, into: Path) -> Path:
    """Extract a zip safely (no absolute paths, no `..`, no links, bounded size) and return the folder."""
    total = 0
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            parts = Path(info.filename).parts
            if info.is_dir() or not parts or info.filename.startswith("/") or ".." in parts:
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:  # a symbolic link
                continue
            total += info.file_size
            if total > MAX_UNZIPPED_BYTES:
                raise ValueError(f"{archive} unpacks to more than {MAX_UNZIPPED_BYTES:,} bytes; refusing.")
            target = into.joinpath(*parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)
    return into


def _visible(path: Path) -> bool:
    return not path.name.startswith(".") and path.name not in IGNORED_PARTS


def _entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if _visible(p) and (p.is_dir() or p.suffix == ".ipynb"))


def find_root(folder: Path, assignment: str) -> Path:
    """The folder whose entries are students: step into `submitted/` and into a lone wrapping folder."""
    while True:
        if (folder / "submitted").is_dir():
            folder = folder / "submitted"
            continue
        entries = _entries(folder)
        if (
            len(entries) == 1
            and entries[0].is_dir()
            and len(_entries(entries[0])) > 1
            and not (entries[0] / f"{assignment}.ipynb").exists()
        ):
            folder = entries[0]  # e.g. a zip of the folder `submissions/` holding one entry per student
            continue
        return folder


def _notebooks_under(folder: Path) -> list[Path]:
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        rel = path.relative_to(folder).parts
        if all(_visible(Path(part)) for part in rel) and path.is_file():
            found.append(path)
    return found


def collect(submissions: Path, assignment: str, pattern: re.Pattern | None = None) -> list[Submission]:
    """One Submission per student found under `submissions` (a folder), sorted by student.

    With `pattern` (see `id_pattern`), the student is its `student_id` group in each entry's name.
    """
    root = find_root(submissions, assignment)
    by_student: dict[str, Submission] = {}
    for entry in _entries(root):
        student = entry.stem if entry.is_file() else entry.name
        match = pattern.search(entry.name) if pattern is not None else None
        if match:
            student = match.group("student_id")
        sub = by_student.setdefault(student, Submission(student))
        if pattern is not None and not match and "id_unmatched" not in sub.flags:
            sub.flags.append("id_unmatched")
            sub.notes.append(f"the id pattern does not match {entry.name!r}: graded under that name")
        notebooks = [entry] if entry.is_file() else _notebooks_under(entry)
        sub.notebooks += notebooks
        sub.relative += [nb.relative_to(root).as_posix() for nb in notebooks]
    return [by_student[s] for s in sorted(by_student)]


def safe_id(student: str, taken: set[str]) -> str:
    """A file-system and nbgrader safe, unique id for a student name."""
    base = re.sub(r"[^A-Za-z0-9_.@+-]", "_", student).lstrip(".") or "student"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}_{n}"
    taken.add(candidate)
    return candidate
