#!/usr/bin/env bash
# Schemathesis against /api/schema/: every operation, a bounded number of generated
# requests each, on a fresh seeded SQLite database; fails on any 5xx or any answer that
# does not match the schema. Bounded in examples and in time (well under a minute).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
EXAMPLES=${API_FUZZ_EXAMPLES:-25}
WORK=$(mktemp -d)
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export TRACKER_VAR_DIR=$WORK DATABASE_URL=sqlite:///$WORK/fuzz.sqlite3 CELERY_BROKER_URL=filesystem://
export CELERY_TASK_ALWAYS_EAGER=1 API_ANON_RATE=100000/min HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
$PY manage.py migrate --noinput -v 0
$PY manage.py load_seed >/dev/null
$PY manage.py runserver --noreload "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$PORT/api/schema/" -o /dev/null && break; sleep 0.5; done
timeout 120 .venv/bin/schemathesis run "http://127.0.0.1:$PORT/api/schema/" \
  --checks not_a_server_error,response_schema_conformance \
  --max-examples "$EXAMPLES" --seed 14 --request-timeout 10 --workers 1 --no-color
