"""Idempotency-Key on creates: replay within the retention, 422 on another body, one record."""

import asyncio

import httpx
from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import assert_problem, make_principal

UNITS = "/api/v1/units"
BODY = {"code": "IDEM-1", "name": "Đảng bộ xã Hương Sơn", "kind": "commune_committee"}


def test_the_same_key_and_body_replays_the_first_answer(client: TestClient) -> None:
    first = client.post(UNITS, json=BODY, headers={"Idempotency-Key": "abc-1"})
    assert first.status_code == 201
    again = client.post(UNITS, json=BODY, headers={"Idempotency-Key": "abc-1"})
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["idempotent-replayed"] == "true"
    assert client.get(UNITS).json()["total"] == 1
    events = client.get(
        "/api/v1/audit-events", params={"entity_type": "unit", "count": "exact"}
    ).json()
    assert events["total"] == 1


def test_the_same_key_with_another_body_is_422(client: TestClient) -> None:
    client.post(UNITS, json=BODY, headers={"Idempotency-Key": "abc-2"})
    other = client.post(UNITS, json=BODY | {"code": "IDEM-2"}, headers={"Idempotency-Key": "abc-2"})
    assert_problem(other, 422)
    assert client.get(UNITS).json()["total"] == 1


def test_keys_belong_to_their_caller_and_failures_are_not_kept(client: TestClient, login) -> None:  # type: ignore[no-untyped-def]
    failed = client.post(UNITS, json=BODY | {"kind": "x"}, headers={"Idempotency-Key": "k"})
    assert_problem(failed, 422)
    created = client.post(UNITS, json=BODY, headers={"Idempotency-Key": "k"})
    assert created.status_code == 201  # the failed attempt left no claim behind
    other_admin = login("admin", None)
    clash = other_admin.post(UNITS, json=BODY, headers={"Idempotency-Key": "k"})
    assert_problem(clash, 409)  # not a replay of someone else's answer: a new create, code taken


def test_without_a_key_nothing_is_replayed(client: TestClient) -> None:
    assert client.post(UNITS, json=BODY).status_code == 201
    assert_problem(client.post(UNITS, json=BODY), 409)


async def _twins(base_url: str, headers: dict[str, str], n: int) -> list[httpx.Response]:
    async with httpx.AsyncClient(base_url=base_url, headers=headers, timeout=30) as http:
        return list(
            await asyncio.gather(
                *(
                    http.post(UNITS, json=BODY, headers={"Idempotency-Key": "twin"})
                    for _ in range(n)
                )
            )
        )


def test_concurrent_duplicates_create_one_record(live_server: str) -> None:
    headers = make_principal("admin", Role.admin, None)
    responses = asyncio.run(_twins(live_server, headers, 8))
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, [r.text for r in responses]
    assert 201 in statuses
    for response in responses:
        if response.status_code == 409:
            assert response.headers["retry-after"] == "1"
    with httpx.Client(base_url=live_server, headers=headers) as http:
        assert http.get(UNITS).json()["total"] == 1
        retried = http.post(UNITS, json=BODY, headers={"Idempotency-Key": "twin"})
        assert retried.status_code == 201
        assert retried.headers["idempotent-replayed"] == "true"
