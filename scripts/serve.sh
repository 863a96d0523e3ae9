#!/bin/sh
# Install into .venv, migrate the database (a SQLite file under var/ by default), load the
# article's data and serve the API on http://127.0.0.1:8000 (docs at /docs).
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --require-hashes -r requirements.lock
.venv/bin/python -m pip install --quiet --no-deps -e .
.venv/bin/camket migrate
.venv/bin/camket seed
exec .venv/bin/camket serve "$@"
