"""One structured access-log line per request, with the user and request id, and no secrets."""

import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import PASSWORD, make_principal


def test_one_json_line_per_request_without_credentials(
    anon: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = make_principal("thoa", Role.admin, None)
    token = headers["Authorization"].removeprefix("Bearer ")
    with caplog.at_level(logging.INFO, logger="camket.access"):
        signed_in = anon.post("/api/v1/auth/token", data={"username": "thoa", "password": PASSWORD})
        assert signed_in.status_code == 200
        response = anon.get("/api/v1/units", headers=headers | {"X-Request-ID": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "camket.access"]
    assert len(lines) == 2
    units = lines[1]
    assert units["method"] == "GET"
    assert units["path"] == "/api/v1/units"
    assert units["status"] == 200
    assert units["user"] == "thoa"
    assert units["request_id"] == "req-42"
    assert units["duration_ms"] >= 0
    text = caplog.text
    assert PASSWORD not in text
    assert token not in text
    assert signed_in.json()["access_token"] not in text
