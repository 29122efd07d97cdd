"""Every assignment round-trips through nbgrader.

For each assignment in solutions/ (and the toy fixture that keeps this machinery honest): the committed
student version is exactly what nbgrader generates and carries no solution or hidden test; the solution
scores full marks, the blank student version zero, and every wrong answer in tests/wrong_answers/ loses
points on exactly the cells it names. Wrong answers for different answer cells, with disjoint `fails`, are graded
together as one student (see `packs`: at most COURSE_GRADING_PACK of them, 3 by default; 1 grades each alone).
One temporary course and ONE `nbgrader autograde` run per assignment,
or per slice of its students for the assignments that train (see `plan`: longest first, so that the run ends
with both CPUs busy). Two runs go at a time, each pinned to its own CPU (COURSE_GRADING_JOBS=1 for one at a time).
"""

from __future__ import annotations

import math
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from grading_helpers import cell_seconds, leaks, load_wrong_answers, replace_answer, solution_submission

from course_grading.notebook import answer_ids, autograded_ids
from course_grading.workspace import Workspace, course_directories

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"


@dataclass(frozen=True)
class Assignment:
    """An assignment to check: its name, the course folder holding it, and its wrong-answers file."""

    name: str
    course_dir: Path
    wrong_answers: Path

    @property
    def label(self) -> str:
        return self.name if self.course_dir == ROOT else f"fixture-{self.name}"

    def folder(self, key: str) -> Path:
        return self.course_dir / course_directories(self.course_dir)[key] / self.name


def _assignments() -> list[Assignment]:
    found = [Assignment(p.name, ROOT, ROOT / "tests" / "wrong_answers" / f"{p.name}.py")
             for p in sorted((ROOT / "solutions").glob("*")) if p.is_dir() and not p.name.startswith(".")]
    return found + [Assignment("toy", FIXTURES, FIXTURES / "wrong_answers" / "toy.py")]


ASSIGNMENTS = _assignments()


def _wrong_answers(a: Assignment) -> list[dict]:
    return load_wrong_answers(a.wrong_answers) if a.wrong_answers.exists() else []


PACK = max(1, int(os.environ.get("COURSE_GRADING_PACK", "3")))


def packs(answers: list[dict], size: int = PACK) -> list[list[int]]:
    """Indices of wrong answers graded together as one student: distinct answer cells, disjoint `fails`.

    Each test cell depends only on its own answer cell, so a student holding several wrong answers must lose
    exactly the union of their `fails`. Per wrong answer, the test checks that it loses its own cells and nothing
    outside its pack-mates' `fails`: only what it would do to those cells goes unseen. Packing cuts the number of
    notebooks graded (each a kernel start and a full run) by more than half (210 to 97 for the first ten).
    """
    groups: list[list[int]] = []
    for i, wrong in enumerate(answers):
        for group in groups:
            if len(group) < size and all(
                    answers[j]["cell"] != wrong["cell"] and not set(answers[j]["fails"]) & set(wrong["fails"])
                    for j in group):
                group.append(i)
                break
        else:
            groups.append([i])
    return groups


def _wrong_cases() -> list:
    cases = []
    for a in ASSIGNMENTS:
        try:
            answers = _wrong_answers(a)
        except Exception as err:  # noqa: BLE001 - reported by the test, collection must go on
            cases.append(pytest.param(a, -1, repr(err), id=f"{a.label}-unloadable"))
            continue
        cases += [pytest.param(a, i, "", id=f"{a.label}-{i:02d}-{w['cell']}") for i, w in enumerate(answers)]
    return cases


by_assignment = pytest.mark.parametrize("a", ASSIGNMENTS, ids=[a.label for a in ASSIGNMENTS])
slow_grading = [pytest.mark.grading, pytest.mark.slow]


@dataclass
class Graded:
    """One assignment graded: the workspace, notebooks, nbgrader's exit code and log, scores per student."""

    ws: Workspace
    source: nbformat.NotebookNode
    release: nbformat.NotebookNode
    returncode: int
    log: str
    scores: dict[str, dict[str, tuple[float | None, float]]] = field(default_factory=dict)
    seconds: float = 0.0


def _students(a: Assignment, release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> dict:
    """Every notebook submitted for `a`: the solution, the blank release and each wrong answer."""
    solution = solution_submission(release, source)
    students = {"solution": solution, "release": release}
    answers = _wrong_answers(a)
    for k, group in enumerate(packs(answers)):
        nb = solution
        for i in group:
            if answers[i]["cell"] in answer_ids(release):
                nb = replace_answer(nb, answers[i]["cell"], answers[i]["source"])
        students[f"wrong_{k:02d}"] = nb
    return students


def grade_assignment(a: Assignment, root: Path, part: int = 0, parts: int = 1) -> Graded:
    """Generate the release, submit the `part`-th of `parts` slices of its students, autograde them at once."""
    start = time.perf_counter()
    ws = Workspace.create(root, a.course_dir, a.name)
    ws.generate()
    source = nbformat.read(ws.source_notebook, as_version=4)
    release = nbformat.read(ws.release_notebook, as_version=4)
    students = dict(list(_students(a, release, source).items())[part::parts])
    for student, nb in students.items():
        ws.submit(student, nb)
    done = ws.nbgrader("autograde", a.name, check=False)
    graded = Graded(ws, source, release, done.returncode, done.stderr)
    for student in students:
        if ws.autograded_notebook(student).exists():
            graded.scores[student] = ws.scores(student)
    graded.seconds = time.perf_counter() - start
    return graded


def _merged(slices: list[Graded]) -> Graded:
    """One assignment's slices as one result: the first slice's workspace, every slice's scores."""
    first = slices[0]
    merged = Graded(first.ws, first.source, first.release, max(g.returncode for g in slices),
                    "\n".join(g.log for g in slices), seconds=sum(g.seconds for g in slices))
    for g in slices:
        merged.scores.update(g.scores)
    return merged


def plan(order: list[Assignment], jobs: int) -> list[tuple[Assignment, int, int]]:
    """(assignment, part, parts) to grade, longest first, so that no long assignment starts last and runs alone.

    An assignment whose students would take more than half of one worker's fair share of the total is split
    into slices (at most 4).
    """
    def notebook(a: Assignment) -> float:  # seconds per student: a kernel start and the stored solution run
        return 3.0 + sum(cell_seconds(nbformat.read(a.folder("source_directory") / f"{a.name}.ipynb", as_version=4)))

    cost = {a: notebook(a) * (2 + len(packs(_wrong_answers(a)))) for a in order}
    share = sum(cost.values()) / max(1, jobs) / 2
    slices = []
    for a in order:
        parts = max(1, min(4, math.ceil(cost[a] / share)))
        slices += [(a, part, parts) for part in range(parts)]
    return sorted(slices, key=lambda s: -cost[s[0]] / s[2])


class Grader:
    """Grades each assignment once per session, in the background, `jobs` slices at a time (see `plan`)."""

    def __init__(self, base: Path, order: list[Assignment], jobs: int):
        self.base, self.order, self.jobs = base, order, jobs
        self.futures: dict[Assignment, list[Future]] = {}
        self.cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        self.next_cpu = 0
        self.lock = threading.Lock()
        self.pool = ThreadPoolExecutor(max_workers=jobs, initializer=self._pin)

    def _pin(self) -> None:
        # Each worker thread (and the kernels it starts) gets its own CPU: no thread oversubscription.
        if self.jobs > 1 and self.cpus:
            with self.lock:
                cpu = self.cpus[self.next_cpu % len(self.cpus)]
                self.next_cpu += 1
            os.sched_setaffinity(0, {cpu})

    def _submit(self, slices: list[tuple[Assignment, int, int]]) -> None:
        for a, part, parts in slices:
            folder = self.base / (a.label if parts == 1 else f"{a.label}-part{part + 1}of{parts}")
            self.futures.setdefault(a, []).append(self.pool.submit(grade_assignment, a, folder, part, parts))

    def get(self, a: Assignment) -> Graded:
        if not self.futures:
            self._submit(plan(self.order, self.jobs))
        if a not in self.futures:
            self._submit([(a, 0, 1)])
        return _merged([f.result() for f in self.futures[a]])


@pytest.fixture(scope="module")
def grader(request, tmp_path_factory):
    """Grades assignments on demand (those selected in this run first, in collection order)."""
    order = []
    for item in request.session.items:
        a = getattr(item, "callspec", None) and item.callspec.params.get("a")
        if isinstance(a, Assignment) and a not in order and item.get_closest_marker("slow"):
            order.append(a)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    jobs = max(1, int(os.environ.get("COURSE_GRADING_JOBS", min(2, cpus))))
    g = Grader(tmp_path_factory.mktemp("grading"), order, jobs)
    start = time.perf_counter()
    yield g
    g.pool.shutdown(wait=True, cancel_futures=True)
    times = {a.label: sum(f.result().seconds for f in fs) for a, fs in g.futures.items()
             if all(f.done() and f.exception() is None for f in fs)}
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if times and reporter is not None:
        each = ", ".join(f"{label} {sec:.0f} s" for label, sec in times.items())
        reporter.write_line(f"grading round trips: {time.perf_counter() - start:.0f} s in all ({each}; jobs={jobs})")


def _failed(graded: Graded, student: str) -> str:
    return f"nbgrader did not grade {student!r} (exit {graded.returncode}):\n{graded.log[-3000:]}"


@by_assignment
@pytest.mark.grading
@pytest.mark.slow
def test_committed_release_is_what_nbgrader_generates(a, grader):
    graded = grader.get(a)
    fresh = graded.ws.root / graded.ws.release_directory / a.name
    committed = a.folder("release_directory")
    assert committed.is_dir(), f"{committed} is missing: run `nbgrader generate_assignment {a.name} --force`"
    files = sorted(p.relative_to(fresh).as_posix() for p in fresh.rglob("*") if p.is_file())
    kept = sorted(p.relative_to(committed).as_posix() for p in committed.rglob("*") if p.is_file())
    assert files == kept, f"{a.name}: generated files {files} but {committed} holds {kept}"
    stale = [f for f in files if (fresh / f).read_bytes() != (committed / f).read_bytes()]
    assert not stale, f"{a.name}: {stale} out of date: run `nbgrader generate_assignment {a.name} --force` and commit"


@by_assignment
@pytest.mark.grading
@pytest.mark.slow
def test_release_holds_no_solution_and_no_hidden_test(a, grader):
    graded = grader.get(a)
    found = leaks(graded.release, graded.source)
    assert not found, f"{a.name}: the student version contains {found}"


@by_assignment
@pytest.mark.grading
@pytest.mark.slow
def test_solution_scores_full_marks(a, grader):
    graded = grader.get(a)
    assert graded.returncode == 0, _failed(graded, "any student")
    assert "solution" in graded.scores, _failed(graded, "solution")
    tests = autograded_ids(graded.release)
    assert tests, f"{a.name} has no autograded test cell"
    scores = graded.scores["solution"]
    lost = {g: scores[g] for g in tests if scores[g][0] != scores[g][1]}
    assert not lost, f"{a.name}: the solution loses points on {lost} (auto_score, max_score)"


@by_assignment
@pytest.mark.grading
@pytest.mark.slow
def test_blank_release_scores_zero_without_crashing(a, grader):
    graded = grader.get(a)
    assert "release" in graded.scores, _failed(graded, "release")
    scored = {g: graded.scores["release"][g] for g in autograded_ids(graded.release)
              if graded.scores["release"][g][0] != 0}
    assert not scored, f"{a.name}: the blank student version scores {scored} (auto_score, max_score)"


@pytest.mark.parametrize("a, index, problem", _wrong_cases())
@pytest.mark.grading
@pytest.mark.slow
def test_wrong_answer_loses_exactly_its_cells(a, index, problem, grader):
    assert index >= 0, f"{a.wrong_answers} cannot be loaded: {problem}"
    answers = _wrong_answers(a)
    wrong = answers[index]
    graded = grader.get(a)
    k, group = next((k, g) for k, g in enumerate(packs(answers)) if index in g)
    student = f"wrong_{k:02d}"
    mates = {cell for j in group if j != index for cell in answers[j]["fails"]}  # lost by the others in the pack
    assert wrong["cell"] in answer_ids(graded.release), \
        f"{a.name} wrong answer {index}: {wrong['cell']!r} is not an answer cell ({answer_ids(graded.release)})"
    assert student in graded.scores, _failed(graded, student)
    scores = graded.scores[student]
    tests = autograded_ids(graded.release)
    lost = sorted(g for g in tests if (scores[g][0] is None or scores[g][0] < scores[g][1]) and g not in mates)
    assert lost == sorted(wrong["fails"]), (
        f"{a.name} wrong answer {index} ({wrong['why']}): expected to lose points on {sorted(wrong['fails'])}, "
        f"lost them on {lost}" + (f" (graded with wrong answers {[j for j in group if j != index]}, whose cells "
                                  f"{sorted(mates)} are not counted)" if mates else ""))


@by_assignment
@pytest.mark.grading
def test_every_test_cell_is_caught_by_a_wrong_answer(a):
    source = a.folder("source_directory") / f"{a.name}.ipynb"
    assert source.exists(), f"{source} is missing"
    nb = nbformat.read(source, as_version=4)
    assert a.wrong_answers.exists(), f"{a.wrong_answers} is missing: add WRONG_ANSWERS for {a.name}"
    answers = _wrong_answers(a)
    tests, cells = set(autograded_ids(nb)), set(answer_ids(nb))
    for i, wrong in enumerate(answers):
        assert wrong["cell"] in cells, \
            f"{a.wrong_answers} [{i}]: {wrong['cell']!r} is not an answer cell: {sorted(cells)}"
        assert wrong["fails"] and set(wrong["fails"]) <= tests, \
            f"{a.wrong_answers} [{i}]: fails={wrong['fails']} must name autograded test cells: {sorted(tests)}"
    uncovered = tests - {g for w in answers for g in w["fails"]}
    assert not uncovered, f"{a.name}: no wrong answer fails {sorted(uncovered)}: add one to {a.wrong_answers}"


@pytest.mark.grading
def test_packs_hold_distinct_answer_cells_and_disjoint_fails():
    answers = [dict(cell="a", fails=["ta"]), dict(cell="a", fails=["ta"]), dict(cell="b", fails=["tb", "tc"]),
               dict(cell="c", fails=["tc"]), dict(cell="c", fails=["tc"]), dict(cell="d", fails=["td"])]
    assert packs(answers, size=3) == [[0, 2, 5], [1, 3], [4]]
    assert packs(answers, size=1) == [[i] for i in range(6)]
    for a in ASSIGNMENTS:  # every wrong answer graded exactly once, never with a clash
        answers = _wrong_answers(a)
        groups = packs(answers)
        assert sorted(i for g in groups for i in g) == list(range(len(answers)))
        for g in groups:
            assert len({answers[i]["cell"] for i in g}) == len(g) <= PACK
            fails = [f for i in g for f in answers[i]["fails"]]
            assert len(fails) == len(set(fails)), (a.name, g)
