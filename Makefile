# service_ops — 售后服务运营平台
#
#   make run    set up (venv, Python and npm packages, database, demo data) and start the
#               embedded shape on http://127.0.0.1:8000/ (SQLite, tasks and sweeper in-process)
#   make test   install the test tools, lint, check formatting and run the whole test suite
#
# Everything is installed from the project's own files: pyproject.toml into .venv, package.json
# into node_modules. Nothing needs to be set in the environment.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
ADDR ?= 127.0.0.1:8000
PYTEST_ARGS ?=
# pytest-xdist: one worker per core (each with its own test database and Redis db); work-stealing
# so that a long test late in the run does not leave the other cores idle. 0 runs in one process.
PYTEST_WORKERS ?= auto
BENCH_ARGS ?=
# The benchmark makes (and drops) a throwaway database beside this one; DATABASE_URL wins.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres

# The stamps make a second `make run` start in seconds: reinstall only when the inputs changed.
RUN_STAMP := $(VENV)/.installed-run
TEST_STAMP := $(VENV)/.installed-test
NPM_STAMP := node_modules/.installed
ASSETS := $(if $(wildcard package.json),$(NPM_STAMP),)

.PHONY: help run test lint bench bench-web fault-drill check-deploy restore-check clean distclean

help:
	@echo "make run     start the embedded shape with demo data on http://$(ADDR)/"
	@echo "make test    lint, format check and the whole test suite"
	@echo "make bench   deadline sweep benchmark on PostgreSQL (manage.py bench_deadlines)"
	@echo "make bench-web   volume benchmark of every list, queue and partner API list, then a"
	@echo "             mixed load through gunicorn (manage.py bench_web; BENCH_ARGS=\"--orders 50000\")"
	@echo "make restore-check   back up a demo database with uploads, restore it into another"
	@echo "             database and compare (scripts/backup.sh, scripts/restore.sh; PostgreSQL)"
	@echo "make fault-drill   load and faults on throwaway PostgreSQL, Redis, gunicorn and Celery:"
	@echo "             Redis stopped, a worker killed mid-sweep, PostgreSQL restarted; then checks"
	@echo "             nothing was lost or done twice (manage.py fault_drill; DRILL_ARGS=...)"
	@echo "make clean   remove caches and collected static files (keeps the database)"
	@echo "make distclean   also remove .venv, node_modules and var/ (the SQLite database)"

$(PY):
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found (python3.11 or python3)"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' || { \
		echo "Python 3.11 is required; $(PYTHON) is $$($(PYTHON) --version 2>&1)." \
		     "Set PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(RUN_STAMP): pyproject.toml | $(PY)
	@echo "Installing Python packages (pyproject.toml) into $(VENV) ..."
	@$(PIP) install --quiet --quiet -e .
	@touch $@

$(TEST_STAMP): pyproject.toml | $(PY)
	@echo "Installing Python packages with the test tools (pyproject.toml [test]) into $(VENV) ..."
	@$(PIP) install --quiet --quiet -e '.[test]'
	@touch $@ $(RUN_STAMP)

$(NPM_STAMP): package.json $(wildcard package-lock.json)
	@command -v npm >/dev/null || { echo "npm not found: install Node.js >= 18 with npm"; exit 1; }
	@echo "Installing static assets and the PDF font (package.json) into node_modules ..."
	@if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; \
	 else npm install --no-audit --no-fund --loglevel=error; fi
	@touch $@

run: $(RUN_STAMP) $(ASSETS)
	@mkdir -p var
	@$(PY) manage.py migrate --noinput -v 0
	@$(PY) manage.py load_demo --if-missing
	@echo "Starting on http://$(ADDR)/  (log in at http://$(ADDR)/login/; Ctrl-C stops)"
	@$(PY) manage.py run $(ADDR)

lint: $(TEST_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# pytest exits 5 when it collected no test: that fails here like any other failure.
test: $(TEST_STAMP) $(ASSETS) lint
	@mkdir -p var
	$(VENV)/bin/pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

bench: $(RUN_STAMP)
	@mkdir -p var
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) manage.py bench_deadlines $(BENCH_ARGS)

# A year of a large department (1M repair orders) on a throwaway database, every list timed, then
# a mixed load through gunicorn (wrk when installed). BENCH_ARGS="--orders 50000" for a quick run.
bench-web: $(RUN_STAMP) $(ASSETS)
	@mkdir -p var
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(PY) manage.py bench_web $(BENCH_ARGS)

# Load and faults on services of its own (a PostgreSQL cluster on port 5544, Redis on 6399, both
# throwaway; the machine's own are never touched). DATABASE_URL only selects the PostgreSQL engine
# here. About 6 minutes; run on demand, not part of `make test`.
DRILL_ARGS ?=
fault-drill: $(RUN_STAMP) $(ASSETS)
	@mkdir -p var
	DATABASE_URL=postgres://postgres@127.0.0.1:5544/service_ops_drill $(PY) manage.py fault_drill $(DRILL_ARGS)

# The production settings check: what docker-compose.yml runs with.
check-deploy: $(RUN_STAMP) $(ASSETS)
	DEBUG=0 SECRET_KEY="$$($(PY) -c 'import secrets; print(secrets.token_urlsafe(50))')" \
	ALLOWED_HOSTS=service-ops.example.com \
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/service_ops} \
	$(PY) manage.py check --deploy --fail-level WARNING

clean:
	rm -rf var/static build *.egg-info .pytest_cache .ruff_cache .benchmarks .hypothesis
	find . -path ./.venv -prune -o -path ./node_modules -prune -o \
		-name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) node_modules var

# The backup and restore of README.md "Backup and restore", tried end to end on PostgreSQL.
restore-check: $(RUN_STAMP)
	PY=$(PY) bash scripts/restore_check.sh
