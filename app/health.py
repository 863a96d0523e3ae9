from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import engine, migration_heads, schema_problem

router = APIRouter(tags=["health"])
migration_heads()  # read the migration scripts at start-up, not on the first probe


@router.get("/healthz", summary="Liveness: the process answers")
def healthz() -> dict[str, str]:
    """Answers 200 while the process runs; it does not touch the database."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Readiness: the database answers and its schema is current",
    responses={503: {"description": "The database is unreachable or not migrated to the head."}},
)
def readyz() -> Any:
    """Answers 200 when the database answers and its schema is at the latest migration this
    version carries, 503 otherwise (`schema` then says why: run `camket migrate`)."""
    try:
        with engine.connect() as connection:
            problem = schema_problem(connection)
    except SQLAlchemyError:
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    if problem is not None:
        return JSONResponse(
            {"status": "unavailable", "database": "ok", "schema": problem}, status_code=503
        )
    return {"status": "ok", "database": "ok", "schema": "ok"}
