#!/bin/sh
# Container entrypoint: bring the database schema (CAMKET_DATABASE_URL) up to date, load the seed
# data when CAMKET_SEED=1 (idempotent), then serve the API, or run the given command instead
# (e.g. `docker run IMAGE camket seed`). exec makes the server PID 1, so it receives SIGTERM.
set -eu

camket migrate

if [ "${CAMKET_SEED:-0}" = "1" ]; then
    camket seed
fi

if [ "$#" -gt 0 ]; then
    exec "$@"
fi

exec camket serve --host 0.0.0.0 --port "${CAMKET_PORT:-8000}"
