#!/bin/sh
# Regenerate the lock files from pyproject.toml, every version pinned with its hashes:
#   requirements.lock      the runtime dependencies (what the container image installs)
#   requirements-dev.lock  runtime + dev (what scripts/check.sh, hence CI, installs),
#                          resolved within requirements.lock, so both pin the same versions.
# Run it after changing the dependencies in pyproject.toml, and commit both files.
#   scripts/lock.sh                    keep every pin that still satisfies pyproject.toml
#   scripts/lock.sh --upgrade          move everything to the newest versions allowed
#   scripts/lock.sh --upgrade-package fastapi   move one package
set -eu
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
[ -x .venv/bin/pip-compile ] || .venv/bin/python -m pip install --quiet "pip-tools>=7.6,<8"

compile() {
  # No index or find-links lines: they name this machine's package sources, not the project's.
  .venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
    --no-emit-index-url --no-emit-find-links --no-emit-trusted-host "$@" pyproject.toml
}
compile --output-file requirements.lock "$@"
compile --extra dev --constraint requirements.lock --output-file requirements-dev.lock "$@"
