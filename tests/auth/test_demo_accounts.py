"""Demo accounts (the development seed's, with public passwords) work only in development: a
database seeded there and then run in production refuses them, their tokens and their keys."""

import logging
from typing import Any

import pytest
import sqlalchemy as sa
import uvicorn
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session
from typer.testing import CliRunner

from app.auth.service import warn_about_demo_accounts
from app.cli import alembic_config, cli, server_options
from app.core.config import Environment, settings
from app.core.logs import logging_config
from app.core.security import hash_password
from app.models import Role, utcnow
from app.seed import load_seed
from tests.conftest import DATABASE_URL
from tests.factories import assert_problem, make_principal

TOKEN = "/api/v1/auth/token"
ME = "/api/v1/auth/me"
# The migration that added is_demo and marks the accounts an earlier seed made.
DEMO_MIGRATION = "027a1c98d13d"


def sign_in(anon: TestClient, username: str, password: str) -> Any:
    return anon.post(TOKEN, data={"username": username, "password": password})


def assert_demo_refused(response: Any, username: str) -> None:
    body = assert_problem(response, 403)
    assert body["type"] == "/problems/demo-account"
    assert f"demo account {username!r}" in body["detail"]
    assert "CAMKET_ENV=development" in body["detail"]


@pytest.fixture
def seeded_in_development(anon: TestClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The development seed, then a token and an API key of its admin; returns their headers."""
    monkeypatch.setattr(settings, "env", Environment.development)
    load_seed(settings.seed_dir)
    token = sign_in(anon, "admin", "camket-admin").json()["access_token"]
    bearer = {"Authorization": f"Bearer {token}"}
    key = anon.post(
        "/api/v1/api-keys", json={"name": "report sync", "role": "admin"}, headers=bearer
    )
    assert key.status_code == 201, key.text
    return {"token": token, "key": key.json()["key"]}


def test_demo_accounts_are_refused_outside_development(
    anon: TestClient, seeded_in_development: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bearer = {"Authorization": f"Bearer {seeded_in_development['token']}"}
    api_key = {"X-API-Key": seeded_in_development["key"]}
    assert anon.get(ME, headers=bearer).status_code == 200
    assert anon.get(ME, headers=api_key).status_code == 200

    monkeypatch.setattr(settings, "env", Environment.production)
    assert_demo_refused(sign_in(anon, "admin", "camket-admin"), "admin")
    assert_demo_refused(sign_in(anon, "huongson", "camket-huongson"), "huongson")
    assert_demo_refused(anon.get(ME, headers=bearer), "admin")
    assert_demo_refused(anon.get(ME, headers=api_key), "admin")
    # A wrong password is an ordinary failure: nothing said about the account.
    assert_problem(sign_in(anon, "admin", "not the password"), 401)
    # Real accounts are not affected.
    real = make_principal("root", Role.admin, None)
    assert anon.get(ME, headers=real).status_code == 200


def test_users_say_whether_they_are_demo_accounts_and_no_client_makes_one(
    anon: TestClient, seeded_in_development: dict[str, str]
) -> None:
    admin = {"Authorization": f"Bearer {seeded_in_development['token']}"}
    users = anon.get("/api/v1/users", headers=admin).json()["items"]
    assert {u["username"]: u["is_demo"] for u in users} == {"admin": True, "huongson": True}
    created = anon.post(
        "/api/v1/users",
        json={"username": "thoa", "full_name": "Trịnh Thị Kim Thoa", "password": "x" * 12}
        | {"is_demo": True},
        headers=admin,
    )
    # Refused as an unknown field once input is strict, or ignored: never a demo account.
    assert created.status_code == 422 or created.json()["is_demo"] is False, created.text


def test_serve_warns_outside_development_naming_the_demo_accounts(
    seeded_in_development: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served: list[dict[str, Any]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(options))
    with caplog.at_level(logging.WARNING, logger="app.auth.service"):
        assert CliRunner().invoke(cli, ["serve", "--port", "8131"]).exit_code == 0
    # development: demo accounts are what it is for
    assert [r for r in caplog.records if r.name == "app.auth.service"] == []

    monkeypatch.setattr(settings, "env", Environment.production)
    with caplog.at_level(logging.WARNING, logger="app.auth.service"):
        assert CliRunner().invoke(cli, ["serve", "--port", "8131"]).exit_code == 0
    (warning,) = [r for r in caplog.records if r.name == "app.auth.service"]
    assert warning.levelno == logging.WARNING
    assert "CAMKET_ENV=production: demo accounts admin, huongson" in warning.getMessage()
    # Served either way, with the options the live-server tests use.
    options = server_options(host=settings.host, port=8131)
    options |= {"factory": True, "workers": 1, "log_config": logging_config(settings.log_level)}
    assert served == [options] * 2


def test_no_warning_without_demo_accounts(
    anon: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "env", Environment.production)
    make_principal("root", Role.admin, None)
    with Session(engine) as session:
        assert warn_about_demo_accounts(session) == []


def test_the_migration_marks_accounts_an_earlier_seed_made(
    anon: TestClient, engine: Engine
) -> None:
    config = alembic_config(DATABASE_URL)
    command.downgrade(config, f"{DEMO_MIGRATION}-1")
    try:
        with engine.begin() as connection:
            users = sa.Table("app_user", sa.MetaData(), autoload_with=connection)
            now = utcnow()
            passwords = {
                "admin": "camket-admin",  # as the development seed left it: public password
                "huongson": "changed since",  # its password was changed: no longer public
                "thoa": "camket-admin",  # not a demo account, whatever its password
            }
            connection.execute(
                users.insert(),
                [
                    {
                        "username": username,
                        "full_name": username,
                        "password_hash": hash_password(password),
                        "is_active": True,
                        "tokens_valid_from": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for username, password in passwords.items()
                ],
            )
    finally:
        command.upgrade(config, "head")
    with engine.connect() as connection:
        marked = dict(connection.execute(sa.text("SELECT username, is_demo FROM app_user")).all())
    assert marked == {"admin": True, "huongson": False, "thoa": False}
