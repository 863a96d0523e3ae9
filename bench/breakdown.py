"""Where the time of a get by id and of a list of 50 goes, in process, for bench/RESULTS.md.

    CAMKET_DATABASE_URL=... .venv/bin/python bench/breakdown.py

Run against a benchmark database after bench/probe.py made its `bench` user. Whole requests go
through the app with an in-process client and the worker-thread hand-offs inlined (so this
leaves them out); each part is then timed on its own. What the parts do not explain is the
framework's handling of the request: dependency solving, parameter checks, route matching.
Prints milliseconds per call as JSON.
"""

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import starlette.concurrency
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.auth.service import authenticate_token
from app.commitments.schemas import CommitmentPublic
from app.commitments.service import CommitmentFilters, list_commitments
from app.core.db import autocommit_engine as engine
from app.core.pagination import Page, PageParams
from app.core.security import create_access_token
from app.main import create_app
from app.models import Commitment, User


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


for module in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency):
    module.run_in_threadpool = _inline  # type: ignore[attr-defined]


def per_call(function: Callable[[], object], calls: int = 1000) -> float:
    for _ in range(50):
        function()
    started = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - started) / calls * 1000


with Session(engine) as session:
    user_id = session.scalar(select(User.id).where(col(User.username) == "bench"))
    if user_id is None:
        raise SystemExit("run bench/probe.py against this database first")
    token, _ = create_access_token(user_id)
    principal = authenticate_token(session, token=token)
    one = session.get(Commitment, 1)
    page = list_commitments(
        session,
        scope=Scope(session, principal),
        params=PageParams(50, 0),
        filters=CommitmentFilters(),
    )
app = create_app()


async def whole(path: str, calls: int) -> float:
    transport = httpx.ASGITransport(app=app)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for _ in range(50):
            await client.get(path, headers=headers)
        started = time.perf_counter()
        for _ in range(calls):
            await client.get(path, headers=headers)
        return (time.perf_counter() - started) / calls * 1000


def caller() -> None:
    with Session(engine) as s:
        authenticate_token(s, token=token)


def load_one() -> None:
    with Session(engine) as s:
        Scope(s, principal).get(Commitment, 1, "Commitment")


def load_page() -> None:
    with Session(engine) as s:
        list_commitments(
            s, scope=Scope(s, principal), params=PageParams(50, 0), filters=CommitmentFilters()
        )


parts = {
    "whole request: /healthz (client, middleware, no dependencies)": asyncio.run(
        whole("/healthz", 1000)
    ),
    "whole request: get by id": asyncio.run(whole("/api/v1/commitments/1", 1000)),
    "whole request: list of 50": asyncio.run(whole("/api/v1/commitments?limit=50", 400)),
    "the caller: token checked, user and grants read": per_call(caller),
    "one commitment read in scope": per_call(load_one),
    "one commitment validated and dumped": per_call(
        lambda: CommitmentPublic.model_validate(one, from_attributes=True).model_dump_json()
    ),
    "a page of 50 read (count and rows)": per_call(load_page, 400),
    "a page of 50 validated and dumped": per_call(
        lambda: Page[CommitmentPublic].model_validate(page).model_dump_json(), 400
    ),
}
print(json.dumps({label: round(ms, 3) for label, ms in parts.items()}, indent=1))
