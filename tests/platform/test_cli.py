"""Getting started: the default key is refused outside development, demo accounts only there,
and `camket create-user` makes the first admin; `--version` and the progress bars."""

import io
import sys
from importlib.metadata import version

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from app.cli import cli, progress
from app.core.config import DEFAULT_SECRET_KEY, Environment, Settings, settings
from app.seed import load_seed


@pytest.mark.parametrize("env", ["production", "test"])
def test_the_default_signing_key_is_refused_outside_development(
    env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CAMKET_SECRET_KEY")
    with pytest.raises(ValidationError, match="CAMKET_SECRET_KEY must be set"):
        Settings(env=env, secret_key=DEFAULT_SECRET_KEY)
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings(env=env, secret_key="short")
    assert Settings(env=env, secret_key="k" * 32).env == env
    assert Settings(env="development").secret_key.get_secret_value() == DEFAULT_SECRET_KEY


def _sign_in(anon: TestClient, username: str, password: str) -> int:
    return anon.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    ).status_code


def test_no_default_account_outside_development(anon: TestClient) -> None:
    load_seed(settings.seed_dir)
    assert _sign_in(anon, "admin", "camket-admin") == 401


def test_development_seed_creates_the_demo_accounts_once(
    anon: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "env", Environment.development)
    assert load_seed(settings.seed_dir)["demo accounts"] == (2, 0)
    assert load_seed(settings.seed_dir)["demo accounts"] == (0, 0)
    token = anon.post(
        "/api/v1/auth/token", data={"username": "huongson", "password": "camket-huongson"}
    ).json()["access_token"]
    me = anon.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}).json()
    (grant,) = me["grants"]
    commune = anon.get(
        f"/api/v1/units/{grant['unit_id']}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert (grant["role"], commune["code"]) == ("manager", "DX-HUONGSON")
    assert _sign_in(anon, "admin", "camket-admin") == 200


def test_create_user_makes_the_first_admin_and_scoped_users(anon: TestClient) -> None:
    runner = CliRunner()
    created = runner.invoke(
        cli, ["create-user", "root", "--full-name", "Quản trị", "--password", "s3cret-enough"]
    )
    assert created.exit_code == 0, created.output
    assert "created user root" in created.output
    assert _sign_in(anon, "root", "s3cret-enough") == 200

    load_seed(settings.seed_dir)
    scoped = runner.invoke(
        cli,
        [
            "create-user",
            "thoa",
            "--full-name",
            "Trịnh Thị Kim Thoa",
            "--password",
            "s3cret-enough",
            "--role",
            "manager",
            "--unit",
            "DX-HUONGSON",
        ],
    )
    assert scoped.exit_code == 0, scoped.output
    unknown_unit = runner.invoke(
        cli,
        [
            "create-user",
            "x-user",
            "--full-name",
            "X",
            "--password",
            "s3cret-enough",
            "--role",
            "viewer",
            "--unit",
            "NOPE",
        ],
    )
    assert unknown_unit.exit_code != 0
    assert "NOPE" in unknown_unit.output
    taken = runner.invoke(
        cli, ["create-user", "root", "--full-name", "Again", "--password", "s3cret-enough"]
    )
    assert taken.exit_code != 0
    assert "taken" in taken.output


# --- operations: version, the password prompt, progress bars ---------------------------------


def test_version_from_the_package_metadata() -> None:
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0
    assert result.output == f"camket {version('camket')}\n"


def test_the_password_is_optional_and_prompted_for(anon: TestClient) -> None:
    runner = CliRunner()
    shown = runner.invoke(cli, ["create-user", "--help"], terminal_width=200)
    (line,) = [line for line in shown.output.splitlines() if "--password" in line]
    assert "*" not in line.split("--password")[0]  # not marked as required
    assert "required" not in line
    created = runner.invoke(
        cli,
        ["create-user", "prompted", "--full-name", "Hỏi mật khẩu"],
        input="s3cret-enough\ns3cret-enough\n",
    )
    assert created.exit_code == 0, created.output
    assert "s3cret-enough" not in created.output  # hidden while typed
    assert _sign_in(anon, "prompted", "s3cret-enough") == 200


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    terminal = _Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress(quiet=False, total=2) as step:
        step("units")
        step("candidates")
    assert "candidates" in terminal.getvalue()

    for quiet, stream in ((True, _Terminal()), (False, io.StringIO())):
        monkeypatch.setattr(sys, "stderr", stream)
        with progress(quiet=quiet, total=2) as step:
            step("units")
        assert stream.getvalue() == ""


def test_generate_quietly_prints_the_counts_only(anon: TestClient) -> None:
    result = CliRunner().invoke(cli, ["generate", "--scale", "commune", "--years", "1", "-q"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("unit: ")
    assert all(line.endswith(" rows") for line in lines)
