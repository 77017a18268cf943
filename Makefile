# LeadCRM: `make run` starts the product, `make test` runs the whole suite, `make lint` checks the code.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: run scale-out test test-fast lint bench soak clean

# The runtime only: what `make run` needs.
$(STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "LeadCRM needs Python 3.11 or newer (set PYTHON=python3.11)")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $(STAMP)

# The runtime plus tests, lint and benchmarks.
$(DEV_STAMP): $(STAMP) requirements-dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(DEV_STAMP)

run: $(STAMP)
	$(PY) manage.py run

# Scale-out on one machine: DATABASE_URL + REDIS_URL must point at PostgreSQL + Redis.
WEB_WORKERS ?= 2
CLUSTERS    ?= 2
scale-out: $(STAMP)
	@test -n "$$DATABASE_URL" -a -n "$$REDIS_URL" || { echo "set DATABASE_URL=postgres://... and REDIS_URL=redis://..."; exit 2; }
	$(PY) manage.py run --web-workers $(WEB_WORKERS) --clusters $(CLUSTERS)

# The suite on the embedded default; then the scale-out tests against PostgreSQL + Redis when they are reachable.
test: $(DEV_STAMP)
	$(PY) -m pytest
	@if $(PY) -m tests.scale_env --explain; then \
	  DATABASE_URL="$$($(PY) -m tests.scale_env --database-url)" REDIS_URL="$$($(PY) -m tests.scale_env --redis-url)" \
	    $(PY) -m pytest -m scale; code=$$?; \
	  if [ $$code -ne 0 ] && [ $$code -ne 5 ]; then exit $$code; fi; \
	fi

test-fast: $(DEV_STAMP)
	$(PY) -m pytest -x -q -m "not e2e"

# Style and import order (ruff), types (mypy + django-stubs), the import contracts between apps (import-linter).
lint: $(DEV_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

bench: $(DEV_STAMP)
	$(PY) -m bench

# An hour of the scale-out stack at 20 leads/s with reps accepting, calling and closing (PostgreSQL + Redis).
soak: $(DEV_STAMP)
	$(PY) -m bench.soak

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
