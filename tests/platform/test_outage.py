"""The database going away answers 503 problem+json with Retry-After, never 500: requests are
safe to retry once it is back. Readiness says the same."""

import socket
import sqlite3
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.pool import NullPool

from app import idempotency
from app.core.db import sqlite_driver
from app.core.errors import database_unavailable
from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.factories import PASSWORD, assert_problem, make_principal, make_unit

UNITS = "/api/v1/units"
KEYS = "/api/v1/api-keys"


@pytest.fixture
def dead_database(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every connection the app opens from now on fails: the engine's pool (which the
    autocommit engine and every module importing `engine` share) is swapped for one that
    connects to a closed port, or to a SQLite file that cannot be opened."""
    with socket.socket() as closed, tempfile.TemporaryDirectory() as scratch:
        if IS_POSTGRES:
            closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
            url = make_url(DATABASE_URL).set(host="127.0.0.1", port=closed.getsockname()[1])
        else:
            blocker = Path(scratch) / "a-file"
            blocker.write_text("")
            url = make_url(f"sqlite:///{blocker / 'test.db'}")  # a file is no directory
        # The app's SQLite driver: its dialect knows only its own driver's errors.
        dead = create_engine(url) if IS_POSTGRES else create_engine(url, module=sqlite_driver())
        monkeypatch.setattr(engine, "pool", dead.pool)
        yield
        dead.dispose()


def _served(response: object) -> None:
    body = assert_problem(response, 503)
    assert body["type"] == "/problems/database-unavailable"
    assert int(response.headers["retry-after"]) >= 1  # type: ignore[attr-defined]


def test_requests_answer_503_while_the_database_is_unreachable(
    app: FastAPI, client: TestClient, request: pytest.FixtureRequest
) -> None:
    unit = make_unit(client)
    key = client.post(KEYS, json={"name": "k", "role": "viewer", "unit_id": unit["id"]}).json()
    make_principal("thoa", "manager", unit["id"])  # type: ignore[arg-type]
    bearer = dict(client.headers)
    request.getfixturevalue("dead_database")

    with TestClient(app, raise_server_exceptions=False) as raw:
        answers = [
            raw.get(UNITS, headers=bearer),
            raw.get(f"{UNITS}/{unit['id']}", headers=bearer),
            raw.post(UNITS, headers=bearer, json={"code": "X", "name": "X", "kind": "party_cell"}),
            raw.post(
                UNITS,
                headers=bearer | {"Idempotency-Key": "k-1"},
                json={"code": "Y", "name": "Y", "kind": "party_cell"},
            ),
            raw.post("/api/v1/auth/token", data={"username": "thoa", "password": PASSWORD}),
            raw.get(UNITS, headers={"X-API-Key": key["key"]}),
            raw.get(
                "/api/v1/reports/recruitment",
                headers=bearer,
                params={"root_id": unit["id"], "year": 2025},
            ),
        ]
        assert Counter(r.status_code for r in answers) == {503: len(answers)}
        for response in answers:
            _served(response)
        assert raw.get("/readyz").status_code == 503
        assert raw.get("/healthz").status_code == 200


def test_a_locked_sqlite_database_answers_503(
    app: FastAPI, client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    if IS_POSTGRES:
        pytest.skip("SQLite's single writer")
    unit = make_unit(client)
    # Connections that give up on a lock after 50 ms instead of the configured seconds.
    impatient = create_engine(DATABASE_URL, module=sqlite_driver(), connect_args={"timeout": 0.05})
    monkeypatch.setattr(engine, "pool", impatient.pool)
    # The same SQLite library as the app's: two libraries in one process do not see each
    # other's locks (POSIX locks are per process; each SQLite tracks its own).
    driver = sqlite_driver()
    holder = driver.connect(make_url(DATABASE_URL).database or "", isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # the one writer's lock, held
        assert client.get(f"{UNITS}/{unit['id']}").status_code == 200  # WAL: reads go on
        response = client.post(UNITS, json={"code": "L", "name": "L", "kind": "party_cell"})
        _served(response)
    finally:
        holder.rollback()
        holder.close()
        impatient.dispose()


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL backends")
def test_terminated_connections_never_answer_500(app: FastAPI, client: TestClient) -> None:
    """Backends killed between requests (a failover, a restart, an idle timeout): the pool's
    pre-ping replaces them, and what fails anyway answers 503."""
    unit = make_unit(client)
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    statuses: Counter[int] = Counter()
    with TestClient(app, headers=dict(client.headers), raise_server_exceptions=False) as raw:
        for round_ in range(10):
            with admin.connect() as connection:
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            for response in (
                raw.get(UNITS),
                raw.get(f"{UNITS}/{unit['id']}"),
                raw.post(UNITS, json={"code": f"T-{round_}", "name": "T", "kind": "party_cell"}),
                raw.post("/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}),
            ):
                statuses[response.status_code] += 1
                assert response.status_code < 500 or response.status_code == 503, response.text
    admin.dispose()
    print("statuses after terminating backends:", dict(statuses))
    assert statuses[500] == 0


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL backends")
def test_connections_terminated_mid_request_answer_503_not_500(
    client: TestClient, live_server: str
) -> None:
    """Backends killed while requests run on them: those requests fail, as 503."""
    unit = make_unit(client)
    headers = dict(client.headers)
    admin = create_engine(DATABASE_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    statuses: Counter[int] = Counter()
    done = threading.Event()

    def work(worker: int) -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            for n in range(10):
                for method, url, body in (
                    ("GET", UNITS, None),
                    ("POST", UNITS, {"code": f"M-{worker}-{n}", "name": "M", "kind": "party_cell"}),
                    ("GET", f"/api/v1/reports/recruitment?root_id={unit['id']}&year=2025", None),
                ):
                    try:
                        response = http.request(method, url, json=body)
                    except httpx.TransportError:
                        statuses[0] += 1  # the server dropped the connection
                        continue
                    statuses[response.status_code] += 1
                    if response.status_code == 503:
                        assert "retry-after" in response.headers

    def kill() -> None:
        with admin.connect() as connection:
            while not done.wait(0.02):
                connection.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                        " AND state = 'active'"
                    )
                )

    killer = threading.Thread(target=kill)
    killer.start()
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(work, range(4)))
    finally:
        done.set()
        killer.join()
        admin.dispose()
    print("statuses with backends terminated mid-request:", dict(statuses))
    assert statuses[500] == 0
    assert set(statuses) <= {200, 201, 503}


def test_an_answer_that_cannot_be_stored_for_replay_is_still_delivered(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The idempotency middleware writes the answer after sending it: the database failing
    then is logged, and the client has its answer."""

    def database_gone(*_args: object) -> None:
        raise OperationalError(
            "UPDATE idempotency_record", {}, sqlite3.OperationalError("database is locked")
        )

    monkeypatch.setattr(idempotency, "_store", database_gone)
    response = client.post(
        UNITS,
        headers={"Idempotency-Key": "k-2"},
        json={"code": "S", "name": "S", "kind": "party_cell"},
    )
    assert response.status_code == 201
    assert "idempotent answer not stored" in caplog.text


def _wrapped(error: Exception) -> DBAPIError:
    return DBAPIError.instance("SELECT 1", {}, error, type(error))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (psycopg.errors.SerializationFailure("could not serialize access"), True),
        (psycopg.errors.DeadlockDetected("deadlock detected"), True),
        (psycopg.errors.AdminShutdown("terminating connection"), True),
        (psycopg.errors.TooManyConnections("too many clients"), True),
        (psycopg.OperationalError("connection failed: Connection refused"), True),
        (psycopg.InterfaceError("the connection is closed"), True),
        (psycopg.errors.UndefinedTable("relation does not exist"), False),
        (psycopg.errors.QueryCanceled("canceling statement due to statement timeout"), False),
        (psycopg.errors.UniqueViolation("duplicate key"), False),
    ],
)
def test_which_postgresql_errors_are_worth_a_retry(error: Exception, retryable: bool) -> None:
    assert database_unavailable(_wrapped(error)) is retryable


def test_which_sqlite_errors_are_worth_a_retry(tmp_path: Path) -> None:
    def error_of(action: Callable[[], object]) -> sqlite3.Error:
        with pytest.raises(sqlite3.Error) as caught:
            action()
        return caught.value

    path = tmp_path / "x.db"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x INTEGER REFERENCES t (x))")
    holder.execute("BEGIN IMMEDIATE")
    other = sqlite3.connect(path, timeout=0.01)
    locked = error_of(lambda: other.execute("INSERT INTO t VALUES (1)"))
    unopenable = error_of(lambda: sqlite3.connect(tmp_path / "x.db" / "y.db"))
    no_table = error_of(lambda: other.execute("SELECT * FROM nowhere"))
    holder.rollback()
    holder.close()
    other.close()
    assert database_unavailable(_wrapped(locked))
    assert database_unavailable(_wrapped(unopenable))
    assert not database_unavailable(_wrapped(no_table))
