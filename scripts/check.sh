#!/bin/sh
# Install everything into .venv from the lock file (exact versions, hashes checked) and
# node_modules (for redocly), then run the whole check suite: ruff, ruff format, mypy, hadolint,
# redocly's lint of the OpenAPI document and pytest on SQLite, and again on PostgreSQL when
# TEST_DATABASE_URL is set.
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --require-hashes -r requirements-dev.lock
.venv/bin/python -m pip install --quiet --no-deps -e .

# tests/reports/test_printed.py prints the XLSX exports with LibreOffice and fails without it on
# CI: install it (and Liberation Serif, which stands in for the XLSX's Times New Roman) if absent.
if ! command -v soffice >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -q "Liberation Serif"; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "== apt-get install libreoffice-calc-nogui poppler-utils fonts-liberation2"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libreoffice-calc-nogui poppler-utils fonts-liberation2 >/dev/null
  fi
fi

echo "== ruff";        .venv/bin/ruff check .
echo "== ruff format"; .venv/bin/ruff format --check .
echo "== mypy";        .venv/bin/mypy
echo "== hadolint";    .venv/bin/hadolint Dockerfile
echo "== redocly lint (OpenAPI)"
# package-lock.json pins @redocly/cli; npm ci again only when the lock changed since the install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
openapi_json="$(mktemp --suffix=.json)"
trap 'rm -f "$openapi_json"' EXIT
.venv/bin/camket openapi --output "$openapi_json"
npx --no-install redocly lint "$openapi_json" --format=summary
echo "== pytest (SQLite)"
env -u TEST_DATABASE_URL .venv/bin/pytest "$@"
if [ -n "${TEST_DATABASE_URL:-}" ]; then
  echo "== pytest (PostgreSQL)"
  .venv/bin/pytest "$@"
fi
