# Two commands do all set-up: `make start` (JupyterLab on the course) and `make test` (every test).
# Both create .venv if missing and install the project into it; neither downloads data or weights.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# torch: the CPU build unless TORCH=cuda. On Linux x86-64 plain pip would give the multi-GB CUDA build, so the
# PyTorch CPU wheel index is added there (pip prefers its 2.13.0+cpu to PyPI's 2.13.0); elsewhere (macOS, Linux
# on ARM) PyPI's wheel already is the CPU (and Apple MPS) build. TORCH_PIP_ARGS overrides the choice.
# The index is added only when its host resolves: behind a package mirror with no internet (CI, some campuses)
# pip would otherwise retry it five times for every package, about 8 s each. Expanded only when installing.
TORCH ?= cpu
CPU_INDEX := https://download.pytorch.org/whl/cpu
RESOLVES = $(shell $(PYTHON) -c "import socket,sys; socket.setdefaulttimeout(3); socket.getaddrinfo(sys.argv[1], 443)" $(1) >/dev/null 2>&1 && echo yes)
ifeq ($(TORCH)-$(shell uname -s)-$(shell uname -m),cpu-Linux-x86_64)
TORCH_PIP_ARGS ?= $(if $(call RESOLVES,download.pytorch.org),--extra-index-url $(CPU_INDEX))
endif
TORCH_PIP_ARGS ?=
PORT ?= 8888
# Idle OpenMP threads sleep instead of spinning: much faster training when the CPU is shared (Binder, CI).
export OMP_WAIT_POLICY ?= PASSIVE
ROOT_DIR ?= $(CURDIR)
PYTEST ?= $(BIN)/python -m pytest
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with .ci/nbval_sanitize.cfg --nbval-cell-timeout 600

.PHONY: start test test-quick test-notebooks test-grading install lint release sync-links binder-requirements binder-check release-check budgets grade student-release site clean

$(STAMP): pyproject.toml grading/pyproject.toml .ci/constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade "pip>=24"
	$(BIN)/python -m pip install -q -c .ci/constraints.txt torch==2.13.0 $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install -q -c .ci/constraints.txt -e ./grading -e ".[instructor,dev,hub,site]"
	touch $(STAMP)

install: $(STAMP)

start: $(STAMP)  ## JupyterLab on the course, prints the URL (no browser is opened)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m course start --port=$(PORT) --root="$(ROOT_DIR)"

test: $(STAMP) lint  ## everything: the linters, library tests, claims, notebooks (nbval), grading round trips, browser
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST) tests lectures solutions $(NBVAL) -p no:cacheprovider

LINTED := course grading/course_grading tools/release_check.py tools/binder_check.py tools/binder_requirements.py website tests/test_site.py
lint: $(STAMP)  ## ruff (lint and format check) on the library, the grader, the tools, the website and its test; mypy on the library
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/mypy

test-quick: $(STAMP)  ## library tests only, for local iteration (a few minutes)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST) tests -m "not slow" -p no:cacheprovider

test-notebooks: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST) lectures solutions tests/test_notebooks.py $(NBVAL) -p no:cacheprovider

test-grading: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTEST) tests -m grading -p no:cacheprovider

release: $(STAMP)  ## regenerate every student version in exercises/ from solutions/
	for d in solutions/*/; do n=$$(basename $$d); PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m nbgrader generate_assignment $$n --force --log-level=WARN || exit 1; done

sync-links: $(STAMP)  ## after a version bump or a new course/_meta.py: rewrite the set-up cells and badges, then release
	$(BIN)/python tools/sync_links.py
	$(MAKE) release

grade: $(STAMP)  ## grade a folder or zip of submissions: make grade A=03_backprop S=subs.zip OUT=grading-runs/03_backprop
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m course_grading grade $(A) $(S) --out $(OUT)

binder-requirements: $(STAMP)  ## rewrite binder/requirements.txt (the cached Binder layer) from this environment's pins
	$(BIN)/python tools/binder_requirements.py

binder-check: $(STAMP)  ## simulate the Binder build (requirements layer, postBuild) and run lecture 01 on one CPU
	$(BIN)/python tools/binder_check.py

release-check: $(STAMP)  ## build the sdists and wheels, install the student wheel in a clean venv, run lecture 01 there
	TORCH_PIP_ARGS="$(TORCH_PIP_ARGS)" $(BIN)/python tools/release_check.py

budgets: $(STAMP)  ## time and peak memory of every lecture and solution notebook
	$(BIN)/python benchmarks/notebook_budgets.py

student-release: $(STAMP)  ## the student edition in build/student/; BRANCH=student also commits it to that branch
	$(BIN)/python tools/student_release.py $(if $(BRANCH),--branch $(BRANCH))

site: $(STAMP)  ## the course website in build/site from the executed notebooks (nothing re-run); open build/site/index.html
	$(BIN)/python website/build.py build/site

clean:
	rm -rf $(VENV) gradebook.db submitted autograded feedback .pytest_cache
