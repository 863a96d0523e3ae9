"""Helpers the tests share to read answers as a client would: a body once its status is right, the
ids and total of a list, an entity's audit trail. Records are made by tests/factories.py; the
service's today is moved by the `clock` fixture of tests/conftest.py."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlmodel import Session

from app.models import CandidateDue, CandidateFlow, CandidateStage, Structure
from app.recruitment import dues, flows

AUDIT = "/api/v1/audit-events"


@dataclass
class Clock:
    """The service's today (`app.core.clock.today`) as the `clock` fixture holds it."""

    day: date


def ok(response: Any, status: int = 200) -> Any:
    """The response's JSON body, once its status is the expected one."""
    assert response.status_code == status, response.text
    return response.json()


def ids(response: Any) -> list[int]:
    """The ids on a page of a list, in its order."""
    return [item["id"] for item in ok(response)["items"]]


def total(client: TestClient, path: str, **params: Any) -> int:
    """How many records a list counts."""
    count: int = ok(client.get(path, params={"count": "exact", **params}))["total"]
    return count


def audit(client: TestClient, entity_type: str, entity_id: int | None = None) -> list[Any]:
    """The audit rows of an entity type (or of one entity) that the caller sees, oldest first."""
    params: dict[str, Any] = {"entity_type": entity_type, "limit": 500}
    if entity_id is not None:
        params["entity_id"] = entity_id
    return list(reversed(ok(client.get(AUDIT, params=params))["items"]))


def actions(client: TestClient, entity_type: str, entity_id: int | None = None) -> list[str]:
    """The actions of those audit rows, oldest first."""
    return [row["action"] for row in audit(client, entity_type, entity_id)]


FlowRow = tuple[int, str, str, int, int, int, int]


def flow_tables(session: Session) -> tuple[set[FlowRow], set[FlowRow]]:
    """The sums over the candidates as the write paths kept them (rows summing to nothing left
    out) and as the candidates alone say they should be: the stage flows as (unit, structure,
    stage, year, entered, exited, carried), and the due days as (unit, "due", day, its year,
    candidates, 0, 0)."""
    f, d = CandidateFlow, CandidateDue
    columns = (f.unit_id, f.structure, f.stage, f.year, f.entered, f.exited, f.carried)

    def normal(rows: Any) -> set[FlowRow]:
        return {
            (u, Structure(r).value, CandidateStage(s).value, int(y), int(e), int(x), int(c))
            for u, r, s, y, e, x, c in rows
            if e or x or c
        }

    def normal_dues(rows: Any) -> set[FlowRow]:
        return {(u, "due", day.isoformat(), day.year, int(n), 0, 0) for u, day, n in rows if n}

    due_columns = (d.unit_id, d.due_on, d.candidates)
    return (
        normal(session.execute(select(*columns)))
        | normal_dues(session.execute(select(*due_columns))),
        normal(session.execute(flows.recomputed()))
        | normal_dues(session.execute(dues.recomputed())),
    )
