# Linkwell: `make demo` sets up everything and serves the demo; `make test` runs the whole suite.

PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
PY := $(VENV)/bin/python
PORT ?= 8000
UV_VERSION := 0.13.8
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/linkwell
PYTEST_WORKERS ?= auto

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

.PHONY: demo test test-postgres install lint serve bench clean

## install: Python packages from uv.lock, front-end packages from package-lock.json, the CSS
install: $(VENV)/.synced linkwell/static/build/linkwell.css

$(UV):
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --quiet
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

linkwell/static/build/linkwell.css: node_modules/.package-lock.json $(wildcard assets/scss/*.scss)
	npm run --silent build:css

## demo: migrate a SQLite database under var/, load the demo data, serve on 127.0.0.1:$(PORT)
## (with a background-task worker beside the web server)
demo: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "Serving Linkwell on http://127.0.0.1:$(PORT)/ with a background worker (Ctrl+C stops both)"
	$(PY) manage.py db_worker --interval 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

## lint: ruff and the migrations check
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run

## test: lint, then the whole suite (browser tests included) on SQLite
test: lint
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS)

## test-postgres: the whole suite on PostgreSQL at DATABASE_URL (default $(POSTGRES_URL))
test-postgres: install
	DATABASE_URL=$${DATABASE_URL:-$(POSTGRES_URL)} $(VENV)/bin/pytest -n $(PYTEST_WORKERS)

## bench: the dashboard benchmark at a small size (see bench/README.md for the rest)
bench: install
	$(PY) -m bench dashboard --size 1000

clean:
	rm -rf $(VENV) node_modules linkwell/static/build staticfiles .pytest_cache .ruff_cache
