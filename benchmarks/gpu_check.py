"""The GPU path, run end to end: every lecture with FULL_RUN = True, the training-speed benchmark (with the fast
recipe to 99%) and the 1998 table, on the best device there is; one table of what ran, how long it took and what
broke.

    COURSE_DATA_DIR=/path/to/data python benchmarks/gpu_check.py --out gpu_check.md   # on a CUDA machine
    python benchmarks/gpu_check.py --smoke                                             # any machine, about a minute

--smoke (what CI runs, on the CPU) keeps FULL_RUN = False, runs one short lecture and the benchmarks' own smoke
modes: it proves the script and the device plumbing work, not that the GPU does. Full MNIST comes from
COURSE_DATA_DIR, else ../shared/data where that folder exists, else the cache or a download (lectures with
FULL_RUN = True need it). Exits 1 if any step failed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from common import ROOT, course, machine
from notebook_budgets import errors_of, execute

FLAG = re.compile(r"^FULL_RUN = False\b", re.MULTILINE)
REPORT = "GPU_CHECK "  # the appended cell prints this, then JSON
SMOKE_LECTURES = ("03_backprop_autodiff",)

# Appended to every lecture: which device its set-up chose, and the most GPU memory it held.
REPORT_CELL = f"""import json as _json, torch as _torch
_device = globals().get("device", "not set")
_peak = _torch.cuda.max_memory_allocated() / 2**20 if _torch.cuda.is_available() else 0.0
print({REPORT!r} + _json.dumps({{"device": str(_device), "gpu_peak_mib": round(_peak)}}))"""


def full_run_version(nb: nbformat.NotebookNode) -> int:
    """Set FULL_RUN = True in the lecture's set-up cell, in place; return how many cells were changed (0 or 1).

    Raises ValueError where the flag is set in more than one cell: the check would not know which one counts."""
    cells = [c for c in nb.cells if c.cell_type == "code" and FLAG.search(c.source)]
    if len(cells) > 1:
        raise ValueError(f"FULL_RUN = False is set in {len(cells)} cells; set it once, in the set-up cell")
    for cell in cells:
        cell.source = FLAG.sub("FULL_RUN = True", cell.source)
    return len(cells)


def check_lecture(path: Path, full: bool, timeout: int) -> dict[str, object]:
    """Execute one lecture (with FULL_RUN = True where `full`); return its row: status, seconds and details."""
    nb = nbformat.read(path, as_version=4)
    flipped = full_run_version(nb) if full else 0
    nb.cells.append(nbformat.v4.new_code_cell(REPORT_CELL))
    seconds, peak = execute(nb, path.parent, timeout)
    errors = errors_of(nb)
    report = {}
    for output in nb.cells[-1].get("outputs", []):
        for line in output.get("text", "").splitlines():
            if line.startswith(REPORT):
                report = json.loads(line[len(REPORT):])
    mode = "FULL_RUN = True" if flipped else ("no FULL_RUN flag" if full else "FULL_RUN = False")
    detail = f"{mode}; device {report.get('device', '?')}; GPU peak {report.get('gpu_peak_mib', '?')} MiB; " \
             f"host peak {peak:.0f} MiB"
    return {"step": f"lecture {path.stem}", "ok": not errors, "seconds": seconds,
            "detail": detail + (f"; {errors[0][:300]}" if errors else "")}


def check_script(name: str, args: list[str], timeout: int) -> tuple[dict[str, object], str]:
    """Run one benchmark script; return its row and everything it printed."""
    start = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / name), *args], capture_output=True,
                              text=True, timeout=timeout, cwd=ROOT)
        ok, output = done.returncode == 0, done.stdout + (done.stderr[-3000:] if done.returncode else "")
    except subprocess.TimeoutExpired as stopped:
        ok, output = False, f"{stopped.stdout or ''}\nstopped after {timeout} s"
    last = output.strip().splitlines()[-1] if output.strip() else "no output"
    row = {"step": f"{name} {' '.join(args)}", "ok": ok, "seconds": time.perf_counter() - start,
           "detail": "ok" if ok else last[:300]}
    return row, output


def markdown(rows: list[dict[str, object]]) -> str:
    """The results as a Markdown table."""
    lines = ["| step | result | s | detail |", "| --- | --- | ---: | --- |"]
    lines += [f"| {r['step']} | {'ok' if r['ok'] else 'FAILED'} | {r['seconds']:.1f} | {r['detail']} |"
              for r in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run every step, print the table (and write it to --out); exit status 1 if any step failed."""
    parser = argparse.ArgumentParser(description="the GPU path, end to end")
    parser.add_argument("--smoke", action="store_true", help="CPU-sized: one lecture, the benchmarks' smoke modes")
    parser.add_argument("--lectures", nargs="*", default=None, help="lecture names (stems) to run; default all")
    parser.add_argument("--skip-benchmarks", action="store_true")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell and per benchmark script")
    parser.add_argument("--out", type=Path, default=None, help="also write the Markdown report here")
    args = parser.parse_args(argv)
    shared = ROOT.parent / "shared" / "data"
    if not os.environ.get("COURSE_DATA_DIR") and shared.is_dir() and not args.smoke:
        os.environ["COURSE_DATA_DIR"] = str(shared)  # the kernels and scripts started below inherit it
    device = course.get_device()
    header = f"machine: {machine()}; device {device}; {'smoke mode' if args.smoke else 'full run'}"
    print(header, flush=True)

    names = args.lectures or (SMOKE_LECTURES if args.smoke else None)
    lectures = [p for p in sorted((ROOT / "lectures").glob("*.ipynb")) if names is None or p.stem in names]
    if names and len(lectures) != len(names):
        raise SystemExit(f"--lectures: no lecture named {sorted(set(names) - {p.stem for p in lectures})}; "
                         f"the names are the stems of lectures/*.ipynb")
    rows: list[dict[str, object]] = []
    for path in sorted((ROOT / "lectures").glob("*.ipynb")):  # every lecture's flag must be one the check can set
        try:
            full_run_version(nbformat.read(path, as_version=4))
        except ValueError as problem:
            rows.append({"step": f"flag in {path.stem}", "ok": False, "seconds": 0.0, "detail": str(problem)})
    for path in lectures:
        rows.append(check_lecture(path, full=not args.smoke, timeout=args.timeout))
        print(markdown(rows[-1:]).splitlines()[-1], flush=True)

    outputs = []
    if not args.skip_benchmarks:
        where = ["--device", device.type]
        scripts = [("training_speed.py", ["--smoke"] if args.smoke else []),
                   ("mnist_1998.py", ["--smoke"] if args.smoke else ["--seeds", "3"])]
        for name, extra in scripts:
            row, output = check_script(name, [*extra, *where], args.timeout)
            rows.append(row)
            outputs.append(f"### {row['step']}\n\n```\n{output.strip()}\n```")
            print(markdown([row]).splitlines()[-1], flush=True)

    failed = sum(not r["ok"] for r in rows)
    report = "\n\n".join([header, markdown(rows), *outputs,
                          f"{len(rows) - failed} of {len(rows)} steps ok" + (f", {failed} FAILED" if failed else "")])
    print("\n" + report)
    if args.out:
        args.out.write_text(report + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
