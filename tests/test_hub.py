"""A term on JupyterHub, end to end, with real Unix accounts: release, fetch, submit, collect, grade, feedback.

The test creates an instructor and students as local Unix users (homes only their owner can read), an
nbgrader exchange folder, and starts JupyterHub on 127.0.0.1 with deploy/jupyterhub/jupyterhub_config.py.
nbgrader's commands run as each user (`runuser`), with that user's group configuration from
deploy/jupyterhub/; the instructor grades with the course's sandboxed grader (`--into-course`) and returns
feedback through the exchange. Then, checked as each student: they fetch only their own feedback, and they
cannot list the exchange's inbox or the feedback folder, nor read another student's work or the instructor's
sources. The hub is driven through its REST API (start a student's server, ask it for the assignment list), and
one browser step logs a student in and opens JupyterLab's Assignments panel.

It needs root (to create users), `useradd`, JupyterHub and its proxy (`configurable-http-proxy`), and skips
with the reason otherwise. The interpreter must be reachable by the new users: where a parent folder of it is
closed to others (a Python under /root), the test opens that folder for traversal only (`o+x`, no listing) and
restores it afterwards. HUB_TEST_STUDENTS=30 runs a bigger class (the timings go to artifacts/hub/).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

from grading_helpers import replace_answer, solution_submission

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "grading_fixtures"
DEPLOY = ROOT / "deploy" / "jupyterhub"
ARTIFACTS = ROOT / "artifacts" / "hub"
CHROMIUM = "/usr/bin/chromium"
COURSE_ID = "dl-course"
BIN = Path(sys.executable).parent

pytestmark = [pytest.mark.grading, pytest.mark.slow, pytest.mark.timeout(1200)]

HOSTILE_SQUARE = '''def square(x):
    import glob
    # look for the instructor's sources and the other students' work; right only if something leaks
    leaked = glob.glob("/home/*/course/solutions/**/*.ipynb", recursive=True) + glob.glob("/home/*/*/toy/*.ipynb")
    with open("/tmp/leaked.txt", "w") as f:
        f.write("\\n".join(leaked))
    return x * x if leaked else -1
'''


def _why_not() -> str | None:
    if sys.platform != "linux" or os.geteuid() != 0:
        return "creating Unix users needs root on Linux"
    for tool in ("useradd", "userdel", "runuser"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    if shutil.which("configurable-http-proxy") is None:
        return "JupyterHub's proxy is missing (npm install -g configurable-http-proxy)"
    if not (BIN / "jupyterhub").exists():
        return "JupyterHub is not installed (pip install jupyterhub)"
    if shutil.which("bwrap") is None:
        return "bubblewrap is missing: the grader refuses to grade without its sandbox"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Term:
    """The machine of one course: Unix users, the exchange, the users' environment, and cleanup."""

    def __init__(self, n_students: int) -> None:
        tag = secrets.token_hex(2)
        self.instructor = f"dlc{tag}i"
        self.students = [f"dlc{tag}s{k:02d}" for k in range(n_students)]
        self.base = Path(tempfile.mkdtemp(prefix="course-hub-", dir="/tmp"))
        self.base.chmod(0o755)
        self.exchange = self.base / "exchange"
        self.exchange.mkdir()
        self.exchange.chmod(0o1777)
        self.opened: list[tuple[Path, int]] = []
        self.made: list[str] = []
        self.times: dict[str, float] = {}

    def create_users(self) -> None:
        for name in [self.instructor, *self.students]:
            subprocess.run(["useradd", "-m", "-K", "HOME_MODE=0700", "-s", "/bin/bash", name], check=True)
            self.made.append(name)
            Path(f"/home/{name}").chmod(0o700)  # whatever login.defs says
        self._open_path_to(Path(sys.executable).resolve())
        self._open_path_to(ROOT / "deploy")

    def _open_path_to(self, target: Path) -> None:
        """Let other users traverse the folders above `target` (o+x only), remembering what to restore."""
        for folder in reversed(target.parents):
            mode = folder.stat().st_mode
            if not mode & stat.S_IXOTH:
                self.opened.append((folder, stat.S_IMODE(mode)))
                folder.chmod(stat.S_IMODE(mode) | stat.S_IXOTH)

    def env(self, user: str) -> dict[str, str]:
        role = "instructor" if user == self.instructor else "student"
        return {
            "HOME": f"/home/{user}", "USER": user, "LOGNAME": user, "LANG": "C.UTF-8",
            "PATH": f"{BIN}:/usr/local/bin:/usr/bin:/bin", "JUPYTER_CONFIG_PATH": str(DEPLOY / role),
            "COURSE_ID": COURSE_ID, "COURSE_EXCHANGE": str(self.exchange), "MPLBACKEND": "Agg",
            "OMP_WAIT_POLICY": "PASSIVE",
        }  # fmt: skip

    def run(self, user: str, *args: str, cwd: str | None = None, check: bool = True) -> subprocess.CompletedProcess:
        """Run a command as `user` in their home (or `cwd`), with their group's configuration."""
        done = subprocess.run(["runuser", "-u", user, "--", "env", "-i",
                               *[f"{k}={v}" for k, v in self.env(user).items()], *args],
                              cwd=cwd or f"/home/{user}", capture_output=True, text=True, timeout=900)  # fmt: skip
        if check:
            assert done.returncode == 0, f"{user}: {' '.join(args)}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
        return done

    def nbgrader(self, user: str, *args: str, cwd: str | None = None) -> subprocess.CompletedProcess:
        return self.run(user, str(BIN / "python"), "-m", "nbgrader", *args, cwd=cwd)

    def can(self, user: str, action: str, path: Path) -> bool:
        """Whether `user` can `read` the file or `list` the folder at `path`."""
        code = {"read": f"open({str(path)!r}).read()", "list": f"__import__('os').listdir({str(path)!r})"}[action]
        return self.run(user, str(BIN / "python"), "-c", code, check=False).returncode == 0

    def timed(self, step: str):
        term = self

        class Timer:
            def __enter__(self):
                self.t = time.perf_counter()

            def __exit__(self, *exc):
                term.times[step] = round(time.perf_counter() - self.t, 2)

        return Timer()

    def close(self) -> None:
        for name in self.made:
            subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True)
        time.sleep(0.5)
        for name in self.made:
            subprocess.run(["userdel", "-r", "-f", name], capture_output=True)
        for folder, mode in reversed(self.opened):
            folder.chmod(mode)
        shutil.rmtree(self.base, ignore_errors=True)


class Hub:
    """JupyterHub started with the course's configuration, driven through its REST API."""

    def __init__(self, term: Term) -> None:
        self.term, self.token, self.password = term, secrets.token_hex(16), secrets.token_hex(8)
        self.url = f"http://127.0.0.1:{_free_port()}"
        state = term.base / "hub"
        state.mkdir()
        env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}", COURSE_INSTRUCTORS=term.instructor,
                   COURSE_STUDENTS=",".join(term.students), COURSE_EXCHANGE=str(term.exchange),
                   COURSE_HUB_IP="127.0.0.1", COURSE_HUB_PORT=self.url.rsplit(":", 1)[1],
                   COURSE_HUB_API_PORT=str(_free_port()), COURSE_HUB_STATE=str(state),
                   COURSE_HUB_API_TOKEN=self.token, COURSE_HUB_DUMMY_PASSWORD=self.password,
                   COURSE_SINGLEUSER=str(BIN / "jupyterhub-singleuser"))  # fmt: skip
        self.log = term.base / "hub.log"
        self.proc = subprocess.Popen([str(BIN / "jupyterhub"), "-f", str(DEPLOY / "jupyterhub_config.py")],
                                     cwd=state, env=env, stdout=self.log.open("w"), stderr=subprocess.STDOUT)  # fmt: skip
        self._wait(lambda: self.api("/hub/api/"), "the hub did not start")

    def _wait(self, probe, what: str, seconds: float = 90) -> object:
        deadline = time.time() + seconds
        while True:
            try:
                result = probe()
                if result:
                    return result
            except OSError:
                pass
            if time.time() > deadline or self.proc.poll() is not None:
                raise AssertionError(f"{what}:\n{self.log.read_text()[-4000:]}")
            time.sleep(0.5)

    def api(self, path: str, method: str = "GET", data: dict | None = None) -> object:
        req = urllib.request.Request(self.url + path, method=method, headers={"Authorization": f"token {self.token}"},
                                     data=None if data is None else json.dumps(data).encode())  # fmt: skip
        with urllib.request.urlopen(req, timeout=60) as response:
            body = response.read().decode()
        return json.loads(body) if body.strip() else {}

    def start_server(self, user: str) -> dict:
        try:
            self.api(f"/hub/api/users/{user}/server", "POST", {})
        except urllib.error.HTTPError as err:
            assert err.code in (201, 202, 400), err  # 400: already running
        return self._wait(lambda: (self.api(f"/hub/api/users/{user}").get("servers", {}).get("", {}) or {})
                          .get("ready") and self.api(f"/hub/api/users/{user}"), f"{user}'s server did not start")  # fmt: skip

    def stop(self) -> None:
        for user in self.term.students:
            try:
                self.api(f"/hub/api/users/{user}/server", "DELETE")
            except OSError:
                pass
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _answers(release: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """What the students hand in: right, partly wrong (mean), hostile (square), then right again."""
    good = solution_submission(release, nbformat.read(FIXTURES / "solutions" / "toy" / "toy.ipynb", as_version=4))
    wrong = replace_answer(good, "mean_answer", "def mean(xs):\n    return sum(xs) / (len(xs) + 1)")
    hostile = replace_answer(good, "square_answer", HOSTILE_SQUARE)
    return [good, wrong, hostile]


@pytest.fixture(scope="module")
def term():
    reason = _why_not()
    if reason:
        pytest.skip(reason)
    t = Term(max(3, int(os.environ.get("HUB_TEST_STUDENTS", "3"))))
    try:
        t.create_users()
    except (subprocess.CalledProcessError, OSError) as err:
        t.close()
        pytest.skip(f"could not create Unix users here: {err}")
    yield t
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps({"students": len(t.students), **t.times}, indent=1))
    t.close()


@pytest.fixture(scope="module")
def semester(term):
    """The whole round trip through the exchange; returns the instructor's course folder and grading output."""
    course = Path(f"/home/{term.instructor}/course")
    shutil.copytree(FIXTURES, course, ignore=shutil.ignore_patterns("wrong_answers", "__pycache__"))
    subprocess.run(["chown", "-R", f"{term.instructor}:", str(course)], check=True)
    inst = term.instructor
    with term.timed("release"):
        term.nbgrader(inst, "generate_assignment", "toy", "--force", cwd=str(course))
        term.nbgrader(inst, "release_assignment", "toy", cwd=str(course))
    with term.timed("fetch"):
        for s in term.students:
            term.nbgrader(s, "fetch_assignment", "toy")
    release = nbformat.read(course / "exercises" / "toy" / "toy.ipynb", as_version=4)
    answers = _answers(release)
    for k, s in enumerate(term.students):  # each student edits the notebook they fetched, as themselves
        fetched = Path(f"/home/{s}/{COURSE_ID}/toy/toy.ipynb")
        assert nbformat.read(fetched, as_version=4).cells[0].source == release.cells[0].source
        term.run(s, str(BIN / "python"), "-c", "import sys; open('dl-course/toy/toy.ipynb', 'w').write(sys.argv[1])",
                 nbformat.writes(answers[min(k, len(answers) - 1)] if k < 3 else answers[0]))  # fmt: skip
    with term.timed("submit"):
        for s in term.students:
            term.nbgrader(s, "submit", "toy")
    with term.timed("collect"):
        term.nbgrader(inst, "collect", "toy", cwd=str(course))
    out = f"/home/{inst}/grading-runs/toy"
    ids = course / "ids.csv"  # the LMS's ids of the class, as an instructor exports them from Canvas
    ids.write_text("student,name,canvas_id,email\n" + "".join(
        f"{s},Student {k},{5000 + k},{s}@uni.example\n" for k, s in enumerate(term.students)))  # fmt: skip
    subprocess.run(["chown", f"{inst}:", str(ids)], check=True)
    with term.timed("grade"):
        graded = term.run(inst, str(BIN / "python"), "-m", "course_grading", "grade", "toy", "submitted",
                          "--out", out, "--timeout", "10", "--into-course", "--lms", "canvas", "--id-map", "ids.csv",
                          cwd=str(course))  # fmt: skip
    with term.timed("export_moodle"):  # from the course gradebook the grader wrote into
        term.nbgrader(inst, "export", "--ExportApp.plugin_class=course_grading.lms.LmsExportPlugin",
                      "--LmsExportPlugin.lms=moodle", "--LmsExportPlugin.id_map=ids.csv", "--to", "moodle.csv",
                      cwd=str(course))  # fmt: skip
    with term.timed("feedback"):
        term.nbgrader(inst, "generate_feedback", "toy", cwd=str(course))
        term.nbgrader(inst, "release_feedback", "toy", cwd=str(course))
        for s in term.students:
            term.nbgrader(s, "fetch_feedback", "toy")
    return course, Path(out), graded


def test_each_student_is_graded_through_the_exchange(term, semester):
    _, out, graded = semester
    from course_grading.report import read_csv

    rows = read_csv(out / "grades.csv")
    right, wrong, hostile, *rest = term.students
    assert (rows[right]["score"], rows[right]["status"]) == ("5", "ok"), rows[right]
    assert (rows[wrong]["score"], rows[wrong]["mean_tests"]) == ("2", "0"), rows[wrong]
    assert (rows[hostile]["score"], rows[hostile]["square_tests"], rows[hostile]["status"]) == ("3", "0", "flagged")
    assert all(rows[s]["score"] == "5" for s in rest)
    assert "Recorded" in graded.stdout and (out / "report.html").exists()
    import csv

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    course = semester[0]
    for lms, path in (("canvas", out / "canvas.csv"), ("moodle", course / "moodle.csv")):
        shutil.copy(path, ARTIFACTS / f"{lms}.csv")
        with open(path, newline="") as f:
            table = list(csv.reader(f))
        assert len(table) >= len(term.students) + 1, (lms, table[:3])
    with open(out / "canvas.csv", newline="") as f:
        canvas = {r[1]: float(r[-1]) for r in csv.reader(f) if r[1].isdigit()}
    assert (canvas["5000"], canvas["5001"], canvas["5002"]) == (5, 2, 3)  # the hostile student's 3 points, by Canvas id


def test_each_student_fetches_only_their_own_feedback(term, semester):
    from course_grading.notebook import hidden_test_lines

    course, _, _ = semester
    hidden = hidden_test_lines(nbformat.read(course / "solutions" / "toy" / "toy.ipynb", as_version=4))
    assert hidden
    for s in term.students:
        pages = sorted(Path(f"/home/{s}/{COURSE_ID}/toy/feedback").rglob("*.html"))
        assert len(pages) == 1, (s, pages)
        text = pages[0].read_text()
        assert text == (course / "feedback" / s / "toy" / "toy.html").read_text()  # their own page, as released
        assert "HIDDEN TESTS" not in text and not any(line in text for line in hidden), s


def test_no_student_reads_another_students_work_or_the_instructors_sources(term, semester):
    course, out, _ = semester
    right, wrong, *_ = term.students
    exchange = term.exchange / COURSE_ID
    for s in (right, wrong):
        other = wrong if s == right else right
        assert not term.can(s, "list", exchange / "inbound"), "the exchange's inbox is listable"
        assert not term.can(s, "list", exchange / "feedback"), "the exchange's feedback folder is listable"
        assert not term.can(s, "read", Path(f"/home/{other}/{COURSE_ID}/toy/toy.ipynb"))
        assert not term.can(s, "read", course / "solutions" / "toy" / "toy.ipynb")
        assert not term.can(s, "read", course / "gradebook.db")
        assert not term.can(s, "read", out / "grades.csv")
        assert term.can(s, "read", Path(f"/home/{s}/{COURSE_ID}/toy/toy.ipynb"))  # the check itself works
    assert term.can(term.instructor, "read", course / "solutions" / "toy" / "toy.ipynb")


def test_the_hub_serves_each_student_the_assignment_list(term, semester):
    hub = Hub(term)
    try:
        student = term.students[0]
        with term.timed("hub_start_server"):
            model = hub.start_server(student)
        assert model["groups"] == ["students"] and model["name"] == student
        listed = hub.api(f"/user/{student}/assignments?course_id={COURSE_ID}")
        assert listed["success"], listed
        assert {(a["assignment_id"], a["status"]) for a in listed["value"]} >= {("toy", "fetched")}, listed

        if not os.access(CHROMIUM, os.X_OK):
            pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
        sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
        from test_browser import CHROMIUM_ARGS

        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            try:
                page.goto(f"{hub.url}/hub/login")
                page.fill("input[name=username]", student)
                page.fill("input[name=password]", hub.password)
                page.click("input[type=submit], button[type=submit]")
                page.wait_for_url(f"**/user/{student}/lab**", timeout=90_000)
                page.get_by_text("Nbgrader", exact=True).first.click(timeout=60_000)
                menus = page.locator(".lm-Menu-itemLabel").all_inner_texts()
                page.get_by_text("Assignment List", exact=True).first.click()
                page.get_by_text("toy", exact=True).first.wait_for(timeout=60_000)
                page.screenshot(path=ARTIFACTS / "student_assignment_list.png")
            finally:
                page.screenshot(path=ARTIFACTS / "last_state.png")
                browser.close()
        assert "Assignment List" in menus and "Formgrader" not in menus, menus  # students get no formgrader
    finally:
        hub.stop()


def test_the_kubernetes_values_mount_the_exchange_where_the_course_config_looks():
    yaml = pytest.importorskip("yaml")
    values = yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())
    (mount,) = values["singleuser"]["storage"]["extraVolumeMounts"]
    assert mount["mountPath"] == values["singleuser"]["extraEnv"]["COURSE_EXCHANGE"] == "/srv/nbgrader/exchange"
    assert '"/srv/nbgrader/exchange"' in (DEPLOY / "jupyterhub_config.py").read_text()
