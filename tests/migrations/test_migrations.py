"""Models and migrations agree, and every migration can be undone, on an empty database and on
one holding data in every table, on both databases."""

import tempfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel

from app.core.config import Environment, settings
from app.core.db import alembic_config, build_engine
from app.generate import Scale, generate
from app.models import ImportChunk, Role, utcnow
from app.seed import load_seed
from app.webhooks import deadlines
from app.webhooks import worker as webhook_worker
from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.factories import make_principal, make_unit


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_check_downgrade_upgrade(engine: Engine) -> None:
    config = alembic_config(DATABASE_URL)
    command.upgrade(config, "head")
    command.check(config)
    assert _differences(engine) == []
    command.downgrade(config, "base")
    command.upgrade(config, "head")
    assert _differences(engine) == []


# --- with data ---------------------------------------------------------------------------------


@pytest.fixture
def scratch_url() -> Iterator[str]:
    """A database of its own: `<test database>_mig` on PostgreSQL, a temporary file on SQLite."""
    if not IS_POSTGRES:
        with tempfile.TemporaryDirectory(prefix="camket-mig-") as folder:
            yield f"sqlite:///{Path(folder) / 'scratch.db'}"
        return
    url = make_url(DATABASE_URL)
    name = f"{url.database}_mig"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    drop()  # left over by an interrupted run
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        drop()
        admin.dispose()


def _populate(app: FastAPI, engine: Engine) -> None:
    """Rows in every table, written as the service writes them: the article's seed (with the
    demo accounts of development), a generated commune, and API calls for the rest."""
    load_seed(settings.seed_dir)
    generate(engine, scale=Scale.commune, seed=1, first_year=2024, years=2)
    headers = make_principal("migration-admin", Role.admin, None)
    with TestClient(app, headers=headers) as client:

        def ok(response: Any, status: int = 201) -> Any:
            assert response.status_code == status, response.text
            return response.json()

        # Before the changes it is to be told about.
        ok(
            client.post(
                "/api/v1/webhooks",
                json={
                    "url": "https://hooks.example.org/camket",
                    "events": ["candidate.step_taken", "evaluation.changed"],
                },
            ),
            201,
        )
        commune = make_unit(client)
        person = ok(client.post("/api/v1/people", json={"full_name": "Ngô Quốc Thể"}))
        ok(
            client.post(
                "/api/v1/areas-of-charge",
                json={
                    "person_id": person["id"],
                    "unit_id": commune["id"],
                    "start_on": "2024-01-01",
                },
            )
        )
        cell = make_unit(client, kind="party_cell", parent_id=commune["id"])
        candidate = ok(
            client.post(
                "/api/v1/recruitment/candidates",
                headers={"Idempotency-Key": "migration-round-trip"},
                json={
                    "unit_id": cell["id"],
                    "full_name": "Lê Thị Nguồn",
                    "source_since": "2024-01-10",
                },
            )
        )
        ok(
            client.post(
                f"/api/v1/recruitment/candidates/{candidate['id']}/transitions",
                json={"action": "complete_course", "on": "2024-03-01"},
            ),
            200,
        )
        ok(
            client.post(
                "/api/v1/evaluations", json={"unit_id": cell["id"], "year": 2024, "grade": "good"}
            )
        )
        ok(
            client.post(
                "/api/v1/evaluations/caps",
                json={"unit_id": commune["id"], "year": 2024, "max_percent": 50},
            )
        )
        criteria = [
            {"code": "tasks", "name": "Thực hiện nhiệm vụ", "max_points": 60},
            {
                "code": "recruitment",
                "name": "Phát triển đảng viên",
                "max_points": 40,
                "measure": "recruitment_achievement",
            },
        ]
        ok(
            client.post(
                "/api/v1/evaluations/criteria-sets",
                json={"year": 2026, "name": "Bộ tiêu chí 2026", "criteria": criteria},
            )
        )
        ok(
            client.post(
                "/api/v1/evaluations",
                json={
                    "unit_id": cell["id"],
                    "year": 2026,
                    "scores": [
                        {"criterion": "tasks", "points": 55, "evidence": "Biên bản"},
                        {"criterion": "recruitment", "points": 40},
                    ],
                    "tasks": {"total": 4, "on_time": 4, "exceeded": 2, "behind": 0},
                },
            )
        )
        ok(
            client.post(
                "/api/v1/disciplines",
                json={
                    "unit_id": cell["id"],
                    "person_id": person["id"],
                    "form": "reprimand",
                    "decision_number": "01-QĐ/ĐU",
                    "decided_on": "2024-05-02",
                    "issued_by_id": commune["id"],
                },
            )
        )
        ok(
            client.post(
                "/api/v1/api-keys", json={"name": "k", "role": "viewer", "unit_id": cell["id"]}
            )
        )
        approval = ok(
            client.post("/api/v1/approvals", json={"unit_id": cell["id"], "period": "2024"})
        )
        ok(
            client.post(
                f"/api/v1/approvals/{approval['id']}/transitions", json={"action": "approve"}
            ),
            200,
        )
        ok(
            client.post(
                "/api/v1/approvals/exceptions",
                json={
                    "unit_id": cell["id"],
                    "period": "2024",
                    "until": "2030-12-31",
                    "reason": "Bổ sung số liệu",
                },
            )
        )
        refused = client.post(
            "/api/v1/auth/token", data={"username": "migration-admin", "password": "wrong!"}
        )
        assert refused.status_code == 401
        row = {"unit_id": cell["id"], "period_start": "2023-01-01", "period_end": "2023-12-31"}
        imported = ok(
            client.post(
                "/api/v1/imports", json={"kind": "outcomes", "rows": [row | {"admitted": 1}]}
            )
        )
    # A queued job's file (a job run deletes its chunks).
    with engine.begin() as connection:
        connection.execute(
            ImportChunk.__table__.insert().values(job_id=imported["id"], seq=0, data=b"x")  # type: ignore[attr-defined]
        )
    # A webhook worker's pass that sends nothing: the day's deadlines, the events fanned out.
    with Session(engine) as session:
        deadlines.check(session, date(2026, 1, 2))
    webhook_worker.fan_out(utcnow())


Rows = dict[str, list[dict[str, Any]]]


def _snapshot(engine: Engine) -> Rows:
    """Every row of every table the models know, in primary key order."""
    with engine.connect() as connection:
        return {
            table.name: [
                dict(row._mapping)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
        }


def _restricted(rows: Rows, columns: dict[str, set[str]]) -> Rows:
    """Only the tables and columns named."""
    return {
        name: [{k: v for k, v in row.items() if k in columns[name]} for row in table_rows]
        for name, table_rows in rows.items()
        if name in columns
    }


def _current(engine: Engine) -> tuple[str, ...]:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_heads()


def test_migrations_round_trip_with_data(
    app: FastAPI,
    engine: Engine,
    scratch_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """upgrade → populate → (downgrade -1 → upgrade) keeps every row and value the last
    migration did not itself add → downgrade one step at a time to base → upgrade → the models
    agree. Whatever migrations exist, in order."""
    config = alembic_config(scratch_url)
    command.upgrade(config, "head")
    scratch = build_engine(scratch_url)
    # The service and its seed write through the app's engine: point its pool at the scratch.
    # Its dialect learns the database's defaults on its first connection, which the borrowed
    # pool would not make through it: connect once first, whatever test ran before.
    with engine.connect():
        pass
    monkeypatch.setattr(engine, "pool", scratch.pool)
    monkeypatch.setattr(settings, "env", Environment.development)
    _populate(app, engine)
    monkeypatch.undo()
    before = _snapshot(scratch)
    assert [name for name, rows in before.items() if not rows] == [], (
        "tables without rows: add them to _populate"
    )

    # What the last migration did not add survives its downgrade and comes back unchanged.
    command.downgrade(config, "-1")
    surviving = {
        name: {column["name"] for column in inspect(scratch).get_columns(name)}
        for name in inspect(scratch).get_table_names()
        if name in before
    }
    command.upgrade(config, "head")
    after = _snapshot(scratch)
    assert _restricted(after, surviving) == _restricted(before, surviving)
    # Sums over the candidates that a migration fills read as the write paths kept them.
    for name in ("candidate_flow", "candidate_due"):
        assert after[name] == before[name], name
    # Evaluations made before periods existed are of their year (filled by a migration).
    assert after["evaluation"]
    for row in after["evaluation"]:
        year = row["year"]
        assert (row["period_kind"], row["period"]) == ("year", str(year)), row
        assert (row["period_start"], row["period_end"]) == (date(year, 1, 1), date(year, 12, 31))

    steps = len(list(ScriptDirectory.from_config(config).walk_revisions()))
    for _ in range(steps):
        command.downgrade(config, "-1")
    assert _current(scratch) == ()
    command.upgrade(config, "head")
    command.check(config)
    assert _differences(scratch) == []
    scratch.dispose()
