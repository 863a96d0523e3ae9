#!/bin/sh
# Install everything into .venv from the lock file (exact versions, hashes checked), then run the
# whole check suite: ruff, ruff format, mypy, hadolint and pytest on SQLite, and again on
# PostgreSQL when TEST_DATABASE_URL is set.
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --require-hashes -r requirements-dev.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

echo "== ruff";        .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy";        .venv/bin/mypy
echo "== hadolint";    .venv/bin/hadolint Dockerfile
echo "== pytest (SQLite)"
env -u TEST_DATABASE_URL .venv/bin/pytest "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== pytest (PostgreSQL)"
  .venv/bin/pytest "$@"
fi
