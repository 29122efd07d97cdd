"""End to end in a real browser: `make start`'s JupyterLab, driven by headless Chromium.

One test walks the path a student takes: open a lecture and run it, move an explorer's slider
and see its figure redraw, then open an assignment and see its first test fail with the
course's readable message. Screenshots of each step go to artifacts/browser/.

The server serves a temporary copy of the notebooks, so nothing committed is modified, and it
is started with exactly the command `make start` runs (read from `make -n start`: `python -m course start`,
what Windows users run without make), only with that copy as its root directory.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
SHOTS = REPO / "artifacts" / "browser"
LECTURE = "lectures/01_learning_as_optimisation.ipynb"  # the fastest lecture with an explorer (~30 s)
EXERCISE = "exercises/02_activations_losses/02_activations_losses.ipynb"
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# Console errors that say nothing about the course or its extensions: requests the browser or
# JupyterLab makes to other hosts (news, update checks; offline here) and the missing favicon.
HARMLESS_CONSOLE = [
    re.compile(r"favicon", re.I),
    re.compile(r"net::ERR_(NAME_NOT_RESOLVED|INTERNET_DISCONNECTED|CONNECTION_REFUSED|ADDRESS_UNREACHABLE|"
               r"NETWORK_ACCESS_DENIED|TIMED_OUT|PROXY_CONNECTION_FAILED)"),
    re.compile(r"https?://(?!127\.0\.0\.1)[\w.-]+\.\w+/"),  # any URL on a host other than the local server
]

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_command(port: int, root: Path) -> str:
    """The shell command `make start PORT=port` runs, with root as the server's root directory."""
    plan = subprocess.run(["make", "-n", "-s", "start", f"PORT={port}", f"ROOT_DIR={root}"], cwd=REPO,
                          capture_output=True, text=True, check=True).stdout
    recipe = plan[plan.rindex("PATH="):]  # the last recipe line: skip any (re)install steps before it
    # make start runs `python -m course start`, the same command Windows users run without make
    assert "-m course start" in recipe and f'--root="{root}"' in recipe, f"`make start` changed:\n{plan}"
    return recipe.replace("\\\n", " ").strip()


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read()


class Lab:
    """A running JupyterLab: its base URL, token and process."""

    def __init__(self, root: Path, home: Path):
        self.port = _free_port()
        env = {k: v for k, v in os.environ.items() if k not in ("COURSE_WIDGETS", "JUPYTER_TOKEN")}
        # Keep the server's own settings and runtime files out of the user's home.
        env.update(JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_RUNTIME_DIR=str(home / "runtime"),
                   JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"))
        # Attach every cell to the page so outputs far down a notebook can be read.
        tracker = home / "config/lab/user-settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings"
        tracker.parent.mkdir(parents=True)
        tracker.write_text('{"windowingMode": "none"}')
        self.command = _start_command(self.port, root)
        self.proc = subprocess.Popen(["bash", "-c", self.command], cwd=REPO, env=env, start_new_session=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.log: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        self.base, self.token = f"http://127.0.0.1:{self.port}", None

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.log.append(line)

    def wait_until_serving(self, timeout: float = 90) -> None:
        """Wait for the printed URL with its token, then for the server to answer."""
        pattern = re.compile(rf"http://127\.0\.0\.1:{self.port}/\S*\?token=(\w+)")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, "JupyterLab exited:\n" + "".join(self.log)
            found = self.token or next((m.group(1) for m in map(pattern.search, self.log) if m), None)
            self.token = found
            if found:
                try:
                    _get(f"{self.base}/api/status?token={found}")
                    return
                except OSError:
                    pass
            time.sleep(0.5)
        raise AssertionError("JupyterLab did not serve in time:\n" + "".join(self.log))

    def url(self, path: str) -> str:
        return f"{self.base}/{path}?token={self.token}"

    def kernel_idle(self, notebook: str) -> bool:
        """True once the notebook's session has a kernel and that kernel is idle."""
        import json

        sessions = json.loads(_get(self.url("api/sessions")))
        states = [s["kernel"]["execution_state"] for s in sessions if s["path"] == notebook and s.get("kernel")]
        return states == ["idle"]

    def stop(self) -> None:
        """Shut down every kernel, then the server; kill whatever is left of either."""
        import psutil

        try:
            children = psutil.Process(self.proc.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            children = []
        if self.token:
            import json

            try:
                for kernel in json.loads(_get(self.url("api/kernels"))):
                    request = urllib.request.Request(self.url(f"api/kernels/{kernel['id']}"), method="DELETE")
                    urllib.request.urlopen(request, timeout=10).close()
            except OSError:
                pass
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
                break
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        for child in children:  # kernels run in sessions of their own, outside the server's group
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture
def lab(tmp_path):
    """JupyterLab started as `make start` does, on a copy of one lecture and one assignment."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    pytest.importorskip("playwright", reason="playwright is not installed (pip install playwright)")
    root = tmp_path / "course"
    for notebook in (LECTURE, EXERCISE):
        (root / notebook).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / notebook, root / notebook)
    server = Lab(root, tmp_path / "jupyter")
    try:
        server.wait_until_serving()
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(lab):
    """A headless Chromium tab; console errors and uncaught page errors collected in page.errors."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page(viewport={"width": 1400, "height": 1000})
            tab.errors = []
            tab.on("console", lambda m: m.type == "error" and tab.errors.append(f"{m.text} (at {m.location.get('url')})"))
            tab.on("pageerror", lambda e: tab.errors.append(f"uncaught: {e}"))
            tab.set_default_timeout(60_000)
            yield tab
        finally:
            try:  # the page as the test left it, to see what went wrong when it failed
                SHOTS.mkdir(parents=True, exist_ok=True)
                tab.screenshot(path=SHOTS / "99_last_state.png")
            except Exception:  # noqa: BLE001 - a missing picture must not hide the test's own error
                pass
            browser.close()


def _open(page, lab: Lab, notebook: str) -> None:
    page.goto(lab.url(f"lab/tree/{notebook}"))
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell")
    deadline = time.monotonic() + 60
    while not lab.kernel_idle(notebook):  # running before the kernel is up would ask for a kernel
        assert time.monotonic() < deadline, f"no idle kernel for {notebook}"
        time.sleep(0.5)
    news = page.locator(".jp-toast-message", has_text="Jupyter news")  # JupyterLab's own opt-in question
    if news.count():
        page.locator(".jp-toast-button", has_text="No").first.click()


def _run_all_and_wait(page, lab: Lab, notebook: str, timeout: float = 150) -> None:
    """Run > Run All Cells, then wait until no cell is queued or running and the kernel is idle."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
    page.wait_for_selector(".jp-InputPrompt:has-text('[*]')", timeout=10_000)
    _wait_idle(lab, notebook, timeout, page)


def _wait_idle(lab: Lab, notebook: str, timeout: float = 60, page=None) -> None:
    """Wait until the notebook's kernel (and, given the page, every cell prompt) stays idle for a while."""
    deadline, calm = time.monotonic() + timeout, 0
    while calm < 3:  # three quiet checks in a row: nothing left in the queue
        assert time.monotonic() < deadline, f"{notebook} did not finish running in time"
        running = page is not None and page.locator(".jp-InputPrompt:has-text('[*]')").count() > 0
        calm = 0 if running or not lab.kernel_idle(notebook) else calm + 1
        time.sleep(0.5)


def _error_outputs(page) -> list[str]:
    selector = (".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr'],"
                ".jp-RenderedText[data-mime-type*='error']")
    return [text for text in page.locator(selector).all_inner_texts() if "Traceback" in text or "Error" in text]


def _figure_src(explorer) -> str:
    return explorer.locator(".widget-output img").first.get_attribute("src")


def test_student_path_in_jupyterlab(lab, page):
    """Lecture runs clean, its explorer redraws, an unanswered assignment fails readably; no console errors."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    # a. The lecture runs top to bottom without an error.
    _open(page, lab, LECTURE)
    _run_all_and_wait(page, lab, LECTURE)
    assert page.locator(".jp-CodeCell").count() >= 20, "cells are missing from the page"
    assert not _error_outputs(page), "a lecture cell failed:\n" + "\n".join(_error_outputs(page))

    # b. Its explorer is a live widget; moving the slider redraws the figure.
    explorer = page.locator(".jupyter-widgets.widget-vbox", has=page.locator(".widget-slider")).first
    explorer.scroll_into_view_if_needed()
    explorer.locator(".widget-output img").first.wait_for()
    page.screenshot(path=SHOTS / "01_lecture_explorer_before.png")
    before = _figure_src(explorer)
    handle = explorer.locator(".widget-slider .noUi-handle").first
    handle.focus()
    for _ in range(6):
        handle.press("ArrowRight")
    page.wait_for_function("([box, old]) => { const img = box.querySelector('.widget-output img');"
                           " return img && img.src !== old; }", arg=[explorer.element_handle(), before],
                           timeout=30_000)
    _wait_idle(lab, LECTURE)  # every key press handled: the figure shows the final slider value
    page.screenshot(path=SHOTS / "02_lecture_explorer_after.png")
    assert _figure_src(explorer) != before

    # c. The unanswered assignment: Run All stops at the first test, with the course's message.
    _open(page, lab, EXERCISE)
    _run_all_and_wait(page, lab, EXERCISE)
    errors = _error_outputs(page)
    assert len(errors) == 1, f"expected exactly one failing cell, got {len(errors)}:\n" + "\n".join(errors)
    error = page.locator(".jp-OutputArea-output", has_text="CheckFailed").first
    error.scroll_into_view_if_needed()
    page.screenshot(path=SHOTS / "03_exercise_first_test_fails.png")
    assert "CheckFailed" in errors[0] and "not implemented yet" in errors[0], errors[0]
    assert "checks.py" not in errors[0], "the traceback shows the course's own check code:\n" + errors[0]

    # e. No extension complained in the console.
    real = [e for e in page.errors if not any(p.search(e) for p in HARMLESS_CONSOLE)]
    print("console errors ignored as harmless:", *sorted(set(page.errors) - set(real)) or ["none"], sep="\n  ")
    assert not real, "browser console errors:\n" + "\n".join(real)
    assert time.monotonic() - started < 180, "the browser walk-through took more than 3 minutes"
