"""The benchmark scripts run end to end in their tiny smoke mode (no wall-clock assertions)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPTS = {  # script and arguments -> words its table must contain
    ("training_speed.py", "--smoke"): ["course loop", "Dataset+DataLoader", "model compute only", "speed-up",
                                       "fast recipe"],
    ("mnist_1998.py", "--smoke"): ["2-layer FC 300, sigmoid, squared loss", "2-layer FC 300, with distortions",
                                   "LeNet-5 (modern)", "LeNet-5, with distortions", "source"],
    ("threads.py", "--smoke"): ["1 thread", "2 threads", "automatic", "1 CPU busy", "picked the slower?",
                                "available_cpus() = 1"],
    ("grading_throughput.py", "--smoke"): ["s/submission", "100%", "not ok"],
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
