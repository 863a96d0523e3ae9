"""Test set-up: a database of its own (never the dev one), built by `alembic upgrade head`.

SQLite by default; PostgreSQL when TEST_DATABASE_URL is set. The app under test is the real one,
committing for real; every table is emptied after each test.
"""

import os
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

_tmp = tempfile.mkdtemp(prefix="camket-test-")
DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{Path(_tmp) / 'test.db'}"
# The engine is built from settings at import time: point it at the test database first.
os.environ["CAMKET_DATABASE_URL"] = DATABASE_URL
os.environ["CAMKET_ENV"] = "test"
# Tests drive webhook deliveries themselves (app.webhooks.worker.deliver_due), never a thread.
os.environ["CAMKET_WEBHOOK_IN_PROCESS_WORKER"] = "false"
os.environ["CAMKET_SECRET_KEY"] = "test-secret-key-" + "x" * 32

import pytest  # noqa: E402
import uvicorn  # noqa: E402
from alembic import command  # noqa: E402
from fastapi import FastAPI  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402
from sqlmodel import SQLModel  # noqa: E402

from app.cli import alembic_config  # noqa: E402
from app.core import clock as service_clock  # noqa: E402
from app.core.db import engine as app_engine  # noqa: E402
from app.main import create_app  # noqa: E402
from app.models import Role  # noqa: E402
from tests.factories import make_principal  # noqa: E402
from tests.helpers import Clock  # noqa: E402

IS_POSTGRES = DATABASE_URL.startswith("postgresql")


def empty_all_tables(engine: Engine) -> None:
    tables = [t.name for t in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f"DELETE FROM {table}"))


def migrate_to_head() -> None:
    command.upgrade(alembic_config(DATABASE_URL), "head")


@pytest.fixture(scope="session")
def engine() -> Engine:
    migrate_to_head()
    return app_engine


@pytest.fixture(scope="session")
def app(engine: Engine) -> FastAPI:
    return create_app()


@pytest.fixture
def anon(app: FastAPI, engine: Engine) -> Iterator[TestClient]:
    """A client with no credentials; the database is emptied after the test."""
    with TestClient(app) as test_client:
        yield test_client
    empty_all_tables(engine)


@pytest.fixture
def client(app: FastAPI, anon: TestClient) -> Iterator[TestClient]:
    """A client signed in as an admin (the `admin` user)."""
    headers = make_principal("admin", Role.admin, None)
    with TestClient(app, headers=headers) as test_client:
        yield test_client


@pytest.fixture
def login(app: FastAPI, anon: TestClient) -> Callable[..., TestClient]:
    """Make a user holding one grant and return a client signed in as them."""
    clients: list[TestClient] = []

    def as_user(role: str, unit_id: int | None, username: str | None = None) -> TestClient:
        name = username or f"{role}-{unit_id}-{len(clients)}"
        test_client = TestClient(app, headers=make_principal(name, Role(role), unit_id))
        clients.append(test_client)
        return test_client

    return as_user


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The service's today, held still: it starts at the real day, and a test (or a module's
    autouse fixture) moves it with `clock.day = ...`."""
    now = Clock(service_clock.today())
    monkeypatch.setattr(service_clock, "today", lambda: now.day)
    return now


def _free_port() -> int:
    """Any free port, or the first free one of TEST_LIVE_PORTS (`8620-8629`) when a machine
    shared with other test runs sets a range."""
    first, _, last = os.environ.get("TEST_LIVE_PORTS", "0-0").partition("-")
    for candidate in range(int(first), int(last or first) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", candidate))
            except OSError:
                continue
            port: int = probe.getsockname()[1]
            return port
    raise RuntimeError(f"no free port in TEST_LIVE_PORTS={os.environ['TEST_LIVE_PORTS']}")


@pytest.fixture
def live_server(app: FastAPI, engine: Engine) -> Iterator[str]:
    """The app served by uvicorn on a free port, for clients that need real concurrency."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    empty_all_tables(engine)
