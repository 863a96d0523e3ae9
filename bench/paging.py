"""Lists with and without their exact count, by offset and by cursor, side by side in process.

    CAMKET_DATABASE_URL=... .venv/bin/python bench/paging.py [--rounds 7] [--calls 40]

Run against a benchmark database after bench/probe.py made its `bench` user (bench/run.py
leaves both). Whole requests go through the app with an in-process client and the worker-thread
hand-offs inlined, as in bench/breakdown.py, so that a machine loaded by other work weighs on
every path alike: the paths are interleaved, round after round, and each one's median of the
rounds is printed (ms per request) with its ratio to the list as it was (exact count, offset).
"""

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import starlette.concurrency
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core.db import autocommit_engine as engine
from app.core.security import create_access_token
from app.main import create_app
from app.models import Commitment, User


async def _inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


for module in (fastapi.routing, fastapi.dependencies.utils, starlette.concurrency):
    module.run_in_threadpool = _inline  # type: ignore[attr-defined]

LIST = "/api/v1/commitments?limit=50"


async def main(rounds: int, calls: int) -> None:
    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(col(User.username) == "bench"))
        if user_id is None:
            raise SystemExit("run bench/probe.py against this database first")
        first = session.scalar(select(func.min(Commitment.id)))
        rows = session.scalar(select(func.count()).select_from(Commitment)) or 0
    token, _ = create_access_token(user_id)
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t", headers=headers) as c:
        deep = rows * 4 // 5  # a page four fifths of the way down the list
        page_2 = (await c.get(LIST)).json()["next_cursor"]
        before_deep = (await c.get(f"{LIST}&offset={deep - 50}")).json()["next_cursor"]
        paths = {
            "list of 50, exact count (as it was)": f"{LIST}&count=exact",
            "list of 50 (count=none, the default now)": LIST,
            "page 2 by cursor": f"{LIST}&cursor={page_2}",
            f"page at row {deep:,} by offset": f"{LIST}&offset={deep}",
            f"page at row {deep:,} by cursor": f"{LIST}&cursor={before_deep}",
            "get by id": f"/api/v1/commitments/{first}",
            "changes feed, 50": "/api/v1/changes?since=0&limit=50",
        }
        samples: dict[str, list[float]] = {label: [] for label in paths}
        for path in paths.values():  # warm up
            assert (await c.get(path)).status_code == 200, path
        for _ in range(rounds):
            for label, path in paths.items():
                started = time.perf_counter()
                for _ in range(calls):
                    await c.get(path)
                samples[label].append((time.perf_counter() - started) / calls * 1000)
    base = statistics.median(samples["list of 50, exact count (as it was)"])
    print(
        json.dumps(
            {
                "rows": rows,
                "ms": {
                    label: [round(statistics.median(v), 3), round(statistics.median(v) / base, 2)]
                    for label, v in samples.items()
                },
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.calls))
