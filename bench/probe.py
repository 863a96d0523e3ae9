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
from app.models import (
    AuditEvent,
    Candidate,
    CandidateFlow,
    Commitment,
    Grant,
    Reorganisation,
    Role,
    Unit,
    UnitClosure,
    UnitKind,
    UnitLineage,
    User,
)


def statements_of(paths: dict[str, str], token: str) -> dict[str, int]:
    """SQL statements each path runs, counted in process (after a warm-up request)."""
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
    event.listen(engine, "before_cursor_execute", count)
    found = {}
    for label, path in paths.items():
        client.get(path)  # warm up
        counter["n"] = 0
        response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path}: {response.status_code} {response.text[:300]}")
        found[label] = counter["n"]
    event.remove(engine, "before_cursor_execute", count)
    return found


if "--country" in sys.argv:
    # The country's root, a province of today's tree made by merging others (the most history
    # to carry), how much lies below, the report URLs and the SQL statements each runs.
    token = sys.argv[sys.argv.index("--country") + 1]
    with Session(engine) as session:
        root = session.scalar(select(Unit.id).where(col(Unit.kind) == UnitKind.central_committee))
        merged = select(UnitLineage.successor_id).where(col(UnitLineage.carries_history))
        province = session.scalar(
            select(Unit.id)
            .where(
                col(Unit.kind) == UnitKind.province_committee,
                col(Unit.valid_to).is_(None),
                col(Unit.id).in_(merged),
            )
            .order_by(Unit.id)
        ) or session.scalar(
            select(Unit.id).where(col(Unit.kind) == UnitKind.province_committee).order_by(Unit.id)
        )
        sizes = {
            "root": root,
            "province": province,
            "units": session.scalar(select(func.count()).select_from(Unit)),
            "units_open": session.scalar(select(func.count()).where(col(Unit.valid_to).is_(None))),
            "closure": session.scalar(select(func.count()).select_from(UnitClosure)),
            "candidates": session.scalar(select(func.count()).select_from(Candidate)),
            "admitted": session.scalar(
                select(func.count()).where(col(Candidate.admitted_on).is_not(None))
            ),
            "flows": session.scalar(select(func.count()).select_from(CandidateFlow)),
            "reorganisations": session.scalar(select(func.count()).select_from(Reorganisation)),
        }
    years = "from_year=2021&to_year=2026"
    paths = {
        f"{where} report, {structure}": f"/api/v1/reports/recruitment?root_id={unit}&{years}"
        f"&structure={structure}"
        for where, unit in (("country", root), ("province", province))
        for structure in ("as_of", "current")
    }
    print(json.dumps(sizes | {"paths": paths, "statements": statements_of(paths, token)}))
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

# The list as it was before `count=none` became its default, side by side with it, and its
# second page by cursor (keyset: as fast as the first, where an offset scans the rows it skips).
paths["list of 50, exact count"] = "/api/v1/commitments?limit=50&count=exact"
first = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"}).get(
    paths["list of 50"]
)
paths["list of 50, page 2 by cursor"] = (
    f"/api/v1/commitments?limit=50&cursor={first.json()['next_cursor']}"
)
paths["changes feed, 50"] = "/api/v1/changes?since=0&limit=50"

statements = statements_of(paths, token)
print(json.dumps({"token": token, "paths": paths, "statements": statements}))
