"""Shared by the concurrency tests: bursts of requests sent at once to a live server, and the
checks every burst must pass (no 5xx, refusals as problems, acknowledged writes audited)."""

import asyncio
from typing import Any

import httpx

WRITERS = 20
NEWCOMERS = 5
CANDIDATES = "/api/v1/recruitment/candidates"
OUTCOMES = "/api/v1/recruitment/outcomes"

Call = tuple[str, str, dict[str, Any] | None]


def burst(
    http: httpx.Client,
    calls: list[Call],
    tag: str,
    refusals: frozenset[int] = frozenset({409, 412}),
) -> list[httpx.Response]:
    """All the calls at once, each with a request id of its own (`tag`-index); a call may be
    refused only with one of `refusals`, as a problem."""

    async def run() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=len(calls), max_keepalive_connections=len(calls))
        async with httpx.AsyncClient(
            base_url=str(http.base_url), headers=http.headers, limits=limits, timeout=60
        ) as client:
            return list(
                await asyncio.gather(
                    *(
                        client.request(
                            method, path, json=body, headers={"X-Request-ID": f"{tag}-{i}"}
                        )
                        for i, (method, path, body) in enumerate(calls)
                    )
                )
            )

    responses = asyncio.run(run())
    for response in responses:
        status = response.status_code
        assert status < 500, response.text
        if status >= 300:
            assert status in refusals, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
    return responses


def acknowledged(responses: list[httpx.Response]) -> list[httpx.Response]:
    return [r for r in responses if r.is_success]


def events(http: httpx.Client, entity_type: str) -> dict[str, list[tuple[int, str]]]:
    """The audit trail of one kind of record: request id → [(entity id, action)]."""
    found: dict[str, list[tuple[int, str]]] = {}
    offset = 0
    while True:
        page = http.get(
            "/api/v1/audit-events",
            params={"entity_type": entity_type, "limit": 500, "offset": offset, "count": "exact"},
        ).json()
        for event in page["items"]:
            found.setdefault(event["request_id"], []).append((event["entity_id"], event["action"]))
        offset += len(page["items"])
        if offset >= page["total"]:
            return found


def assert_audited(
    http: httpx.Client, entity_type: str, responses: list[httpx.Response], written: list[Any]
) -> None:
    """Each acknowledged response wrote its `written` (entity id, action), audited under its
    request id; each refused one left no event."""
    trail = events(http, entity_type)
    for response, expected in zip(responses, written, strict=True):
        request_id = response.headers["x-request-id"]
        if response.is_success:
            assert expected in trail.get(request_id, []), (request_id, expected, response.text)
        else:
            assert request_id not in trail, response.text


def ok_id(response: httpx.Response) -> int | None:
    return response.json()["id"] if response.is_success else None
