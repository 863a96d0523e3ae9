"""Ready means serving will work: the database answers and its schema is at the latest
migration. `camket serve` refuses to start otherwise, and `/readyz` answers 503."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import uvicorn
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, text
from typer.testing import CliRunner

from app import cli, health
from app.core.db import alembic_config, build_engine, migration_heads

(HEAD,) = migration_heads()
SetRevision = Callable[[str | None], None]


@pytest.fixture
def schema_at(engine: Engine) -> Iterator[SetRevision]:
    """Set the revision the database says it is at; the real one is put back after."""

    def set_revision(revision: str | None) -> None:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM alembic_version"))
            if revision is not None:
                connection.execute(
                    text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": revision}
                )

    yield set_revision
    set_revision(HEAD)


def _previous_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config())
    down = script.get_revision(HEAD).down_revision
    assert isinstance(down, str)
    return down


@pytest.fixture
def missing_sqlite_file(tmp_path: Path) -> Iterator[Engine]:
    """An engine on a SQLite file nobody migrated (connecting creates it empty)."""
    fresh = build_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    yield fresh
    fresh.dispose()


def test_ready_at_the_head(client: TestClient) -> None:
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "schema": "ok"}


def test_not_ready_on_a_database_behind_the_head(
    client: TestClient, schema_at: SetRevision
) -> None:
    schema_at(_previous_revision())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "ok"
    assert "run `camket migrate`" in response.json()["schema"]
    schema_at(None)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert "no schema" in response.json()["schema"]


def test_not_ready_on_an_unmigrated_sqlite_file(
    client: TestClient, missing_sqlite_file: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(health, "engine", missing_sqlite_file)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["schema"] == "the database has no schema yet: run `camket migrate`"


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """`camket serve` runs up to uvicorn, which records its call instead of serving."""
    calls: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_a, **kw: calls.append(kw))
    return calls


def test_serve_starts_on_a_database_at_the_head(
    engine: Engine, served: list[dict[str, object]]
) -> None:
    result = CliRunner().invoke(cli.cli, ["serve", "--port", "8121"])
    assert result.exit_code == 0, result.output
    assert [call["port"] for call in served] == [8121]


def test_serve_refuses_an_unmigrated_database(
    missing_sqlite_file: Engine,
    served: list[dict[str, object]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "engine", missing_sqlite_file)
    result = CliRunner().invoke(cli.cli, ["serve"])
    assert result.exit_code == 1
    assert "refusing to start, the database has no schema yet: run `camket migrate`" in (
        result.output
    )
    assert served == []


def test_serve_refuses_a_database_behind_the_head(
    schema_at: SetRevision, served: list[dict[str, object]]
) -> None:
    previous = _previous_revision()
    schema_at(previous)
    result = CliRunner().invoke(cli.cli, ["serve"])
    assert result.exit_code == 1
    assert f"at revision {previous}, this version needs {HEAD}" in result.output
    assert served == []


def test_serve_refuses_an_unreachable_database(
    tmp_path: Path, served: list[dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    unopenable = create_engine(f"sqlite:///{tmp_path / 'a-file' / 'camket.db'}")
    monkeypatch.setattr(cli, "engine", unopenable)
    result = CliRunner().invoke(cli.cli, ["serve"])
    assert result.exit_code == 1
    assert "the database cannot be reached" in result.output
    assert served == []
