"""The grading kernel: an IPython kernel with a memory ceiling and a cap on printed output per cell.

Started (as a script, stdlib imports only) by the kernel spec that `install_kernel` writes; the limits
come from environment variables so that nbgrader's usual kernel start-up does the rest.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

KERNEL_NAME = "course-grader"
MEMORY_ENV = "COURSE_GRADER_MEMORY_MB"
OUTPUT_ENV = "COURSE_GRADER_MAX_OUTPUT"
TRUNCATED = "[output truncated by the grader"


def install_kernel(jupyter_dir: str | os.PathLike, memory_mb: int, max_output_chars: int) -> Path:
    """Write the grading kernel's spec under `jupyter_dir`/kernels (put `jupyter_dir` on JUPYTER_PATH)."""
    folder = Path(jupyter_dir) / "kernels" / KERNEL_NAME
    folder.mkdir(parents=True, exist_ok=True)
    spec = {
        # Run as a script, not `-m course_grading.kernel`: importing the course package first would cost seconds.
        "argv": [sys.executable, str(Path(__file__).resolve()), "-f", "{connection_file}"],
        "display_name": "Python 3 (grading limits)",
        "language": "python",
        "env": {MEMORY_ENV: str(memory_mb), OUTPUT_ENV: str(max_output_chars), "MPLBACKEND": "Agg"},
    }
    (folder / "kernel.json").write_text(json.dumps(spec, indent=1))
    return folder


def limit_memory(megabytes: int) -> None:
    """Cap this process's address space: a too-large allocation raises MemoryError instead of swamping the machine."""
    import resource  # POSIX only; imported here so the rest of the grader also loads elsewhere

    limit = megabytes * 1024 * 1024
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


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
    """Apply the limits from the environment, then run an ordinary IPython kernel."""
    memory_mb = int(os.environ.get(MEMORY_ENV, "0") or 0)
    max_output = int(os.environ.get(OUTPUT_ENV, "0") or 0)
    if memory_mb > 0:
        limit_memory(memory_mb)
    from ipykernel.kernelapp import IPKernelApp

    app = IPKernelApp.instance()
    app.initialize(sys.argv[1:] if argv is None else argv)
    if max_output > 0:
        cap_output(app.shell, max_output)
    app.start()


if __name__ == "__main__":
    # Like `python -m ipykernel_launcher`: the working folder, not this file's folder, heads sys.path.
    here = Path(__file__).resolve().parent
    sys.path[:] = [""] + [p for p in sys.path if p and Path(p).resolve() != here]
    main()
