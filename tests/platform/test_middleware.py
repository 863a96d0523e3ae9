"""Request ids, the request body limit, and ETags with If-Match."""

import re
from collections.abc import Callable
from typing import Any

import anyio
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.core.config import settings
from app.core.middleware import InFlightLimitMiddleware
from tests.factories import assert_problem, make_directive, make_person, make_unit

UNITS = "/api/v1/units"
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


# --- request ids -----------------------------------------------------------------------------


@pytest.mark.parametrize("request_id", ["abc-123", "req.2025-07-01T10:00:00Z_42", "x" * 128])
def test_a_valid_request_id_is_echoed(client: TestClient, request_id: str) -> None:
    response = client.get(UNITS, headers={"X-Request-ID": request_id})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == request_id


@pytest.mark.parametrize("request_id", [None, "", "has space", "x" * 129, "semi;colon", "a/b?c"])
def test_a_missing_or_invalid_request_id_is_replaced(
    client: TestClient, request_id: str | None
) -> None:
    headers = {"X-Request-ID": request_id} if request_id is not None else {}
    first = client.get(UNITS, headers=headers).headers["x-request-id"]
    second = client.get(UNITS, headers=headers).headers["x-request-id"]
    assert GENERATED_ID.match(first)
    assert GENERATED_ID.match(second)
    assert first != second


def test_error_answers_carry_the_request_id_too(client: TestClient, anon: TestClient) -> None:
    headers = {"X-Request-ID": "trace-me"}
    for response in (
        anon.get(UNITS, headers=headers),  # 401
        client.get(f"{UNITS}/999999", headers=headers),  # 404
        client.post(UNITS, json={}, headers=headers),  # 422
        client.get("/no-such-page", headers=headers),  # 404 outside the API
    ):
        assert response.status_code >= 400
        assert response.headers["x-request-id"] == "trace-me"


# --- body size -------------------------------------------------------------------------------


def _too_big() -> bytes:
    return b'{"name": "' + b"x" * settings.max_body_bytes + b'"}'


def test_a_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post(
        UNITS,
        content=_too_big(),
        headers={"Content-Type": "application/json", "X-Request-ID": "big-1"},
    )
    body = assert_problem(response, 413)
    assert str(settings.max_body_bytes) in body["detail"]
    assert response.headers["x-request-id"] == "big-1"
    assert client.get(UNITS).json()["total"] == 0


def test_a_streamed_body_over_the_limit_is_413(client: TestClient) -> None:
    # No Content-Length: the limit is enforced while the body is read.
    response = client.post(
        UNITS, content=iter([_too_big()]), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in response.request.headers
    assert_problem(response, 413)
    assert client.get(UNITS).json()["total"] == 0


def test_a_streamed_body_over_the_limit_with_an_idempotency_key_is_413(
    app: FastAPI, client: TestClient
) -> None:
    # The idempotency middleware reads the whole body before the endpoint does.
    lenient = TestClient(app, headers=dict(client.headers), raise_server_exceptions=False)
    response = lenient.post(
        UNITS,
        content=iter([_too_big()]),
        headers={"Content-Type": "application/json", "Idempotency-Key": "big-and-streamed"},
    )
    assert_problem(response, 413)
    assert client.get(UNITS).json()["total"] == 0


def test_a_body_at_the_limit_is_read(client: TestClient) -> None:
    body = b" " * (settings.max_body_bytes - 2) + b"{}"
    assert len(body) == settings.max_body_bytes
    response = client.post(UNITS, content=body, headers={"Content-Type": "application/json"})
    assert_problem(response, 422)  # parsed: the fields are missing, not the size refused


# --- ETags -----------------------------------------------------------------------------------


def _unit(client: TestClient) -> tuple[str, dict[str, Any]]:
    return f"{UNITS}/{make_unit(client)['id']}", {"name": "Tên mới"}


def _directive(client: TestClient) -> tuple[str, dict[str, Any]]:
    return f"/api/v1/directives/{make_directive(client)['id']}", {"title": "Tiêu đề mới"}


def _person(client: TestClient) -> tuple[str, dict[str, Any]]:
    return f"/api/v1/people/{make_person(client)['id']}", {"full_name": "Tên mới"}


RECORDS: dict[str, Callable[[TestClient], tuple[str, dict[str, Any]]]] = {
    "unit": _unit,
    "directive": _directive,
    "person": _person,
}


@pytest.mark.parametrize("kind", RECORDS)
def test_if_match_guards_updates(client: TestClient, kind: str) -> None:
    path, change = RECORDS[kind](client)
    read = client.get(path)
    assert read.headers["etag"] == '"1"'
    original = read.json()

    for stale in ('"2"', 'W/"1"', '"01"', "1"):
        assert_problem(client.patch(path, json=change, headers={"If-Match": stale}), 412)
    again = client.get(path)
    assert again.json() == original
    assert again.headers["etag"] == '"1"'

    updated = client.patch(path, json=change, headers={"If-Match": '"1"'})
    assert updated.status_code == 200, updated.text
    assert updated.headers["etag"] == '"2"'
    assert client.get(path).headers["etag"] == '"2"'
    assert_problem(client.patch(path, json=change, headers={"If-Match": '"1"'}), 412)
    # A list of tags matches any of them; `*` matches whatever the version.
    listed = client.patch(path, json={}, headers={"If-Match": '"7", "2"'})
    assert listed.status_code == 200
    assert client.patch(path, json=change, headers={"If-Match": "*"}).status_code == 200


def test_a_stale_if_match_stops_close_and_delete(client: TestClient) -> None:
    unit = make_unit(client)
    client.patch(f"{UNITS}/{unit['id']}", json={"name": "Đổi tên"})
    stale = {"If-Match": '"1"'}
    assert_problem(client.post(f"{UNITS}/{unit['id']}/close", json={}, headers=stale), 412)
    assert client.get(f"{UNITS}/{unit['id']}").json()["valid_to"] is None

    directive = make_directive(client)
    path = f"/api/v1/directives/{directive['id']}"
    client.patch(path, json={"title": "Đổi tiêu đề"})
    assert_problem(client.delete(path, headers=stale), 412)
    assert client.get(path).status_code == 200
    assert client.delete(path, headers={"If-Match": '"2"'}).status_code == 204


def test_no_more_api_requests_are_in_flight_than_the_limit() -> None:
    """Requests beyond the limit wait their turn; health probes never do."""
    inside = {"now": 0, "most": 0}

    async def slow_app(scope: Any, receive: Any, send: Any) -> None:
        inside["now"] += 1
        inside["most"] = max(inside["most"], inside["now"])
        await anyio.sleep(0.01)
        inside["now"] -= 1

    limited = InFlightLimitMiddleware(slow_app, limit=3, wait_seconds=30)

    async def many(path: str) -> None:
        async with anyio.create_task_group() as group:
            for _ in range(20):
                group.start_soon(limited, {"type": "http", "path": path}, None, None)

    anyio.run(many, "/api/v1/units")
    assert inside["most"] == 3
    inside["most"] = 0
    anyio.run(many, "/readyz")
    assert inside["most"] == 20


def test_a_saturated_connection_pool_answers_503_not_500(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_connection(*_args: Any, **_kwargs: Any) -> Any:
        raise PoolTimeoutError("QueuePool limit reached")

    monkeypatch.setattr("app.access.scope.Scope.unit", no_connection)
    response = client.get("/api/v1/units/1")
    body = assert_problem(response, 503)
    assert response.headers["retry-after"]
    assert "busy" in body["detail"]


def test_a_request_that_waits_too_long_for_its_turn_answers_503() -> None:
    sent: list[dict[str, Any]] = []

    async def stuck_app(scope: Any, receive: Any, send: Any) -> None:
        await anyio.sleep(1)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    limited = InFlightLimitMiddleware(stuck_app, limit=1, wait_seconds=0.05)
    scope = {"type": "http", "path": "/api/v1/units", "method": "GET", "headers": [],
             "query_string": b""}  # fmt: skip

    async def two() -> None:
        async with anyio.create_task_group() as group:
            group.start_soon(limited, scope, None, send)
            await anyio.sleep(0.01)
            group.start_soon(limited, scope, None, send)

    anyio.run(two)
    (start,) = [m for m in sent if m["type"] == "http.response.start"]
    assert start["status"] == 503
    assert (b"retry-after", b"5") in start["headers"]
