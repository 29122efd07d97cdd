"""The cheat battery: hostile student notebooks through the real `python -m course_grading grade`.

For every assignment in solutions/, ONE grading run holds the solution, the blank student version and one
notebook per attack class graded against it (tests/cheats/attacks/, student ids `attack-<class>`; by default each
attack against three assignments in turn, see `attacks_for`; COURSE_CHEATS_ALL=1 for all), each built from the committed
blank student version with the attack in its first answer cell. From grades.csv: the solution keeps full
marks, the blank scores 0, the attacks on the kernel and the tests are `flagged`, and the attacks the sandbox
must stop score 0. From OUTSIDE, after the command returned: no file planted with the run's marker anywhere,
the instructor files hash as before, no marked process alive, no connection to the test's listener.
See tests/cheats/run.py to run one assignment's battery by hand (`cd tests && python -m cheats.run NAME`).
"""

from __future__ import annotations

import ast
import importlib.util
import math
import os
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from cheats.build import ATTACKS, STUB, attack_source, battery, build_attack
from cheats.run import BatteryResult, grader_env, run_battery
from course_grading.notebook import autograded_ids, cells_by_id, nbgrader_meta
from course_grading.report import read_csv
from grading_helpers import cell_seconds, load_wrong_answers, solution_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"
ASSIGNMENTS = sorted(p.name for p in (ROOT / "solutions").glob("*") if p.is_dir() and not p.name.startswith("."))
KERNEL_ATTACKS = [a.name for a in ATTACKS.values() if a.tampers_with_kernel]
SANDBOX_ATTACKS = [a.name for a in ATTACKS.values() if not a.tampers_with_kernel]
# Each attack is graded against ROTATION assignments per run, the pairs turning round the list, so that every
# assignment is graded beside at least one attack and every attack runs in several assignments' test cells; the
# scans and the battery notebooks above are checked for every pair. COURSE_CHEATS_ALL=1 grades every pair (the
# full battery costs one kernel per pair: with 15 assignments about 7 more minutes on 2 CPUs).
ROTATION = 3


def attacks_for(name: str) -> list[str]:
    """The attacks graded against assignment `name` in this run (all of them with COURSE_CHEATS_ALL=1)."""
    attacks = list(ATTACKS)
    if os.environ.get("COURSE_CHEATS_ALL") == "1":
        return attacks
    pairs = {(attacks[m % len(attacks)], ASSIGNMENTS[m % len(ASSIGNMENTS)])
             for m in range(max(len(attacks) * ROTATION, len(ASSIGNMENTS)))}
    return [a for a in attacks if (a, name) in pairs]


def _pairs(kinds: list[str]) -> list:
    return [pytest.param(name, attack, id=f"{name}-{attack}")
            for name in ASSIGNMENTS for attack in attacks_for(name) if attack in kinds]


SHORT_TIMEOUT = 60  # seconds per cell: attacks need little, and a stuck one should not hold the battery up
slow_grading = [pytest.mark.grading, pytest.mark.slow]


def _release(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "exercises" / name / f"{name}.ipynb", as_version=4)


def _source(name: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "solutions" / name / f"{name}.ipynb", as_version=4)


def _cell_timeout(source: nbformat.NotebookNode) -> int:
    """The per-cell timeout: SHORT_TIMEOUT, or 5 times the slowest cell of the stored solution run (training)."""
    return max(SHORT_TIMEOUT, math.ceil(5 * max(cell_seconds(source), default=0.0)))


def _sandbox_missing() -> str | None:
    """Why the battery cannot run safely here, or None."""
    if importlib.util.find_spec("course_grading.sandbox") is None:
        return ("course_grading.sandbox has not landed: without it the battery would run hostile code with the "
                "grader's rights (run it against a copy of the course with `cd tests && python -m cheats.run`)")
    from course_grading.sandbox import SandboxUnavailable, check_available

    try:
        check_available()
    except SandboxUnavailable as err:  # e.g. no bubblewrap, or not Linux: the grader refuses, and says why
        return f"no sandbox here: {err}"
    return None


# ---------------------------------------------------------------- fast: the notebooks and the shortcut cheats


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_battery_notebooks_carry_their_attack_in_the_first_answer_cell(name):
    release, source = _release(name), _source(name)
    students = battery(release, solution_submission(release, source), assignment=name, marker="cheatmarkTEST",
                       port=9)
    assert sorted(students) == sorted(["solution", "blank"] + [a.student for a in ATTACKS.values()])
    assert students["blank"] == release
    first = next(nbgrader_meta(c)["grade_id"] for c in release.cells
                 if nbgrader_meta(c).get("solution") and c.cell_type == "code")
    for attack in ATTACKS.values():
        nb = students[attack.student]
        nbformat.validate(nb)
        cells, blank = cells_by_id(nb), cells_by_id(release)
        assert attack_source(attack.name) in cells[first].source
        assert "MARKER = 'cheatmarkTEST'" in cells[first].source and "PORT = 9" in cells[first].source
        for grade_id, cell in cells.items():  # the tests untouched; answers blank unless the attack needs them
            if not nbgrader_meta(cell).get("solution"):
                assert cell.source == blank[grade_id].source, (attack.name, grade_id)
            elif attack.answers == "blank" and grade_id != first:
                assert cell.source == blank[grade_id].source, (attack.name, grade_id)
            elif attack.answers in ("zeros", "framewalk") and cell.cell_type == "code":
                assert STUB not in cell.source, (attack.name, grade_id)
            if cell.cell_type == "code" and nbgrader_meta(cell).get("solution"):
                ast.parse(cell.source)  # still valid Python: the attack runs, it does not fail to parse


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_the_scan_flags_every_attack_on_the_kernel(name):
    """Without a kernel or a sandbox, so also where the battery cannot run: the scanner sees each of them."""
    from course_grading.flags import scan

    release = _release(name)
    for attack in KERNEL_ATTACKS:
        nb = build_attack(release, attack, assignment=name, marker="cheatmarkTEST", port=9)
        assert scan(nb, release), f"the scanner finds nothing in the {attack} attack on {name}"


@pytest.mark.grading
@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_shortcut_cheats_cover_every_part_that_forbids_shortcuts(name):
    """Shortcuts (torch or the library instead of an implementation) are the wrong answers marked `shortcut: `."""
    answers = load_wrong_answers(ROOT / "tests" / "wrong_answers" / f"{name}.py")
    shortcuts = [a for a in answers if a["why"].startswith("shortcut: ")]
    assert shortcuts, f"tests/wrong_answers/{name}.py has no entry whose why starts with 'shortcut: '"
    source = _source(name)
    tests = set(autograded_ids(source))
    forbidding = [g for g, cell in cells_by_id(source).items() if g in tests and "forbid=" in cell.source]
    covered = {cell for a in shortcuts for cell in a["fails"]}
    assert forbidding, f"no test cell of {name} passes forbid=: nothing enforces 'from scratch'"
    assert not set(forbidding) - covered, (
        f"test cells of {name} with a forbid= that no shortcut cheat fails: {sorted(set(forbidding) - covered)}")


@pytest.mark.grading
def test_no_sandbox_is_reported_in_the_summary(tmp_path):
    """`--no-sandbox` grades anyway, and says so where the instructor reads the results (no kernel is started)."""
    missing = _sandbox_missing()
    if missing:
        pytest.skip(missing)
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "empty.ipynb").write_text("")  # ungradable: rejected before any kernel starts
    done = subprocess.run([sys.executable, "-m", "course_grading", "grade", "toy", str(tmp_path / "subs"),
                           "--out", str(tmp_path / "out"), "--course-dir", str(FIXTURES), "--no-sandbox"],
                          capture_output=True, text=True, env=grader_env(), timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    summary = (done.stdout + done.stderr).lower()
    assert "sandbox" in summary and ("no-sandbox" in summary or "without" in summary), summary[-2000:]
    assert read_csv(tmp_path / "out" / "grades.csv")["empty"]["status"] == "invalid_notebook"


# ---------------------------------------------------------------- slow: one grading run per assignment


class Batteries:
    """Grades the selected assignments' batteries in the background, `jobs` at a time, in the order given.

    Each grading run uses one notebook at a time (`--jobs 1`): two runs side by side keep both CPUs busy
    while one of them waits for a kernel, and each pays for one nbgrader course folder only.
    """

    def __init__(self, base: Path, names: list[str], jobs: int):
        self.start = time.perf_counter()
        self.pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="cheat-battery")
        self.futures: dict[str, Future] = {
            name: self.pool.submit(run_battery, name, base / name, jobs=1, timeout=_cell_timeout(_source(name)),
                                   attacks=attacks_for(name))
            for name in names}

    def result(self, name: str) -> BatteryResult:
        return self.futures[name].result()

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)
        done = [f.result() for f in self.futures.values() if f.done() and not f.cancelled() and not f.exception()]
        print(f"\ncheat battery: {len(done)} assignment(s), {sum(len(r.rows) for r in done)} notebooks graded in "
              f"{time.perf_counter() - self.start:.0f} s: "
              + ", ".join(f"{r.assignment} {r.seconds:.0f} s" for r in done))


@pytest.fixture(scope="session")
def batteries(request, tmp_path_factory):
    """Start the battery of every assignment that a selected test needs; wait for all at the end."""
    missing = _sandbox_missing()
    if missing:
        pytest.skip(missing)
    # the session also holds nbval's notebook cells, which have neither fixtures nor parameters
    wanted = {item.callspec.params["graded"] for item in request.session.items
              if hasattr(item, "callspec") and "graded" in item.callspec.params}
    # longest first (by the stored solution run), so that the last battery to finish does not run alone
    names = sorted((n for n in ASSIGNMENTS if n in wanted), key=lambda n: -sum(cell_seconds(_source(n))))
    runner = Batteries(tmp_path_factory.mktemp("cheats"), names, int(os.environ.get("COURSE_GRADING_JOBS", "2")))
    yield runner
    runner.close()


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def graded(request, batteries) -> BatteryResult:
    """The battery of one assignment, graded once; checked and cleaned up from outside."""
    result = batteries.result(request.param)
    assert result.returncode == 0, result.output
    return result


@pytest.mark.parametrize("student", ["solution", "blank"])
@pytest.mark.grading
@pytest.mark.slow
def test_solution_and_blank_keep_their_scores(graded, student):
    """Full marks and 0, graded beside every attack: the gradebook attack changed neither."""
    expected = graded.max_score("solution") if student == "solution" else 0.0
    assert graded.max_score(student) > 0
    assert (graded.score(student), graded.status(student)) == (expected, "ok"), graded.describe(student)


@pytest.mark.parametrize("graded, attack", _pairs(KERNEL_ATTACKS), indirect=["graded"])
@pytest.mark.grading
@pytest.mark.slow
def test_attacks_on_the_kernel_are_flagged(graded, attack):
    assert graded.status(ATTACKS[attack].student) == "flagged", graded.describe(ATTACKS[attack].student)


@pytest.mark.parametrize("graded, attack", _pairs(SANDBOX_ATTACKS), indirect=["graded"])
@pytest.mark.grading
@pytest.mark.slow
def test_attacks_the_sandbox_stops_score_zero(graded, attack):
    assert graded.score(ATTACKS[attack].student) == 0.0, graded.describe(ATTACKS[attack].student)


@pytest.mark.grading
@pytest.mark.slow
def test_no_planted_file_outlives_the_run(graded):
    assert graded.files == [] and graded.appended == [], (graded.files, graded.appended)


@pytest.mark.grading
@pytest.mark.slow
def test_instructor_files_are_unchanged(graded):
    """course/, solutions/<NAME>/ and nbgrader_config.py hash as before the run."""
    assert graded.changed == []


@pytest.mark.grading
@pytest.mark.slow
def test_no_process_outlives_the_run(graded):
    assert graded.processes == []


@pytest.mark.grading
@pytest.mark.slow
def test_the_listener_on_the_host_received_no_connection(graded):
    assert graded.connections == []


def test_the_rotation_grades_every_attack_and_every_assignment():
    graded_pairs = [(name, attack) for name in ASSIGNMENTS for attack in attacks_for(name)]
    assert {name for name, _ in graded_pairs} == set(ASSIGNMENTS)
    for attack in ATTACKS:
        assert sum(a == attack for _, a in graded_pairs) >= min(ROTATION, len(ASSIGNMENTS)), attack
