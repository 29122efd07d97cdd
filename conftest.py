"""Repository-wide pytest set-up: what not to collect, and a headless plotting backend."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")

# Student versions are generated from solutions/ and fail their tests by design; fixtures are inputs.
collect_ignore_glob = ["exercises/*", "tests/grading_fixtures/*", ".venv/*", "benchmarks/*"]
