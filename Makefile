# Quick start: `make run` (evaluate the example cases), `make test` (the suite).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test lint lint-fix mutation bench clean venv browser screenshots

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "需要 Python 3.11 ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/discretion serve

demo: $(STAMP)
	$(BIN)/discretion demo

# both cores (pytest-xdist; a worker takes the next test when it is free), the slowest tests listed at the end.
# Bytecode is written even where the environment says PYTHONDONTWRITEBYTECODE: without .pyc files every
# worker (and every process a test starts) compiles each module again, and pytest re-rewrites the asserts of
# hypothesis' and schemathesis' packages: ~8 s of CPU per process (README "Working on the code").
test: $(STAMP) browser
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist worksteal --durations=20

# ruff (rules and line length in pyproject.toml) and mypy --strict on the library and the service
lint: $(STAMP)
	$(BIN)/ruff check discretion api tests bench tools
	$(BIN)/mypy

# the mechanical part of reaching zero findings: ruff format, long comments and docstrings re-wrapped
# (tools/rewrap.py), ruff's safe fixes; what remains needs a person. LINT_PATHS narrows it.
LINT_PATHS ?= discretion api tests bench tools
lint-fix: $(STAMP)
	$(BIN)/ruff format $(LINT_PATHS)
	$(BIN)/python tools/rewrap.py $(LINT_PATHS)
	$(BIN)/ruff check --fix $(LINT_PATHS) || true

# mutation check of the evaluator (config in pyproject.toml [tool.mutmut]), at the lowest priority and
# one child so it shares the machine; MUTANTS narrows it to mutant-name globs, e.g.
# MUTANTS='discretion.evaluation.fines.*'. Results accumulate in mutants/ (not in git): a second run
# resumes. README "Mutation check" has the last full figures and the survivors.
MUTANTS ?=
mutation: $(STAMP)
	nice -n 19 $(BIN)/mutmut run --max-children 1 $(MUTANTS)
	$(BIN)/mutmut results

# Chromium and CJK fonts from Debian for the browser tests (tests/test_browser.py); idempotent
browser:
	@test -x /usr/bin/chromium && fc-list :lang=zh 2>/dev/null | grep -q . || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; }

# screenshots of every page into docs/screenshots (the browser tests, SQLite run)
screenshots: $(STAMP) browser
	DISCRETION_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest tests/test_browser.py -k sqlite

bench: $(STAMP)
	$(BIN)/python bench/evaluate.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
