# Backprop Lab: `make run` serves the app, `make test` runs every check. Both install what they need.
SHELL := /bin/bash
ROOM ?=
HOST ?= $(if $(ROOM),0.0.0.0,127.0.0.1)
PORT ?= 8000
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP_RUN := $(VENV)/.installed-run
STAMP_DEV := $(VENV)/.installed-dev
VENDOR := static/vendor/.built
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || echo /usr/bin/chromium)

.PHONY: run test lint typecheck jstest pytest presets-kernels screenshot bench loadtest soak wheel install install-dev assets chromium clean

run: install assets
	@echo "Backprop Lab on http://$(HOST):$(PORT)"
	$(PY) -m app serve --host $(HOST) --port $(PORT)$(if $(ROOM), --room)

test: install-dev assets chromium lint typecheck jstest pytest presets-kernels

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install-dev
	$(VENV)/bin/mypy

# The page's pure modules under Node's own test runner (the schema comes from this venv's app).
jstest: install-dev assets
	BACKPROP_PYTHON=$(PY) node --test tests/js/

pytest: install-dev assets chromium
	BACKPROP_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -ra

# Float32 training is chaotic, so the preset notes must hold under other CPUs' BLAS kernels too.
# Forced here: kernels every x86-64 CPU in use can run, as OPENBLAS_CORETYPE:name-OpenBLAS-reports
# (Prescott, SSE3, reports as Katmai; Nehalem, SSE4.2). The machine's own kernel ran in `pytest`.
BLAS_KERNELS := Prescott:Katmai Nehalem:Nehalem
presets-kernels: install-dev
	@for pair in $(BLAS_KERNELS); do \
		echo "preset tests under OPENBLAS_CORETYPE=$${pair%%:*}"; \
		OPENBLAS_CORETYPE=$${pair%%:*} BACKPROP_EXPECT_BLAS_KERNEL=$${pair##*:} \
			$(PY) -m pytest -q -p no:cacheprovider tests/training/test_presets.py \
				tests/training/test_diagnoses.py || exit 1; \
	done

# docs/screenshot.png (the README's picture): the spiral training in Chromium at 1280×720.
screenshot: install-dev assets chromium
	BACKPROP_CHROMIUM=$(CHROMIUM) $(PY) -m tests.e2e.screenshot docs/screenshot.png

bench: install-dev assets chromium
	$(PY) -m bench
	$(PY) -m bench.live
	$(PY) -m bench.store
	BACKPROP_CHROMIUM=$(CHROMIUM) $(PY) -m bench.browser

# dist/: the sdist and a wheel built from it, carrying the page and uPlot (hatch_build.py).
wheel: install-dev assets
	$(PY) -m build --no-isolation --outdir dist .

# A real server on a free 127.0.0.1 port, driven like a crowded workshop (~15 min; see --help).
# ROOM=1: the workshop room instead (30 attendees training, 30 watchers of the live run; ~2 min).
loadtest: install assets
	$(PY) -m bench.loadtest$(if $(ROOM), --room)

# Memory soak (issue 11): a real server trains the largest allowed network and a fast 3x64 net for
# 10 minutes; prints RSS each minute and fails if the second half grew more than its history may.
soak: install-dev assets
	BACKPROP_SOAK_SECONDS=600 $(PY) -m pytest -q -s -p no:cacheprovider tests/training/test_memory_server.py

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
	$(PY) -m pip install -q -e '.[dev,cluster]'
	@touch $@

$(VENDOR): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p static/vendor
	cp node_modules/uplot/dist/uPlot.esm.js node_modules/uplot/dist/uPlot.min.css static/vendor/
	mkdir -p static/vendor/katex
	cp node_modules/katex/dist/katex.mjs node_modules/katex/dist/katex.min.css static/vendor/katex/
	cp -R node_modules/katex/dist/fonts static/vendor/katex/
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
	rm -rf $(VENV) node_modules static/vendor dist .mypy_cache .ruff_cache .pytest_cache
