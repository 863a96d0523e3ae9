"""What a period that is not whole years costs: the recruitment report and unit progress over
a year (read from the yearly sums) next to its quarters, a half-year, a month and a range across
two years (counted on the candidates), one request at a time, in process, with the SQL
statements each runs.

    CAMKET_DATABASE_URL=... .venv/bin/python bench/periods.py [--requests 9] [--country]

Run against a database holding a generated province (`camket generate --scale province`) or,
with --country, country. Prints a Markdown table (bench/RESULTS.md, "Periods")."""

import argparse
import statistics
import time

from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlmodel import Session, col

from app.core.db import engine
from app.core.security import create_access_token, hash_password
from app.main import create_app
from app.models import Candidate, Grant, Role, Unit, UnitKind, User

PERIODS = {
    "year 2024": "period=2024",
    "years 2023..2024": "from_year=2023&to_year=2024",
    "quarter 2024Q2": "period=2024Q2",
    "quarter 2024Q4": "period=2024Q4",
    "half-year 2024S1": "period=2024S1",
    "month 2024-07": "period=2024-07",
    "range 2023Q3..2024Q2": "period=2023Q3..2024Q2",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=9)
    parser.add_argument("--country", action="store_true")
    args = parser.parse_args()
    kind = UnitKind.central_committee if args.country else UnitKind.province_committee
    with Session(engine, expire_on_commit=False) as session:
        user = session.execute(select(User).where(col(User.username) == "bench")).scalar()
        if user is None:
            user = User(username="bench", full_name="Bench", password_hash=hash_password("x" * 12))
            session.add(user)
            session.flush()
            session.add(Grant(user_id=user.id, role=Role.admin, unit_id=None))
            session.commit()
        root = session.scalar(select(Unit.id).where(col(Unit.kind) == kind).order_by(Unit.id))
        district = session.scalar(
            select(Unit.id).where(col(Unit.kind) == UnitKind.district_committee).order_by(Unit.id)
        )
        units = session.scalar(select(func.count()).select_from(Unit))
        candidates = session.scalar(select(func.count()).select_from(Candidate))
        token, _ = create_access_token(user.id)  # type: ignore[arg-type]
    client = TestClient(create_app(), headers={"Authorization": f"Bearer {token}"})
    counter = {"n": 0}

    def count(*_args: object) -> None:
        counter["n"] += 1

    event.listen(engine, "before_cursor_execute", count)
    print(f"{engine.dialect.name}: {units:,} units, {candidates:,} candidates\n")
    print(
        "| period | report over the root, depth 1 | statements | unit progress of a district "
        "| statements |"
    )
    print("|---|---:|---:|---:|---:|")
    for label, query in PERIODS.items():
        cells = []
        for path in (
            f"/api/v1/reports/recruitment?root_id={root}&{query}",
            f"/api/v1/units/{district}/recruitment?{query}",
        ):
            client.get(path)  # warm up
            times = []
            for _ in range(args.requests):
                counter["n"] = 0
                start = time.perf_counter()
                response = client.get(path)
                times.append(1000 * (time.perf_counter() - start))
                assert response.status_code == 200, response.text
            cells += [f"{statistics.median(times):.0f} ms", str(counter["n"])]
        print(f"| {label} | {' | '.join(cells)} |")


if __name__ == "__main__":
    main()
