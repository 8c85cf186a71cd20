# Quick start: `make run` (evaluate the example cases), `make test` (the suite).
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run demo test bench clean venv browser screenshots

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

# both cores (pytest-xdist; a worker takes the next test when it is free), the slowest tests listed at the end
test: $(STAMP) browser
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=20

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
