"""The benchmark scripts run end to end in their tiny smoke mode (no wall-clock assertions)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPTS = {  # script and arguments -> words its table must contain
    # gpu_check runs training_speed.py and mnist_1998.py in their smoke modes (and one lecture), so their
    # tables are checked here, inside its report
    ("gpu_check.py", "--smoke"): ["lecture 03_backprop_autodiff | ok", "training_speed.py --smoke --device cpu | ok",
                                  "course loop", "Dataset+DataLoader", "model compute only", "speed-up", "fast recipe",
                                  "fit's overhead", "fit, metrics=()", "over compute",
                                  "mnist_1998.py --smoke --device cpu | ok", "2-layer FC 300, sigmoid, squared loss",
                                  "2-layer FC 300, with distortions", "LeNet-5 (modern)", "LeNet-5, with distortions",
                                  "source", "3 of 3 steps ok"],
    ("threads.py", "--smoke"): ["1 thread", "2 threads", "automatic", "1 CPU busy", "picked the slower?",
                                "available_cpus() = 1"],
    ("grading_throughput.py", "--smoke"): ["s/submission", "100%", "not ok"],
    ("import_time.py", "--runs", "1"): ["import course (after torch)", "import course.viz", "goal: at most 0.15 s"],
    ("sandbox_startup.py", "--smoke"): ["plain", "sandbox", "the sandbox adds", "copying the library"],
    ("notebook_budgets.py", "lectures/03_backprop_autodiff.ipynb"): ["03_backprop_autodiff", "peak MiB", "total"],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(SCRIPTS), ids=lambda c: c[0])
def test_benchmark_smoke(command):
    script, *args = command
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), *args], capture_output=True,
                          text=True, timeout=600, cwd=ROOT, env={**os.environ, "COURSE_DATA_DIR": ""})
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    for text in SCRIPTS[command]:
        assert text in done.stdout, f"{script} {' '.join(args)} printed no {text!r}:\n{done.stdout}"


def _gpu_check():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import gpu_check
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    return gpu_check


def test_gpu_check_can_set_full_run_in_every_lecture_that_has_the_flag():
    import nbformat

    gpu_check = _gpu_check()
    flagged = []
    for path in sorted((ROOT / "lectures").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        mentions = any("FULL_RUN" in c.source for c in nb.cells)
        changed = gpu_check.full_run_version(nb)
        assert changed == int(mentions), f"{path.name}: FULL_RUN is used but not set by one 'FULL_RUN = False' line"
        if changed:
            flagged.append(path.stem)
            sets = [c for c in nb.cells if c.cell_type == "code" and re.search(r"^FULL_RUN = ", c.source, re.M)]
            assert len(sets) == 1 and re.search(r"^FULL_RUN = True\b", sets[0].source, re.M), path.name
    assert len(flagged) >= 5, flagged  # 02 and 06-10 train on full MNIST when the flag is set


def test_gpu_check_refuses_a_lecture_that_sets_the_flag_twice():
    import nbformat

    gpu_check = _gpu_check()
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("FULL_RUN = False"),
                                         nbformat.v4.new_code_cell("x = 1\nFULL_RUN = False  # again")])
    with pytest.raises(ValueError, match="set in 2 cells"):
        gpu_check.full_run_version(nb)
