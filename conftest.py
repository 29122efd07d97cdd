"""Repository-wide pytest set-up: what not to collect, and a headless plotting backend."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

# The suite runs on the shipped subset, as in a student's clone: a developer's (or CI's) COURSE_DATA_DIR would
# otherwise make every size="auto" load, and every notebook nbval runs, read the full sets (other numbers, other
# run times). It moves to COURSE_FULL_DATA_DIR, which only the tests that need the full sets read
# (tests/test_full_mnist.py, tests/test_data_mnist.py); kernels and subprocesses inherit the moved variable.
if os.environ.get("COURSE_DATA_DIR"):
    os.environ.setdefault("COURSE_FULL_DATA_DIR", os.environ["COURSE_DATA_DIR"])
os.environ.pop("COURSE_DATA_DIR", None)

# Student versions are generated from solutions/ and fail their tests by design; fixtures are inputs.
collect_ignore_glob = ["exercises/*", "tests/grading_fixtures/*", ".venv/*", "benchmarks/*"]
