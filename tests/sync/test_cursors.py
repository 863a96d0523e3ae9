"""Cursor (keyset) paging, `count`, `updated_since` and the `Link` header, through the API."""

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_commitment, make_directive, make_tree, make_unit
from tests.helpers import ok

COMMITMENTS = "/api/v1/commitments"
UNITS = "/api/v1/units"


def world_with(client: TestClient, commitments: int) -> dict[str, Any]:
    world: dict[str, Any] = make_tree(client)
    world["directive"] = make_directive(client)
    for n in range(commitments):
        # Every other one without a deadline: keyset paging must step over NULL sort keys.
        deadline = None if n % 2 else f"2022-12-{n % 28 + 1:02d}"
        make_commitment(client, world, deadline=deadline, title=f"Việc {n}")
    return world


def next_link(response: Any) -> str | None:
    """The target of the `Link: <…>; rel="next"` header (RFC 8288), if any."""
    header = response.headers.get("link")
    if header is None:
        return None
    match = re.fullmatch(r'<([^>]+)>; rel="next"', header)
    assert match, header
    return match.group(1)


def walk(client: TestClient, path: str, between: Any = None, **params: Any) -> list[int]:
    """Every id of a list, following `Link: rel="next"`; `between` runs after each page."""
    seen: list[int] = []
    response = client.get(path, params=params)
    while True:
        body = ok(response)
        seen += [item["id"] for item in body["items"]]
        link = next_link(response)
        assert (link is None) == (body["next_cursor"] is None)
        if link is None:
            return seen
        assert f"cursor={body['next_cursor']}" in link
        if between is not None:
            between()
        response = client.get(link)


def test_cursor_pages_cover_every_order_exactly_once(client: TestClient) -> None:
    world_with(client, 7)
    for sort in ("deadline", "year", "status", "updated_at"):
        for descending in (False, True):
            params = {"sort": sort, "descending": descending}
            everything = ok(client.get(COMMITMENTS, params=params | {"limit": 500}))["items"]
            expected = [c["id"] for c in everything]
            assert walk(client, COMMITMENTS, limit=2, **params) == expected, (sort, descending)


def test_units_page_by_cursor_on_their_labelled_order(client: TestClient) -> None:
    tree = make_tree(client)
    for n in range(4):
        make_unit(client, name=f"Chi bộ {n}", kind="party_cell", parent_id=tree["commune"]["id"])
    expected = [u["id"] for u in ok(client.get(UNITS, params={"limit": 500}))["items"]]
    assert walk(client, UNITS, limit=3) == expected
    as_of = {"as_of": "2030-01-01", "limit": 3}
    assert walk(client, UNITS, **as_of) == [
        u["id"] for u in ok(client.get(UNITS, params=as_of | {"limit": 500}))["items"]
    ]


def test_pages_neither_overlap_nor_skip_while_rows_are_inserted(client: TestClient) -> None:
    world = world_with(client, 6)
    before = [c["id"] for c in ok(client.get(COMMITMENTS, params={"limit": 500}))["items"]]
    added: list[int] = []

    def insert() -> None:  # newest first: each insert lands before the pages already read
        added.append(make_commitment(client, world, title="Chen vào")["id"])

    seen = walk(client, COMMITMENTS, between=insert, sort="updated_at", descending=True, limit=2)
    assert len(seen) == len(set(seen))
    assert sorted(before) == sorted(set(seen) - set(added))
    # The same walk by offset repeats rows: what the cursor is for.
    by_offset: list[int] = []
    for offset in range(0, 8, 2):
        page = client.get(COMMITMENTS, params={"descending": True, "limit": 2, "offset": offset})
        by_offset += [c["id"] for c in ok(page)["items"]]
        insert()
    assert len(by_offset) != len(set(by_offset))


def test_count_is_exact_only_when_asked_on_large_lists(client: TestClient) -> None:
    world_with(client, 3)
    assert ok(client.get(COMMITMENTS))["total"] is None
    assert ok(client.get(COMMITMENTS, params={"count": "exact", "limit": 1}))["total"] == 3
    # Small lists keep their total, except when paged by cursor, unless asked.
    first = ok(client.get(UNITS, params={"limit": 2}))
    assert first["total"] == 6
    assert ok(client.get(UNITS, params={"cursor": first["next_cursor"]}))["total"] is None
    counted = client.get(UNITS, params={"cursor": first["next_cursor"], "count": "exact"})
    assert ok(counted)["total"] == 6
    assert ok(client.get(UNITS, params={"count": "none"}))["total"] is None


def test_last_page_has_no_link(client: TestClient) -> None:
    world_with(client, 2)
    response = client.get(COMMITMENTS, params={"limit": 2})
    assert ok(response)["next_cursor"] is None
    assert "link" not in response.headers


def test_bad_cursors_are_4xx_problems(client: TestClient) -> None:
    world_with(client, 3)
    cursor = ok(client.get(COMMITMENTS, params={"limit": 1}))["next_cursor"]
    forged = base64.urlsafe_b64encode(json.dumps(["x", [1]]).encode()).decode()
    wrong_values = json.loads(base64.urlsafe_b64decode(cursor + "=="))
    wrong_values[1] = ["not a time", "nor an id"]
    mangled = base64.urlsafe_b64encode(json.dumps(wrong_values).encode()).decode()
    for bad in ("!!!", "bm90IGpzb24", forged, mangled):
        body = assert_problem(client.get(COMMITMENTS, params={"cursor": bad}), 422)
        assert body["type"] == "/problems/invalid-cursor"
        assert body["errors"][0]["loc"] == ["query", "cursor"]
    # Another order, another list, or with an offset.
    other = client.get(COMMITMENTS, params={"cursor": cursor, "sort": "year"})
    assert "another list or order" in assert_problem(other, 422)["detail"]
    assert_problem(client.get(UNITS, params={"cursor": cursor}), 422)
    assert_problem(client.get(COMMITMENTS, params={"cursor": cursor, "offset": 1}), 422)
    assert_problem(client.get(COMMITMENTS, params={"cursor": ""}), 422)


def test_updated_since_keeps_what_changed_after(client: TestClient) -> None:
    world = world_with(client, 2)
    later = make_commitment(client, world, title="Sau")
    since = ok(client.get(f"{COMMITMENTS}/{later['id']}"))["updated_at"]
    listed = ok(client.get(COMMITMENTS, params={"updated_since": since}))["items"]
    assert [c["id"] for c in listed] == [later["id"]]
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert ok(client.get(COMMITMENTS, params={"updated_since": future}))["items"] == []
    assert_problem(client.get(COMMITMENTS, params={"updated_since": "2025-01-01T00:00:00"}), 422)
    # The audit trail has no update time: it says so.
    refused = client.get("/api/v1/audit-events", params={"updated_since": since})
    assert assert_problem(refused, 422)["errors"][0]["loc"] == ["query", "updated_since"]


def test_every_list_pages_by_cursor_as_it_lists(client: TestClient, app: Any) -> None:
    """Each list's own order, walked one row at a time, gives the list: keyset conditions for
    every kind of sort key (labelled columns, conditions such as `start_on IS NULL`, NULLs)."""
    world = world_with(client, 3)
    for n, unit in enumerate(("commune", "cell_a", "cell_a")):
        person = ok(client.post("/api/v1/people", json={"full_name": f"Người {n}"}), 201)
        start = None if n else "2024-01-01"
        body = {"person_id": person["id"], "unit_id": world[unit]["id"], "post": "secretary"}
        client.post("/api/v1/positions", json=body | {"start_on": start})
        client.post("/api/v1/areas-of-charge", json=body | {"start_on": start})
    paths = app.openapi()["paths"]
    lists = [
        path
        for path, operations in paths.items()
        if "{" not in path
        and "get" in operations
        and any(p["name"] == "cursor" for p in operations["get"].get("parameters", []))
    ]
    assert len(lists) >= 15
    for path in lists:
        everything = ok(client.get(path, params={"limit": 500}))["items"]
        assert walk(client, path, limit=1) == [item["id"] for item in everything], path
