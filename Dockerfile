# Cam Kết API image.
#
#   docker build -t camket .
#   docker run -p 8000:8000 -v camket-data:/data camket              # SQLite in the /data volume
#   docker run -e CAMKET_SEED=1 ... camket                           # also load seed_data/
#   docker run ... camket camket seed                                # run a command instead of serving
#
# Layout: the code lives in /app beside alembic.ini, migrations/ and seed_data/, because
# app/core/config.py takes PROJECT_DIR (where `camket migrate` and `camket seed` look for those)
# from the location of app/ itself. The project is therefore installed *editable* into the
# virtualenv: the venv gets the `camket` script and a path entry pointing at /app, and `app` is
# imported from /app rather than from a copy in site-packages (where PROJECT_DIR would be wrong).

# ---- builder: a virtualenv with the dependencies and the editable project ---------------------
FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Called through PATH: the official image has Python in /usr/local/bin, other bases in /usr/bin.
RUN python -m venv /opt/venv

WORKDIR /app

# Dependencies first, exactly as locked (versions and hashes: scripts/lock.sh), so this layer is
# rebuilt only when the lock file changes, not on every code change, and two builds a week apart
# install the same code.
COPY requirements.lock ./
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r requirements.lock

# The project itself, without dependencies (already there), editable: see the header.
COPY pyproject.toml ./
COPY app ./app
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps -e /app

# ---- runtime ----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    CAMKET_HOST=0.0.0.0 \
    CAMKET_PORT=8000 \
    CAMKET_DATABASE_URL=sqlite:////data/camket.db \
    CAMKET_SEED=0

# A fixed numeric uid/gid (not root; satisfies Kubernetes runAsNonRoot) owning the data volume.
# --no-log-init: a high uid would otherwise make lastlog/faillog huge sparse files in the layer.
RUN groupadd --gid 10001 camket \
    && useradd --uid 10001 --gid 10001 --no-log-init --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin camket \
    && mkdir /data \
    && chown 10001:10001 /data

COPY --from=builder /opt/venv /opt/venv

WORKDIR /app
# Same path as in the builder, which the venv's editable install points at. Owned by root, so
# the service cannot modify its own code; only /data is writable.
COPY alembic.ini pyproject.toml ./
COPY migrations ./migrations
COPY seed_data ./seed_data
COPY app ./app
COPY --chmod=0755 docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh

# Declared after the chown so that a new named volume starts out owned by the service user.
VOLUME ["/data"]
USER 10001:10001
EXPOSE 8000

# No curl in the slim image: ask Python. urlopen raises (exit 1) on errors and non-2xx answers.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('CAMKET_PORT', '8000'), timeout=4)"]

# Migrates (and seeds when CAMKET_SEED=1), then serves; arguments replace `camket serve`.
ENTRYPOINT ["docker-entrypoint.sh"]
