"""Every write family under concurrent writers on one line of units (issue 11): no request may
answer 5xx (on PostgreSQL, a lock taken out of order deadlocks and answers 500), a refusal is a
409 or 412 problem, every acknowledged write is there afterwards with its audit event, and the
candidates' flows equal their recomputation.

Against a real server, as in test_concurrency.py, so that the requests really overlap in the
server's worker threads and database connections. On SQLite the writers queue on the database
lock; the same assertions hold.
"""

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.core.db import engine
from app.models import CandidateFlow, CandidateStage, Role
from app.recruitment import flows
from tests.factories import make_principal

WRITERS = 20
NEWCOMERS = 5
CANDIDATES = "/api/v1/recruitment/candidates"

Call = tuple[str, str, dict[str, Any] | None]


@pytest.fixture
def http(live_server: str) -> Iterator[httpx.Client]:
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers, timeout=60) as client:
        yield client


def burst(http: httpx.Client, calls: list[Call], tag: str) -> list[httpx.Response]:
    """All the calls at once, each with a request id of its own (`tag`-index)."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
        async with httpx.AsyncClient(
            base_url=str(http.base_url), headers=http.headers, limits=limits, timeout=60
        ) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.request(
                            method, path, json=body, headers={"X-Request-ID": f"{tag}-{i}"}
                        )
                        for i, (method, path, body) in enumerate(calls)
                    )
                )
            )

    responses = asyncio.run(run())
    for response in responses:
        status = response.status_code
        assert status < 500, response.text
        if status >= 300:
            assert status in {409, 412}, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
    return responses


def acknowledged(responses: list[httpx.Response]) -> list[httpx.Response]:
    return [r for r in responses if r.is_success]


def events(http: httpx.Client, entity_type: str) -> dict[str, list[tuple[int, str]]]:
    """The audit trail of one kind of record: request id → [(entity id, action)]."""
    found: dict[str, list[tuple[int, str]]] = {}
    offset = 0
    while True:
        page = http.get(
            "/api/v1/audit-events",
            params={"entity_type": entity_type, "limit": 500, "offset": offset},
        ).json()
        for event in page["items"]:
            found.setdefault(event["request_id"], []).append((event["entity_id"], event["action"]))
        offset += len(page["items"])
        if offset >= page["total"]:
            return found


def assert_audited(
    http: httpx.Client, entity_type: str, responses: list[httpx.Response], written: list[Any]
) -> None:
    """Each acknowledged response wrote its `written` (entity id, action), audited under its
    request id; each refused one left no event."""
    trail = events(http, entity_type)
    for response, expected in zip(responses, written, strict=True):
        request_id = response.headers["x-request-id"]
        if response.is_success:
            assert expected in trail.get(request_id, []), (request_id, expected, response.text)
        else:
            assert request_id not in trail, response.text


def make_line(http: httpx.Client, cells: int = WRITERS) -> dict[str, int]:
    """A district, a commune below it and `cells` party cells below the commune."""
    ids: dict[str, int] = {}
    for code, kind, parent in [
        ("HU", "district_committee", None),
        ("DX", "commune_committee", "HU"),
        *((f"CB{i}", "party_cell", "DX") for i in range(cells)),
    ]:
        body = {"code": code, "name": code, "kind": kind, "parent_id": ids.get(parent or "")}
        created = http.post("/api/v1/units", json=body)
        assert created.status_code == 201, created.text
        ids[code] = created.json()["id"]
    return ids


def assert_flows_exact() -> None:
    with Session(engine) as session:
        f = CandidateFlow
        kept = {
            (u, CandidateStage(s).value, y, e, x)
            for u, s, y, e, x in session.execute(
                select(f.unit_id, f.stage, f.year, f.entered, f.exited)
            )
            if e or x
        }
        recomputed = {
            (u, CandidateStage(s).value, int(y), int(e), int(x))
            for u, s, y, e, x in session.execute(flows.recomputed())
        }
    assert kept == recomputed


# Each step of the pipeline, in order, with its date and what it must be sent.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("complete_course", {"on": "2024-03-01"}),
    ("apply", {"on": "2024-06-03"}),
    ("verify", {"on": "2024-08-01"}),
    ("admit", {"on": "2024-10-01", "decision_number": "125-QĐ/ĐU"}),
    ("hold_ceremony", {"on": "2024-10-15"}),
    ("recognise", {"on": "2025-11-03"}),
]


@pytest.mark.slow
def test_candidates_created_and_moved_through_every_step_at_once(http: httpx.Client) -> None:
    """Twenty creates into one unit, then twenty writers per step, one candidate each, plus a
    second writer racing the first candidate's step, one more dropping a candidate and five
    creating new ones."""
    ids = make_line(http)
    unit = ids["CB0"]
    calls: list[Call] = [
        ("POST", CANDIDATES, {"unit_id": unit, "full_name": f"Q {i}", "source_since": "2024-01-02"})
        for i in range(WRITERS)
    ]
    created = burst(http, calls, "create")
    assert_audited(
        http,
        "candidate",
        created,
        [(r.json()["id"] if r.is_success else None, "create") for r in created],
    )
    candidates = [r.json()["id"] for r in acknowledged(created)]
    listed = http.get(CANDIDATES, params={"unit_id": unit, "limit": 500}).json()
    assert sorted(c["id"] for c in listed["items"]) == sorted(candidates)
    assert len(candidates) == WRITERS  # nothing to refuse: every create is acknowledged

    fresh: list[int] = []
    dropped = candidates[-1]
    moving = candidates[:-1]
    for action, body in STEPS:
        steps: list[Call] = [
            ("POST", f"{CANDIDATES}/{c}/transitions", {"action": action, **body}) for c in moving
        ]
        steps.append(steps[0])  # the same step twice at once: one of them may be refused
        if action == "verify":
            steps.append(
                (
                    "POST",
                    f"{CANDIDATES}/{dropped}/transitions",
                    {"action": "drop", "on": "2024-08-01", "reason": "Chuyển đi nơi khác"},
                )
            )
        written: list[Any] = [
            (int(path.split("/")[-2]), (body or {})["action"]) for _, path, body in steps
        ]
        steps += calls[:NEWCOMERS]  # creates at the same time, into the same unit
        responses = burst(http, steps, action)
        newcomers = [r.json()["id"] for r in responses[len(written) :]]
        assert_audited(http, "candidate", responses, written + [(c, "create") for c in newcomers])
        fresh += newcomers
        # Every candidate took the step exactly once, whatever the race's outcome.
        assert {r.request.url.path for r in acknowledged(responses)} >= {
            f"{CANDIDATES}/{c}/transitions" for c in moving
        }
    stages = {
        c["id"]: c["stage"] for c in http.get(CANDIDATES, params={"limit": 500}).json()["items"]
    }
    assert stages == {
        **dict.fromkeys(moving, "official"),
        dropped: "dropped",
        **dict.fromkeys(fresh, "source"),
    }
    assert_flows_exact()
