"""One structured access-log line per request, with the user and request id, and no secrets;
every line JSON (as `camket serve` writes them: tests/platform/test_operations.py)."""

import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from pythonjsonlogger.json import JsonFormatter

from app.core.logs import RequestContextFilter, logging_config
from app.models import Role
from tests.factories import PASSWORD, make_principal

UNITS = "/api/v1/units"


def json_handler(stream: io.StringIO) -> logging.Handler:
    """A handler with the formatter and filter `camket serve` configures."""
    formatter = dict(logging_config("info")["formatters"]["json"])
    del formatter["()"]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter(**formatter))
    handler.addFilter(RequestContextFilter())
    return handler


REQUIRED_KEYS = {"timestamp", "level", "logger", "message", "request_id", "user"}


def test_one_json_line_per_request_without_credentials(anon: TestClient) -> None:
    headers = make_principal("thoa", Role.admin, None)
    token = headers["Authorization"].removeprefix("Bearer ")
    stream = io.StringIO()
    handler = json_handler(stream)
    access, elsewhere = logging.getLogger("camket.access"), logging.getLogger("app.elsewhere")
    access.addHandler(handler)
    elsewhere.addHandler(handler)
    access.setLevel(logging.INFO)
    try:
        signed_in = anon.post("/api/v1/auth/token", data={"username": "thoa", "password": PASSWORD})
        assert signed_in.status_code == 200
        response = anon.get(UNITS, headers=headers | {"X-Request-ID": "req-42"})
        elsewhere.warning("outside a request: %s", "Hương Sơn")
    finally:
        access.removeHandler(handler)
        elsewhere.removeHandler(handler)
        access.setLevel(logging.NOTSET)
    assert response.headers["x-request-id"] == "req-42"
    sign_in, units, outside = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert sign_in["message"] == "POST /api/v1/auth/token 200"
    assert units.keys() >= REQUIRED_KEYS
    assert units["level"] == "INFO"
    assert units["logger"] == "camket.access"
    assert units["message"] == "GET /api/v1/units 200"
    assert (units["method"], units["path"], units["status"]) == ("GET", UNITS, 200)
    assert (units["user"], units["request_id"]) == ("thoa", "req-42")
    assert units["duration_ms"] >= 0
    assert units["timestamp"].endswith("+00:00")
    assert outside["message"] == "outside a request: Hương Sơn"
    assert (outside["level"], outside["user"], outside["request_id"]) == ("WARNING", None, None)
    text = stream.getvalue()
    assert PASSWORD not in text
    assert token not in text
    assert signed_in.json()["access_token"] not in text


def test_migrate_logs_json_too(tmp_path: Path) -> None:
    # The container's log starts with `camket migrate`'s lines (docker-entrypoint.sh).
    env = os.environ | {"CAMKET_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"}
    done = subprocess.run(
        [Path(sys.executable).with_name("camket"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(line["message"].startswith("Running upgrade") for line in lines)
    assert all(line.keys() >= REQUIRED_KEYS for line in lines)
