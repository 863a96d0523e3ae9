"""Run by bench/run.py against the benchmark database: a bench admin and its token, audit
events to list, the URLs to load, and the SQL statements each one runs (counted in process).
Prints JSON."""

import json
import sys
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlmodel import Session, col

from app.core.db import engine
from app.core.security import create_access_token, hash_password
from app.main import create_app
from app.models import AuditEvent, Candidate, Commitment, Grant, Role, Unit, UnitKind, User

if "--country" in sys.argv:
    # The country's root and how much lies below it, for RESULTS.md.
    with Session(engine) as session:
        root = session.scalar(select(Unit.id).where(col(Unit.kind) == UnitKind.central_committee))
        sizes = {
            "root": root,
            "units": session.scalar(select(func.count()).select_from(Unit)),
            "candidates": session.scalar(select(func.count()).select_from(Candidate)),
            "admitted": session.scalar(
                select(func.count()).where(col(Candidate.admitted_on).is_not(None))
            ),
        }
    print(json.dumps(sizes))
    sys.exit()

with Session(engine, expire_on_commit=False) as session:
    user = session.execute(select(User).where(col(User.username) == "bench")).scalar()
    if user is None:
        user = User(username="bench", full_name="Bench", password_hash=hash_password("x" * 12))
        session.add(user)
        session.flush()
        session.add(Grant(user_id=user.id, role=Role.admin, unit_id=None))
    if session.scalar(select(func.count()).select_from(AuditEvent)) < 1000:
        start = datetime(2025, 1, 1, tzinfo=UTC)
        for n in range(5000):
            session.add(
                AuditEvent(
                    at=start + timedelta(minutes=n),
                    user_id=user.id,
                    actor="bench",
                    action="update",
                    entity_type="unit",
                    entity_id=n % 500 + 1,
                    unit_id=n % 500 + 1,
                    before={"name": "a"},
                    after={"name": "b"},
                    request_id=None,
                )
            )
    session.commit()
    province = session.scalar(
        select(Unit.id).where(col(Unit.kind) == UnitKind.province_committee).order_by(Unit.id)
    )
    district = session.scalar(
        select(Unit.id).where(col(Unit.kind) == UnitKind.district_committee).order_by(Unit.id)
    )
    commitment = session.scalar(select(func.min(Commitment.id)))
    token, _ = create_access_token(user.id)  # type: ignore[arg-type]

years = "from_year=2021&to_year=2025"
paths = {
    "get by id": f"/api/v1/commitments/{commitment}",
    "list of 50": "/api/v1/commitments?limit=50",
    "units search": "/api/v1/units?q=huong%20son&limit=50",
    "subtree rollup": f"/api/v1/units/{district}/recruitment?{years}",
    "province report": f"/api/v1/reports/recruitment?root_id={province}&{years}",
    "province report xlsx": f"/api/v1/reports/recruitment?root_id={province}&{years}&format=xlsx",
    "audit list": "/api/v1/audit-events?limit=50",
}

statements: dict[str, int] = {}
counter = {"n": 0}


def count(*_args: object) -> None:
    counter["n"] += 1


client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
event.listen(engine, "before_cursor_execute", count)
for label, path in paths.items():
    client.get(path)  # warm up
    counter["n"] = 0
    response = client.get(path)
    if response.status_code != 200:
        sys.exit(f"{path}: {response.status_code} {response.text[:300]}")
    statements[label] = counter["n"]
print(json.dumps({"token": token, "paths": paths, "statements": statements}))
