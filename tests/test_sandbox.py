"""The grading sandbox, probed from inside a real sandboxed kernel and checked from outside.

Each test starts the grading kernel through `SandboxKernelManager` (as nbgrader does), runs a probe in it,
and checks what the probe saw and what it left behind. Skips with the reason where bubblewrap cannot run.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from course_grading.kernel import KERNEL_NAME, SCRIPT_NAME, install_kernel
from course_grading.sandbox import SandboxKernelManager, SandboxUnavailable, check_available, copy_library

ROOT = Path(__file__).resolve().parent.parent

try:
    check_available()
    UNAVAILABLE = ""
except SandboxUnavailable as err:
    UNAVAILABLE = str(err)

pytestmark = [pytest.mark.grading, pytest.mark.skipif(bool(UNAVAILABLE), reason=f"no sandbox here: {UNAVAILABLE}")]


@pytest.fixture(scope="module")
def kernel_setup(tmp_path_factory):
    """A library copy and a kernel spec with small limits, on JUPYTER_PATH for this module."""
    library = copy_library(tmp_path_factory.mktemp("library"))
    jupyter = tmp_path_factory.mktemp("jupyter")
    install_kernel(jupyter, 3000, 100_000, script=library / SCRIPT_NAME, cpu_seconds=60, processes=64)
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter)
    yield library
    if old is None:
        os.environ.pop("JUPYTER_PATH", None)
    else:
        os.environ["JUPYTER_PATH"] = old


def run_in_sandbox(library: Path, folder: Path, code: str, timeout: float = 120) -> dict:
    """Start a sandboxed kernel working on `folder`, run `code`, return the JSON it printed last."""

    async def go() -> str:
        km = SandboxKernelManager(kernel_name=KERNEL_NAME, library=str(library))
        await km.start_kernel(cwd=str(folder))
        kc = km.client()
        kc.start_channels()
        printed: list[str] = []
        try:
            await kc.wait_for_ready(timeout=timeout)
            await kc.execute_interactive(code, timeout=timeout, output_hook=lambda m: printed.append(
                m["content"].get("text", "") if m["msg_type"] == "stream" else
                m["content"].get("evalue", "") if m["msg_type"] == "error" else ""))
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=False)
        return "".join(printed)

    out = asyncio.run(go())
    lines = [line for line in out.splitlines() if line.startswith("{")]
    assert lines, f"the probe printed no result: {out[-2000:]}"
    return json.loads(lines[-1])


@pytest.fixture
def folder(tmp_path):
    """A notebook folder as nbgrader's autograded/<student>/<assignment>/ would be."""
    path = tmp_path / "autograded" / "alice" / "toy"
    path.mkdir(parents=True)
    (path / "toy.ipynb").write_text("{}")
    return path


def test_student_code_sees_no_instructor_files_and_writes_only_its_scratch_copy(kernel_setup, folder, tmp_path):
    probe = f"""
import json, os
seen = {{p: os.path.exists(p) for p in [{str(ROOT / 'solutions')!r}, {str(ROOT / 'course')!r},
                                       {str(ROOT / 'nbgrader_config.py')!r}, {str(tmp_path)!r}, {str(folder)!r},
                                       "/root/.ssh"]}}
# The checkout's folder may appear only as the way to a Python environment inside it (.venv)
checkout = sorted(os.listdir({str(ROOT)!r})) if os.path.isdir({str(ROOT)!r}) else []
writable = {{}}
for d in ["/usr", "/etc", {str(kernel_setup)!r}, {str(Path(sys.prefix))!r}, "/", "/home"]:
    try:
        open(os.path.join(d, "planted.txt"), "w").write("x")
        writable[d] = True
    except OSError:
        writable[d] = False
open("planted.txt", "w").write("mine")
import course
print(json.dumps(dict(seen=seen, checkout=checkout, writable=writable, cwd=os.getcwd(), listing=sorted(os.listdir(".")),
                      uid=os.getuid(), course=course.__file__)))
"""
    result = run_in_sandbox(kernel_setup, folder, probe)
    assert not any(result["seen"].values()), f"the sandbox shows instructor paths: {result['seen']}"
    envs = {Path(p).relative_to(ROOT).parts[0] for p in {sys.prefix, sys.exec_prefix} if Path(p).is_relative_to(ROOT)}
    assert set(result["checkout"]) <= envs, f"the sandbox shows the course checkout: {result['checkout']}"
    assert not any(result["writable"].values()), f"writable outside the scratch copy: {result['writable']}"
    assert result["listing"] == ["planted.txt", "toy.ipynb"], result["listing"]
    assert result["course"].startswith(str(kernel_setup)), "the kernel must import the run's copy of the library"
    assert not (folder / "planted.txt").exists(), "a write in the scratch copy reached the real folder"
    assert not (kernel_setup / "planted.txt").exists()
    if os.geteuid() == 0:
        assert result["uid"] != 0, "as root, the kernel must run under a user id of its own"


def test_no_network_not_even_to_a_listener_on_loopback(kernel_setup, folder):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    server.settimeout(0.2)
    port = server.getsockname()[1]
    accepted = []

    def accept_all():
        deadline = time.time() + 60
        while time.time() < deadline and not stop.is_set():
            try:
                accepted.append(server.accept())
            except OSError:
                pass

    stop = threading.Event()
    thread = threading.Thread(target=accept_all, daemon=True)
    thread.start()
    probe = f"""
import json, socket
results = {{}}
for host in ["127.0.0.1", "localhost", "10.0.0.1"]:
    try:
        socket.create_connection((host, {port}), timeout=2).sendall(b"grades")
        results[host] = "connected"
    except OSError as err:
        results[host] = type(err).__name__
print(json.dumps(results))
"""
    try:
        result = run_in_sandbox(kernel_setup, folder, probe)
    finally:
        stop.set()
        thread.join()
        server.close()
    assert "connected" not in result.values(), result
    assert accepted == [], "the listener on the host's loopback received a connection from the sandbox"


def test_every_process_the_kernel_started_is_gone_when_it_ends(kernel_setup, folder):
    marker = f"sleep-{uuid.uuid4().hex[:8]}"
    probe = f"""
import json, os, subprocess
subprocess.Popen(["sh", "-c", "exec -a {marker} sleep 600"], start_new_session=True)
subprocess.Popen(["sh", "-c", "(exec -a {marker} sleep 601 &) ; exit 0"])
print(json.dumps(dict(pid=os.getpid())))
"""
    run_in_sandbox(kernel_setup, folder, probe)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()
    assert left == [], f"processes outlived their notebook: {left}"


def test_limits_are_set_inside(kernel_setup, folder):
    probe = """
import json, resource
print(json.dumps({name: resource.getrlimit(getattr(resource, name))[0]
                  for name in ["RLIMIT_AS", "RLIMIT_CPU", "RLIMIT_NPROC", "RLIMIT_FSIZE"]}))
"""
    result = run_in_sandbox(kernel_setup, folder, probe)
    assert result["RLIMIT_AS"] == 3000 * 1024 * 1024 and result["RLIMIT_CPU"] == 60
    assert 0 < result["RLIMIT_FSIZE"] <= 1024**3
    if os.geteuid() == 0:
        assert result["RLIMIT_NPROC"] == 64


def test_unavailable_sandbox_says_what_to_do(monkeypatch):
    import course_grading.sandbox as sandbox

    monkeypatch.setattr(sandbox.shutil, "which", lambda _name: None)
    with pytest.raises(SandboxUnavailable, match=r"apt-get install bubblewrap.*--no-sandbox"):
        sandbox.check_available()
    monkeypatch.setattr(sandbox.platform, "system", lambda: "Darwin")
    with pytest.raises(SandboxUnavailable, match=r"needs Linux.*Darwin"):
        sandbox.check_available()


def test_the_grader_refuses_without_a_sandbox_and_warns_with_no_sandbox(tmp_path, monkeypatch):
    import course_grading.sandbox as sandbox
    from course_grading.cli import main

    monkeypatch.setattr(sandbox.shutil, "which", lambda _name: None)
    (tmp_path / "subs").mkdir()
    code = main(["grade", "toy", str(tmp_path / "subs"), "--out", str(tmp_path / "out"),
                 "--course-dir", str(ROOT / "tests" / "grading_fixtures")])
    assert code == 2
    assert not (tmp_path / "out" / "grades.csv").exists()
    done = subprocess.run([sys.executable, "-m", "course_grading", "grade", "toy", str(tmp_path / "subs"),
                           "--out", str(tmp_path / "out2"), "--no-sandbox",
                           "--course-dir", str(ROOT / "tests" / "grading_fixtures")],
                          capture_output=True, text=True, timeout=600, env={**os.environ, "PATH": os.pathsep.join(
                              [str(Path(sys.executable).parent), os.environ.get("PATH", "")])})
    assert done.returncode == 0, done.stderr[-2000:]
    assert "WARNING: graded with --no-sandbox" in done.stdout
