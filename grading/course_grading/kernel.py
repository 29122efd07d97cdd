"""The grading kernel: an IPython kernel with limits (memory, CPU time, processes, file size) and a cap on
printed output per cell.

Started (as a script, stdlib imports only) by the kernel spec that `install_kernel` writes; the limits
come from environment variables so that nbgrader's usual kernel start-up does the rest. Inside the sandbox
(`course_grading.sandbox`) it also gives up root for a user id of its own and copies its notebook's folder
(bound read-only) into its home, so that the working folder is a scratch copy.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

KERNEL_NAME = "course-grader"
MEMORY_ENV = "COURSE_GRADER_MEMORY_MB"
OUTPUT_ENV = "COURSE_GRADER_MAX_OUTPUT"
CPU_ENV = "COURSE_GRADER_CPU_SECONDS"
PROCESSES_ENV = "COURSE_GRADER_PROCESSES"
FILE_BYTES = 1024**3  # no single file written may exceed this
SCRIPT_NAME = "course_grader_kernel.py"
TRUNCATED = "[output truncated by the grader"


def install_kernel(
    jupyter_dir: str | os.PathLike,
    memory_mb: int,
    max_output_chars: int,
    script: str | os.PathLike | None = None,
    cpu_seconds: int = 0,
    processes: int = 0,
) -> Path:
    """Write the grading kernel's spec under `jupyter_dir`/kernels (put `jupyter_dir` on JUPYTER_PATH).

    Parameters
    ----------
    jupyter_dir
        A folder for JUPYTER_PATH.
    memory_mb, max_output_chars, cpu_seconds, processes
        The kernel's limits (0: none): address space, printed characters per cell, CPU seconds in all,
        processes and threads (enforced only where the kernel runs under a user id of its own).
    script
        The kernel script to run (default: this file); the sandbox uses its read-only copy.
    """
    folder = Path(jupyter_dir) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        # Run as a script, not `-m course_grading.kernel`: importing packages first would cost seconds.
        "argv": [sys.executable, str(Path(script or __file__).resolve()), "-f", "{connection_file}"],
        "display_name": "Python 3 (grading limits)",
        "language": "python",
        # Interrupts (the per-cell time limit) go by message: a signal to the sandbox would not reach the kernel.
        "interrupt_mode": "message",
        "env": {
            MEMORY_ENV: str(memory_mb),
            OUTPUT_ENV: str(max_output_chars),
            CPU_ENV: str(cpu_seconds),
            PROCESSES_ENV: str(processes),
            "MPLBACKEND": "Agg",
        },
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def _limit(name: str, value: int) -> None:
    """Lower one resource limit (soft and hard) to `value`, never raising it."""
    import resource  # POSIX only; imported here so the rest of the grader also loads elsewhere

    kind = getattr(resource, name)
    hard = resource.getrlimit(kind)[1]
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def enter_sandbox() -> None:
    """Inside the sandbox: give up root for the sandbox's own user id, then copy the notebook's folder home."""
    uid = int(os.environ.get("COURSE_GRADER_UID", "0") or 0)
    if uid and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    stage, workdir = os.environ.get("COURSE_GRADER_STAGE"), os.environ.get("COURSE_GRADER_WORKDIR")
    if stage and workdir:
        import shutil

        shutil.copytree(stage, workdir, dirs_exist_ok=True)
        os.chdir(workdir)


def apply_limits() -> None:
    """Memory, CPU time, processes and file size, from the environment the kernel spec sets."""
    memory_mb = int(os.environ.get(MEMORY_ENV, "0") or 0)
    if memory_mb > 0:
        limit_memory(memory_mb)
    cpu = int(os.environ.get(CPU_ENV, "0") or 0)
    if cpu > 0:
        _limit("RLIMIT_CPU", cpu)
    processes = int(os.environ.get(PROCESSES_ENV, "0") or 0)
    if processes > 0 and os.getuid() != 0:  # root is never held to a process count
        _limit("RLIMIT_NPROC", processes)
    if os.environ.get("COURSE_GRADER_SANDBOX"):
        _limit("RLIMIT_FSIZE", FILE_BYTES)
        _limit("RLIMIT_CORE", 0)


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: a too-large allocation raises MemoryError instead of swamping the machine.

    The hard limit comes down too, so code in the kernel cannot lift the ceiling again.
    """
    _limit("RLIMIT_AS", megabytes * 1024 * 1024)


class _Cap:
    """Shared per-cell budget of printed characters for stdout and stderr."""

    def __init__(self, limit: int):
        self.limit, self.used, self.told = limit, 0, False

    def reset(self, *_args) -> None:
        self.used, self.told = 0, False

    def wrap(self, write):
        def capped_write(text):
            if self.used >= self.limit:
                if not self.told:
                    self.told = True
                    write(f"\n{TRUNCATED}: more than {self.limit:,} characters printed in this cell]\n")
                return len(text)
            allowed = text[: self.limit - self.used]
            self.used += len(allowed)
            write(allowed)
            return len(text)

        return capped_write


def cap_output(shell, limit: int) -> None:
    """Drop printed output beyond `limit` characters per cell (saying so once), so huge prints stay cheap."""
    cap = _Cap(limit)
    shell.events.register("pre_run_cell", cap.reset)
    for stream in (sys.stdout, sys.stderr):
        stream.write = cap.wrap(stream.write)


def main(argv: list[str] | None = None) -> None:
    """Enter the sandbox (if in one), apply the limits from the environment, then run an IPython kernel."""
    enter_sandbox()
    apply_limits()
    max_output = int(os.environ.get(OUTPUT_ENV, "0") or 0)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)
    # Nothing written into the working folder may shadow a module the tests import later.
    sys.path[:] = [p for p in sys.path if p not in ("", ".", os.getcwd())]
    if max_output > 0:
        cap_output(app.shell, max_output)
    app.start()


if __name__ == "__main__":
    # Python put this script's folder first on sys.path; drop that entry (PYTHONPATH entries stay, so the
    # sandbox's copy of the library, which holds this script too, is still importable).
    if sys.path and sys.path[0] and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        del sys.path[0]
    main()
