# Two commands set up everything on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck bench clean web chromium ha-deps ha-test dist

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(STAMP)

# The console's npm packages (Leaflet, country outlines); skipped with a note without Node.js.
web:
	@if command -v npm >/dev/null 2>&1; then \
	  [ web/node_modules/.stamp -nt web/package-lock.json ] || \
	  (cd web && npm ci --no-audit --no-fund && touch node_modules/.stamp); \
	else echo "npm not found: install Node.js, then run 'npm ci' in web/ to get the console"; fi

# The sdist and the wheel in dist/; the wheel carries the console (build_console.py runs
# npm ci in web/ when node_modules is not what the lock pins; without npm, no console).
dist: $(DEV_STAMP)
	$(BIN)/python -m build --no-isolation --outdir dist

# Debian's Chromium for the console tests (Playwright's own browser download is not used).
chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update && apt-get install -y chromium chromium-driver)

demo: $(STAMP) web
	$(BIN)/deconflict demo

test: $(DEV_STAMP) web chromium
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n 2 -q --durations=25

# The high-availability proofs (issue 19, tests/e2e/ha, docs/deployment.md): one etcd and
# three PostgreSQL 15 nodes under Patroni (deploy/ha), started once for the run.
ha-deps:
	@command -v etcd >/dev/null 2>&1 && command -v patroni >/dev/null 2>&1 && \
	  [ -x /usr/lib/postgresql/15/bin/postgres ] || \
	  (apt-get update && apt-get install -y --no-install-recommends etcd-server patroni postgresql-15)

ha-test: $(DEV_STAMP) ha-deps
	$(BIN)/ruff check deploy
	DECONFLICT_HA_TESTS=1 $(BIN)/pytest -p no:xdist -q tests/e2e/ha

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/lint-imports

typecheck: $(DEV_STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/strategic_batch.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
