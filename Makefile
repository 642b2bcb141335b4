# Backprop Lab: `make run` serves the app, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
VENDOR := static/vendor/.built
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)

.PHONY: run test lint typecheck pytest bench loadtest install install-dev assets chromium clean

run: install assets
	@echo "Backprop Lab on http://$(HOST):$(PORT)"
	$(PY) -m app serve --host $(HOST) --port $(PORT)

test: install-dev assets chromium lint typecheck pytest

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

pytest: install-dev assets chromium
	BACKPROP_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -ra

bench: install assets
	$(PY) -m bench
	$(PY) -m bench.live

# A real server on a free 127.0.0.1 port, driven like a crowded workshop (~15 min; see --help).
loadtest: install assets
	$(PY) -m bench.loadtest

install: $(STAMP_RUN)
install-dev: $(STAMP_DEV)
assets: $(VENDOR)

# A venv whose interpreter no longer runs (moved, Python upgraded) is stale: rebuild it.
$(VENV)/bin/python:
	@if [ -d $(VENV) ] && ! $(VENV)/bin/python -c '' 2>/dev/null; then rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(VENV)/bin/python
	@$(PY) -c '' 2>/dev/null || { rm -rf $(VENV); $(MAKE) $(VENV)/bin/python; }
	$(PY) -m pip install -q -e .
	@touch $@

$(STAMP_DEV): pyproject.toml $(STAMP_RUN)
	$(PY) -m pip install -q -e '.[dev]'
	@touch $@

$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css static/vendor/
	@touch $@

# Playwright cannot download its own browser here: use Debian's Chromium, installing it as root.
chromium:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
		else \
			echo "Chromium is missing: run 'sudo apt-get install chromium' (needed by the browser tests)"; exit 1; \
		fi; \
	fi

clean:
	rm -rf $(VENV) node_modules static/vendor .mypy_cache .ruff_cache .pytest_cache
