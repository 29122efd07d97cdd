"""The benchmark scripts run end to end in their tiny smoke mode (no wall-clock assertions)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

SCRIPTS = {
    "training_speed.py": ["course loop", "Dataset+DataLoader", "speed-up", "fast recipe"],
    "mnist_1998.py": ["2-layer FC 300", "LeNet-5", "source"],
    "threads.py": ["1 thread", "2 threads", "automatic", "available_cpus() = 1"],
    "grading_throughput.py": ["s/submission", "100%"],
}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_benchmark_smoke(script):
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / script), "--smoke"], capture_output=True,
                          text=True, timeout=600, env={**__import__("os").environ, "COURSE_DATA_DIR": ""})
    assert done.returncode == 0, done.stderr[-3000:]
    for text in SCRIPTS[script]:
        assert text in done.stdout, f"{script} --smoke printed no {text!r}:\n{done.stdout}"
