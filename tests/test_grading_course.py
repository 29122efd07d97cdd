"""One gradebook, no grade lost, the class at a glance: `grade --into-course`, `--force` and report.html.

A copy of the toy course releases its assignment (`nbgrader generate_assignment`), then three students are
graded into the course's own gradebook: one right, one partly wrong, one whose deleted test cell the grader
restores. A real formgrader server then lists all three over HTTP, an instructor enters a written-answer
score and a comment through formgrader's API, and grading again (refused without --force) keeps both, keeps
the earlier results in OUT/previous/ and fills grades.csv's `written` column from the gradebook. The class
report is opened in headless Chromium.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from course_grading.report import read_csv
from grading_helpers import replace_answer, solution_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"
SHOTS = ROOT / "artifacts" / "grading"
CHROMIUM = "/usr/bin/chromium"
TOKEN = "course-grading-test"

pytestmark = [pytest.mark.grading, pytest.mark.slow, pytest.mark.timeout(900)]


def _students(folder: Path) -> Path:
    source = nbformat.read(FIXTURES / "solutions" / "toy" / "toy.ipynb", as_version=4)
    release = nbformat.read(FIXTURES / "exercises" / "toy" / "toy.ipynb", as_version=4)
    good = solution_submission(release, source)
    no_test = copy.deepcopy(good)  # the mean tests deleted: restored by the grader, so full marks
    no_test.cells = [c for c in no_test.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "mean_tests"]
    folder.mkdir()
    nbformat.write(good, folder / "alice.ipynb")
    nbformat.write(replace_answer(good, "mean_answer", "def mean(xs):\n    return 0"), folder / "bob.ipynb")
    nbformat.write(no_test, folder / "ivan.ipynb")
    return folder


def _grade(course: Path, subs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "course_grading", "grade", "toy", str(subs), "--out", str(out), "--timeout", "5",
         "--course-dir", str(course), "--jobs", "2", *extra],
        capture_output=True, text=True, timeout=600)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """A Jupyter server with nbgrader's formgrader, serving the course folder, driven over HTTP."""

    def __init__(self, course: Path, log: Path) -> None:
        self.url = f"http://127.0.0.1:{_free_port()}"
        port = self.url.rsplit(":", 1)[1]
        args = [sys.executable, "-m", "jupyter_server", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
                f"--ServerApp.root_dir={course}", f"--IdentityProvider.token={TOKEN}"]  # fmt: skip
        if os.geteuid() == 0:
            args.append("--allow-root")
        self.log = log
        env = dict(os.environ, JUPYTER_CONFIG_DIR=str(log.parent / "jupyter-config"))
        self.proc = subprocess.Popen(args, cwd=course, stdout=log.open("w"), stderr=subprocess.STDOUT, env=env)
        deadline = time.time() + 60
        while True:
            try:
                self.get("/formgrader/api/status")
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    self.stop()
                    raise RuntimeError("formgrader did not start:\n" + log.read_text()[-3000:]) from None
                time.sleep(0.5)

    def request(self, path: str, data: dict | None = None) -> object:
        req = urllib.request.Request(self.url + path, method="GET" if data is None else "PUT",
                                     data=None if data is None else json.dumps(data).encode(),
                                     headers={"Authorization": f"token {TOKEN}"})  # fmt: skip
        with urllib.request.urlopen(req, timeout=30) as response:
            body = response.read().decode()
        return json.loads(body) if body.lstrip()[:1] in "[{" else body

    def get(self, path: str) -> object:
        return self.request(path)

    def written_answer(self, student: str) -> tuple[dict, dict]:
        """(grade, comment) of `student`'s written answer, as formgrader's API gives them."""
        notebooks = self.get("/formgrader/api/submitted_notebooks/toy/toy")
        (nb_id,) = [n["id"] for n in notebooks if n["student"] == student]
        (grade,) = [g for g in self.get(f"/formgrader/api/grades?submission_id={nb_id}") if g["name"] == "toy_written"]
        (comment,) = [c for c in self.get(f"/formgrader/api/comments?submission_id={nb_id}")
                      if c["name"] == "toy_written"]  # fmt: skip
        return grade, comment

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture(scope="module")
def course_runs(tmp_path_factory):
    """The course released; the class graded into it with a progress bar; a formgrader serving it."""
    base = tmp_path_factory.mktemp("into-course")
    course = base / "course"
    shutil.copytree(FIXTURES, course, ignore=shutil.ignore_patterns("wrong_answers", "__pycache__"))
    subs = _students(base / "subs")
    out = base / "out"
    refused = _grade(course, subs, out, "--into-course")  # not released in this course yet
    assert refused.returncode == 2 and "nbgrader generate_assignment toy" in refused.stderr, refused.stderr
    assert not out.exists()
    released = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "toy", "--force"], cwd=course,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
    assert released.returncode == 0, released.stderr[-2000:]
    first = _grade(course, subs, out, "--into-course", "--progress")
    assert first.returncode == 0, first.stderr[-3000:]
    server = Formgrader(course, base / "formgrader.log")
    yield course, subs, out, first, server
    server.stop()


def test_formgrader_lists_every_submission_repaired_ones_included(course_runs):
    course, _, out, first, server = course_runs
    grades = read_csv(out / "grades.csv")
    assert {s: (r["score"], r["status"]) for s, r in grades.items()} == {
        "alice": ("5", "ok"), "bob": ("2", "ok"), "ivan": ("5", "tests_restored")}  # fmt: skip
    listed = server.get("/formgrader/api/submissions/toy")
    assert {s["student"]: s["score"] for s in listed} == {"alice": 5.0, "bob": 2.0, "ivan": 5.0}
    assert all(s["autograded"] for s in listed)
    assert [s["needs_manual_grade"] for s in listed] == [True] * 3  # the written answers wait for a grader
    # the repaired notebook is the one formgrader shows: its restored test cell is there
    ivan = nbformat.read(course / "autograded" / "ivan" / "toy" / "toy.ipynb", as_version=4)
    assert "mean_tests" in [c.metadata.get("nbgrader", {}).get("grade_id") for c in ivan.cells]
    assert "Recorded 3 graded notebook(s) in the course gradebook" in first.stdout


def test_the_progress_bar_counts_students_done(course_runs):
    *_, first, _ = course_runs
    assert "grading" in first.stderr and "3/3" in first.stderr, first.stderr[-2000:]


def test_hand_entered_grades_survive_grading_again(course_runs):
    course, subs, out, _, server = course_runs
    grade, comment = server.written_answer("alice")
    assert grade["manual_score"] is None and grade["max_score"] == 1.0
    server.request(f"/formgrader/api/grade/{grade['id']}", {"manual_score": 0.5})  # as formgrader's page does
    server.request(f"/formgrader/api/comment/{comment['id']}", {"manual_comment": "Right idea; say why."})

    again = _grade(course, subs, out, "--into-course")
    assert again.returncode == 2 and "--force" in again.stderr and "earlier run" in again.stderr, again.stderr
    again = _grade(course, subs, out, "--into-course", "--force")
    assert again.returncode == 0, again.stderr[-3000:]

    grade_after, comment_after = server.written_answer("alice")
    assert grade_after["manual_score"] == 0.5 and grade_after["auto_score"] is None
    assert comment_after["manual_comment"] == "Right idea; say why."
    rows = read_csv(out / "grades.csv")
    assert rows["alice"]["written"] == "0.5" and rows["bob"]["written"] == "" and rows["alice"]["score"] == "5"
    (kept,) = (out / "previous").iterdir()  # the first run's files, untouched
    assert read_csv(kept / "grades.csv")["alice"]["written"] == ""
    assert sorted(p.name for p in (kept / "feedback").iterdir()) == ["alice.html", "bob.html", "ivan.html"]
    assert (kept / "gradebook.db").stat().st_size > 0 and (kept / "report.html").exists()
    assert "The earlier results are kept in" in again.stdout


def test_without_into_course_hand_entered_columns_and_absent_students_are_kept(course_runs, tmp_path):
    course, subs, out, _, _ = course_runs
    own = tmp_path / "out"
    assert _grade(course, subs, own).returncode == 0
    text = (own / "grades.csv").read_text().splitlines()
    assert text[0].endswith(",written")
    text[0] += ",comment"
    text = [text[0]] + [line + ("1,see me" if line.startswith("bob,") else ",") for line in text[1:]]
    (own / "grades.csv").write_text("\n".join(text) + "\n")
    late = tmp_path / "late"
    late.mkdir()
    shutil.copy(subs / "bob.ipynb", late / "dave.ipynb")
    done = _grade(course, late, own, "--force")
    assert done.returncode == 0, done.stderr[-3000:]
    rows = read_csv(own / "grades.csv")
    assert sorted(rows) == ["alice", "bob", "dave", "ivan"]
    assert (rows["bob"]["written"], rows["bob"]["comment"], rows["bob"]["score"]) == ("1", "see me", "2")
    assert rows["dave"]["written"] == "" and rows["dave"]["score"] == "2"
    assert sorted(p.name for p in (own / "feedback").iterdir()) == ["alice.html", "bob.html", "dave.html", "ivan.html"]


def test_the_class_report_shows_scores_parts_statuses_and_times(course_runs):
    *_, out, _, _ = course_runs
    page = (out / "report.html").read_text()
    assert "<script" not in page and "src=" not in page  # one self-contained file
    parts = page[page.index('id="parts"') : page.index("</table>", page.index('id="parts"'))]
    assert parts.index("mean_tests") < parts.index("square_tests")  # bob failed the mean tests: hardest first
    statuses = page[page.index('id="statuses"') :]
    assert "tests_restored" in statuses and "ivan" in statuses
    slowest = page[page.index('id="slowest"') :]
    assert all(name in slowest for name in ("alice", "bob", "ivan"))

    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    from test_browser import CHROMIUM_ARGS

    SHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1100, "height": 1400})
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto((out / "report.html").as_uri())
        counts = [int(c) for c in tab.eval_on_selector_all("rect.bin", "els => els.map(e => e.dataset.count)")]
        heights = tab.eval_on_selector_all("rect.bin", "els => els.map(e => e.getBoundingClientRect().height)")
        rows = tab.eval_on_selector_all("#slowest tr", "els => els.length")
        tab.screenshot(path=SHOTS / "class_report.png", full_page=True)
        browser.close()
    assert counts == [0, 0, 1, 0, 0, 2]  # one bin per score 0..5: bob 2 points, alice and ivan 5
    assert heights[5] > heights[2] > 0 == heights[0]
    assert rows == 4 and not errors, errors
