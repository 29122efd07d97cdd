"""The sandbox every student notebook runs in: bubblewrap (`bwrap`) around the grading kernel.

What the student's code sees and may do:

* a read-only view of the system (`/usr`, `/etc`, ...) and of the Python environment, and a read-only copy
  of the `course` library made for this run (never the instructor's checkout);
* a scratch copy of its notebook's folder as its working folder, in a size-limited home of its own in
  memory, a private size-limited `/tmp`, and no other writable path; none of the instructor's files: no
  course folder, no sources or solutions, no gradebook, no other student's submission;
* no network: its own network namespace holds only a loopback device. The kernel talks to the grader over
  unix sockets (jupyter's `ipc` transport) in a folder of its own, bound into the sandbox;
* its own PID namespace: when the kernel ends (or the grader kills it, or the grader dies) every process it
  started goes with it, `start_new_session` or not;
* as root, a user id of its own (so a process count limit means something and no file of another user is
  writable), a memory ceiling, a CPU-time limit and a process limit (set by the kernel script).

What it does not protect against: bugs in the Linux kernel or in bubblewrap, reading what the system
itself exposes world-readable (e.g. installed packages), and using the CPU for its time limits.
"""

from __future__ import annotations

import asyncio
import os
import platform
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Unicode, default

SANDBOX_HOME = "/home/student"
# Environment variables passed into the sandbox (everything else, e.g. the instructor's tokens, stays out).
PASSED_ENV = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "MPLBACKEND",
    "PYTHONHASHSEED",
    "NBGRADER_EXECUTION",
    "OMP_NUM_THREADS",
    "OMP_WAIT_POLICY",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "COURSE_GRADER_MEMORY_MB",
    "COURSE_GRADER_MAX_OUTPUT",
    "COURSE_GRADER_CPU_SECONDS",
    "COURSE_GRADER_PROCESSES",
    "COURSE_THREADS",
)
UID_RANGE = (1_500_000_000, 2_000_000_000)  # far above real users and the usual subordinate-id ranges
TMPFS_BYTES = 512 * 1024**2  # each of the sandbox's home and /tmp (memory-backed)
STAGE = "/run/notebook-folder"  # where the notebook's own folder is bound, read-only, to be copied home
SOCKET_NAMES = ("shell", "iopub", "stdin", "control", "hb")


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot run here; the message says why and what to do."""


def _bwrap() -> str:
    path = shutil.which("bwrap")
    if path is None:
        raise SandboxUnavailable(
            "bubblewrap (the `bwrap` command) is not installed, so student code cannot be sandboxed. Install it "
            "(Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install bubblewrap`), or pass "
            "--no-sandbox on a machine or container that holds nothing else of value."
        )
    return path


def check_available() -> None:
    """Raise `SandboxUnavailable` with what to do, unless a sandbox can be started here."""
    if platform.system() != "Linux":
        raise SandboxUnavailable(
            f"the sandbox needs Linux (bubblewrap and namespaces); this is {platform.system()}. Grade inside a "
            "Linux virtual machine or container (e.g. the course's Binder or Docker image), or pass --no-sandbox "
            "on a machine that holds nothing else of value."
        )
    argv = _base_args(_bwrap())[0] + ["--", sys.executable, "-c", "pass"]
    done = subprocess.run(argv, capture_output=True, text=True)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise SandboxUnavailable(
            f"bubblewrap could not create a sandbox here ({reason}). User namespaces may be disabled: as root, "
            "`sysctl -w kernel.unprivileged_userns_clone=1` (Debian) or `sysctl -w user.max_user_namespaces=15000`; "
            "in a container, start it with --privileged or a seccomp profile that allows unshare/clone; or run "
            "the grader as root. Otherwise pass --no-sandbox on a machine that holds nothing else of value."
        )


def _readonly_roots() -> list[str]:
    """Folders the sandbox sees read-only: the system and this Python environment."""
    roots = ["/usr", "/etc", "/opt"] if Path("/opt").is_dir() else ["/usr", "/etc"]
    python = {
        sys.prefix,
        sys.base_prefix,
        sys.exec_prefix,
        sys.base_exec_prefix,
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["platlib"],
    }
    roots += sorted(p for p in python if p and Path(p).is_dir())
    # a folder inside another is bound with it
    return [r for r in roots if not any(r != o and r.startswith(o.rstrip("/") + "/") for o in roots)]


def _base_args(bwrap: str) -> tuple[list[str], _Made]:
    """bwrap's arguments for the namespaces and the read-only system, common to every sandbox.

    Returns the arguments and the folders they make exist inside (for `_parents`): the roots of the trees
    mounted (whose sub-folders all exist) and the single folders created.
    """
    args = [
        bwrap,
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--die-with-parent",
        "--new-session",
        "--hostname",
        "sandbox",
    ]
    if os.geteuid() != 0:
        args.append("--unshare-user")  # unprivileged bwrap needs a user namespace
    # The private, writable mounts first: a read-only root below them (a virtual environment under /tmp,
    # as in a CI clone) is then bound on top instead of being hidden by them.
    size = str(TMPFS_BYTES)
    args += [
        "--proc",
        "/proc",
        "--dev",
        "/dev",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/tmp",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        "/dev/shm",
        "--perms",
        "0755",
        "--dir",
        "/home",
        "--perms",
        "1777",
        "--size",
        size,
        "--tmpfs",
        SANDBOX_HOME,
    ]
    # the fresh tmpfs folders exist but hold nothing yet; /dev and /proc come whole
    made = _Made(trees={"/dev", "/proc"}, folders={"/tmp", "/dev/shm", "/home", SANDBOX_HOME})
    for root in _readonly_roots():
        args += _parents(root, made) + ["--ro-bind", root, root]
        made.trees.add(root)
    for link in ("/bin", "/lib", "/lib64", "/sbin", "/lib32", "/libx32"):
        if Path(link).is_symlink():
            args += ["--symlink", os.readlink(link), link]
        elif Path(link).is_dir() and not made.has(link):
            args += ["--ro-bind", link, link]
    return args, made


class _Made:
    """What already exists inside the sandbox: mounted trees (every sub-folder too) and single folders."""

    def __init__(self, trees: set[str], folders: set[str]) -> None:
        self.trees, self.folders = trees, folders

    def has(self, path: str) -> bool:
        return path in self.folders or any(path == t or path.startswith(t + "/") for t in self.trees)


def _parents(path: str, made: _Made) -> list[str]:
    """bwrap arguments creating the missing parent folders of `path`, traversable by the sandbox's user.

    A folder merely created (say /root, for /root/.pyenv) holds nothing else, so its sub-folders are not
    assumed to exist; a mounted tree's are. `made` is updated.
    """
    args = []
    parts = Path(path).parts
    for k in range(2, len(parts)):
        parent = str(Path(*parts[:k]))
        if made.has(parent):
            continue
        args += ["--perms", "0755", "--dir", parent]
        made.folders.add(parent)
    return args


def sandbox_command(
    kernel_cmd: list[str], *, folder: Path, sockets: Path, library: Path, env: dict[str, str]
) -> list[str]:
    """The bwrap command line that runs `kernel_cmd` in the sandbox.

    Parameters
    ----------
    kernel_cmd
        The kernel's own command (interpreter, kernel script, ``-f CONNECTION_FILE``).
    folder
        The notebook's folder, bound read-only; the kernel script copies it into the sandbox's home and
        works in the copy.
    sockets
        The folder of the kernel's unix sockets and connection file, bound at the same path.
    library
        The read-only copy of the course library and the kernel script, bound at the same path.
    env
        The kernel's environment (already filtered).
    """
    args, made = _base_args(_bwrap())
    args += _parents(str(library), made) + ["--ro-bind", str(library), str(library)]
    args += _parents(str(sockets), made) + ["--bind", str(sockets), str(sockets)]
    args += _parents(STAGE, made) + ["--ro-bind", str(folder), STAGE, "--chdir", SANDBOX_HOME, "--clearenv"]
    for key, value in sorted(env.items()):
        args += ["--setenv", key, value]
    return args + ["--", *kernel_cmd]


def kernel_env(source: dict[str, str], library: Path, uid: int | None, workdir: str) -> dict[str, str]:
    """The environment inside the sandbox: a clean PATH, HOME, the library on PYTHONPATH, the grader's limits."""
    env = {k: source[k] for k in PASSED_ENV if k in source}
    env.update(
        {
            "PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
            "HOME": SANDBOX_HOME,
            "USER": "student",
            "LOGNAME": "student",
            "PYTHONPATH": str(library),
            "PYTHONDONTWRITEBYTECODE": "1",
            "MPLCONFIGDIR": "/tmp/matplotlib",
            "IPYTHONDIR": "/tmp/ipython",
            "JUPYTER_RUNTIME_DIR": "/tmp/jupyter",
            "COURSE_GRADER_SANDBOX": "1",
            "COURSE_GRADER_STAGE": STAGE,
            "COURSE_GRADER_WORKDIR": workdir,
        }
    )
    env.setdefault("MPLBACKEND", "Agg")
    if uid is not None:
        env["COURSE_GRADER_UID"] = str(uid)
    return env


def copy_library(into: Path) -> Path:
    """Copy the `course` package (the student library, never the grader) into `into`; return `into`."""
    import importlib.util

    spec = importlib.util.find_spec("course")
    if spec is None or not spec.submodule_search_locations:
        raise SandboxUnavailable("the course library is not installed: `pip install -e .` in the course folder.")
    source = Path(list(spec.submodule_search_locations)[0])
    into.mkdir(parents=True, exist_ok=True)
    shutil.copytree(source, into / "course", ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "grading"))
    shutil.copy(Path(__file__).with_name("kernel.py"), into / "course_grader_kernel.py")
    for path in [into, *into.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return into


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager that starts the grading kernel inside bubblewrap and talks to it over unix sockets.

    nbgrader's Execute preprocessor uses it through `c.Execute.kernel_manager_class`; one instance (and one
    sandbox) per notebook. Its folders are removed when the kernel is cleaned up.
    """

    library = Unicode(config=True, help="folder holding the copy of the course library and the kernel script")
    transport = Unicode("ipc")  # TCP on loopback cannot cross the sandbox's network namespace

    _sockets: Path | None = None

    @default("ip")
    def _ip_default(self) -> str:
        return str(self._socket_dir() / "kernel")

    @default("connection_file")
    def _connection_file_default(self) -> str:
        return str(self._socket_dir() / "kernel.json")

    def _socket_dir(self) -> Path:
        if self._sockets is None:  # short path: unix socket names are limited to about 100 characters
            self._sockets = Path(tempfile.mkdtemp(prefix="cg-"))
        return self._sockets

    async def _async_launch_kernel(self, kernel_cmd: list[str], **kw) -> None:
        """Start the kernel command inside bwrap, its notebook's folder bound read-only for the copy home."""
        if not self.library:
            raise SandboxUnavailable("SandboxKernelManager.library is not set")
        uid = random.randrange(*UID_RANGE) if os.geteuid() == 0 else None
        folder = Path(kw.get("cwd") or os.getcwd()).resolve()
        sockets = self._socket_dir()
        if uid is not None:  # the kernel creates its sockets here; locked again once it has (post start)
            os.chown(sockets, uid, uid)
            os.chmod(sockets / "kernel.json", 0o644)
        env = kernel_env(
            dict(kw.get("env") or os.environ), Path(self.library), uid, f"{SANDBOX_HOME}/{folder.name or 'work'}"
        )
        cmd = sandbox_command(kernel_cmd, folder=folder, sockets=sockets, library=Path(self.library), env=env)
        kw["env"] = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}
        kw["cwd"] = str(sockets)
        await super()._async_launch_kernel(cmd, **kw)

    async def _async_post_start_kernel(self, **kw) -> None:
        """Once the kernel has made its sockets, take its folder back: nothing more may be written there."""
        await super()._async_post_start_kernel(**kw)
        if os.geteuid() != 0 or self._sockets is None:
            return
        ports = [getattr(self, f"{name}_port") for name in SOCKET_NAMES]
        for _ in range(600):  # up to a minute for the kernel to start
            if all(Path(f"{self.ip}-{port}").exists() for port in ports) or not await self._async_is_alive():
                break
            await asyncio.sleep(0.1)
        os.chown(self._sockets, 0, 0)
        os.chmod(self._sockets, 0o755)

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._sockets is not None:
            shutil.rmtree(self._sockets, ignore_errors=True)
