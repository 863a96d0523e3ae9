import sqlite3
from collections.abc import AsyncIterator
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app.core.config import PROJECT_DIR, settings


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL makes NORMAL durable across application crashes and much faster than FULL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def sqlite_driver() -> ModuleType:
    """The DB-API module for SQLite: the bundled, current SQLite of `pysqlite3-binary` where it
    is installed (Linux x86_64), else the one Python links against.

    Debian 12's SQLite 3.40.1, which Python's own module uses there and in the container's base
    image, answers `unit_id IN (...) AND due_on < ?` on an index of both columns wrongly once the
    planner's statistics call the table small (its OP_SeekScan plan): a unit with no rows before
    the day counted its first row after it, and the reports showed overdue alerts that were not.
    Statistics go stale that way whenever a database is analysed small and then grows. SQLite
    3.51.1 answers right under the same plan (tests/reports: stale statistics)."""
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-untyped]  # noqa: PLC0415
    except ImportError:
        return sqlite3
    return dbapi2 if dbapi2.sqlite_version_info > sqlite3.sqlite_version_info else sqlite3


def build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            module=sqlite_driver(),
            connect_args={"check_same_thread": False},
            pool_size=settings.db_pool_size,
            max_overflow=0,
            pool_timeout=settings.db_pool_timeout,
        )
        event.listen(engine, "connect", _enable_sqlite_pragmas)
        return engine
    return create_engine(
        url,
        # JIT compilation costs PostgreSQL ~200 ms on the report queries it deems expensive and
        # never pays back on queries of this size (measured on the province benchmark data).
        connect_args={"options": "-c jit=off"},
        pool_size=settings.db_pool_size,
        max_overflow=0,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
    )


engine = build_engine(settings.database_url)
# Reads need no transaction of their own: on PostgreSQL each statement of READ COMMITTED sees
# the latest commits either way, and BEGIN and ROLLBACK are two round trips per request saved
# (DESIGN.md). SQLite's driver already opens transactions only for writes.
autocommit_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's session. Opening it does no I/O and neither does closing a read's (nothing
    to roll back), so both happen in the event loop: two hand-offs to a worker thread fewer."""
    read = request.method in READ_METHODS
    # expire_on_commit=False: responses are validated after the service committed, and must not
    # reload (or fail on) attributes then.
    session = Session(autocommit_engine if read else engine, expire_on_commit=False)
    try:
        yield session
    finally:
        if read and not session.info.get(_SNAPSHOT):
            session.close()
        else:  # may roll back on the server
            await run_in_threadpool(session.close)


# scope="function": the session is closed as soon as the endpoint returns, before the response is
# validated and sent, so a connection is never held while waiting for another worker thread.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]

_SNAPSHOT = "snapshot"


def get_snapshot_session(session: SessionDep) -> Session:
    """The request's session, reading one snapshot of the database from its first statement
    to the last. A report runs several statements (its rows, its totals, its list); read in
    autocommit each would see the commits made meanwhile, and rows and totals could disagree.

    PostgreSQL: one `REPEATABLE READ, READ ONLY` transaction. SQLite: one read transaction,
    which in WAL mode sees the database as of its first read. Either way writers are not held
    up. For GET endpoints only; what dependencies read before this one is released first."""
    session.commit()  # nothing to commit: only ends the autocommit reads of earlier dependencies
    if session.get_bind().dialect.name == "postgresql":
        session.connection(
            execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
    else:
        # The autocommit engine leaves the driver outside transactions: open one by hand; the
        # rollback when the session closes ends it.
        session.connection().exec_driver_sql("BEGIN")
    session.info[_SNAPSHOT] = True
    return session


# For report endpoints: every statement of the request, its dependencies' included, reads the
# same snapshot. Plain lists and single records stay on SessionDep (autocommit: cheaper).
SnapshotSessionDep = Annotated[Session, Depends(get_snapshot_session)]


def alembic_config(database_url: str | None = None) -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.attributes["database_url"] = database_url or settings.database_url
    return config


@cache
def migration_heads() -> frozenset[str]:
    """The revisions `camket migrate` leads to; read from the scripts once per process."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def schema_problem(connection: Connection) -> str | None:
    """Why this code cannot serve the database's schema, or None when it is at the head. An
    unmigrated database answers every request with 500s ("no such table"), one behind or ahead
    with subtler errors: neither is ready."""
    current = frozenset(MigrationContext.configure(connection).get_current_heads())
    heads = migration_heads()
    if current == heads:
        return None
    if not current:
        return "the database has no schema yet: run `camket migrate`"
    return (
        f"the database schema is at revision {', '.join(sorted(current))}, this version needs "
        f"{', '.join(sorted(heads))}: run `camket migrate`"
    )
