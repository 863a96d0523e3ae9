from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlmodel import Session, create_engine

from app.core.config import settings


def _enable_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # WAL makes NORMAL durable across application crashes and much faster than FULL.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def build_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
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
        if read:
            session.close()
        else:  # may roll back on the server
            await run_in_threadpool(session.close)


# scope="function": the session is closed as soon as the endpoint returns, before the response is
# validated and sent, so a connection is never held while waiting for another worker thread.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
