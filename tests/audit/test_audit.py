"""The audit trail: one event per successful write, none for a failed one, scoped like the data."""

import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.factories import (
    PASSWORD,
    assert_problem,
    make_directive,
    make_person,
    make_tree,
    make_unit,
)
from tests.helpers import AUDIT, total

UNITS = "/api/v1/units"


def events(client: TestClient, **filters: Any) -> list[dict[str, Any]]:
    """Matching events, newest first."""
    response = client.get(AUDIT, params={"limit": 500, "count": "exact"} | filters)
    assert response.status_code == 200, response.text
    page = response.json()
    assert page["total"] == len(page["items"])
    items: list[dict[str, Any]] = page["items"]
    return items


def trail(client: TestClient, entity_type: str, entity_id: int) -> list[tuple[str, str | None]]:
    """(action, request id) of a record's events, newest first."""
    found = events(client, entity_type=entity_type, entity_id=entity_id)
    return [(e["action"], e["request_id"]) for e in found]


def rid(value: str) -> dict[str, str]:
    return {"X-Request-ID": value}


def admin_id(client: TestClient) -> int:
    user_id: int = client.get("/api/v1/auth/me").json()["user_id"]
    return user_id


# --- one event per write ---------------------------------------------------------------------


def test_unit_create_update_and_close(client: TestClient) -> None:
    created = client.post(
        UNITS,
        json={"code": "DX-HS", "name": "Đảng bộ xã Hương Sơn", "kind": "commune_committee"},
        headers=rid("create-1"),
    )
    unit = created.json()
    (event,) = events(client, entity_type="unit", entity_id=unit["id"])
    assert event["action"] == "create"
    assert event["actor"] == "admin"
    assert event["user_id"] == admin_id(client)
    assert event["api_key_id"] is None
    assert event["unit_id"] == unit["id"]
    assert event["request_id"] == "create-1"
    assert event["before"] is None
    assert event["after"]["name"] == "Đảng bộ xã Hương Sơn"
    assert event["after"]["version"] == 1
    assert "search_key" not in event["after"]

    client.patch(f"{UNITS}/{unit['id']}", json={"name": "Xã Hương Sơn"}, headers=rid("update-1"))
    client.patch(f"{UNITS}/{unit['id']}", json={"name": "Xã Hương Sơn"}, headers=rid("no-op"))
    client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": "2025-07-01"}, headers=rid("c-1"))
    assert trail(client, "unit", unit["id"]) == [
        ("close", "c-1"),
        ("update", "update-1"),  # the PATCH that changed nothing left no event
        ("create", "create-1"),
    ]
    close, update, _ = events(client, entity_type="unit", entity_id=unit["id"])
    assert (update["before"]["name"], update["after"]["name"]) == (
        "Đảng bộ xã Hương Sơn",
        "Xã Hương Sơn",
    )
    assert (update["before"]["version"], update["after"]["version"]) == (1, 2)
    assert (close["before"]["valid_to"], close["after"]["valid_to"]) == (None, "2025-07-01")


def test_moving_a_unit_is_one_update_event(client: TestClient) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]["id"]
    moved = client.patch(
        f"{UNITS}/{cell}", json={"parent_id": tree["district"]["id"]}, headers=rid("move")
    )
    assert moved.status_code == 200, moved.text
    update, _ = events(client, entity_type="unit", entity_id=cell)
    assert update["action"] == "update"
    assert update["request_id"] == "move"
    assert update["before"]["parent_id"] == tree["commune"]["id"]
    assert update["after"]["parent_id"] == tree["district"]["id"]
    assert (update["before"]["level"], update["after"]["level"]) == (3, 2)


def test_directive_create_update_delete(client: TestClient) -> None:
    directive = make_directive(client)
    path = f"/api/v1/directives/{directive['id']}"
    client.patch(path, json={"title": "Tiêu đề mới"}, headers=rid("d-update"))
    client.delete(path, headers=rid("d-delete"))
    delete, update, create = events(client, entity_type="directive", entity_id=directive["id"])
    assert [e["action"] for e in (delete, update, create)] == ["delete", "update", "create"]
    assert (update["request_id"], delete["request_id"]) == ("d-update", "d-delete")
    assert update["after"]["title"] == "Tiêu đề mới"
    assert delete["before"]["title"] == "Tiêu đề mới"
    assert delete["after"] is None
    assert {create["unit_id"], update["unit_id"], delete["unit_id"]} == {None}


def test_people_positions_and_areas(client: TestClient) -> None:
    unit = make_unit(client)
    person = make_person(client, full_name="Trịnh Thị Kim Thoa")
    client.patch(f"/api/v1/people/{person['id']}", json={"full_name": "Trịnh Thị Thoa"})
    term = {"person_id": person["id"], "unit_id": unit["id"]}
    position = client.post("/api/v1/positions", json=term | {"post": "secretary"}).json()
    client.patch(f"/api/v1/positions/{position['id']}", json={"end_on": "2025-07-01"})
    client.delete(f"/api/v1/positions/{position['id']}", headers=rid("p-delete"))
    area = client.post("/api/v1/areas-of-charge", json=term, headers=rid("a-create")).json()
    client.delete(f"/api/v1/people/{person['id']}")  # 409: the area of charge names them

    assert [a for a, _ in trail(client, "person", person["id"])] == ["update", "create"]
    positions = events(client, entity_type="position", entity_id=position["id"])
    assert [e["action"] for e in positions] == ["delete", "update", "create"]
    assert {e["unit_id"] for e in positions} == {unit["id"]}
    assert positions[0]["request_id"] == "p-delete"
    assert positions[0]["before"]["end_on"] == "2025-07-01"
    assert positions[1]["before"]["end_on"] is None
    assert trail(client, "area_of_charge", area["id"]) == [("create", "a-create")]


def test_account_changes_are_audited_without_secrets(client: TestClient, anon: TestClient) -> None:
    unit = make_unit(client)
    created = client.post(
        "/api/v1/users",
        json={
            "username": "thoa",
            "full_name": "Thoa",
            "password": PASSWORD,
            "grants": [{"role": "viewer", "unit_id": unit["id"]}],
        },
        headers=rid("u-create"),
    ).json()
    user_id, (first_grant,) = created["id"], created["grants"]
    assert trail(client, "app_user", user_id) == [("create", "u-create")]
    assert trail(client, "user_grant", first_grant["id"]) == [("create", "u-create")]

    client.patch(f"/api/v1/users/{user_id}", json={"full_name": "Kim Thoa"}, headers=rid("u-up"))
    grant = client.post(
        f"/api/v1/users/{user_id}/grants",
        json={"role": "manager", "unit_id": unit["id"]},
        headers=rid("g-add"),
    ).json()
    client.delete(f"/api/v1/users/{user_id}/grants/{grant['id']}", headers=rid("g-del"))
    assert trail(client, "app_user", user_id) == [("update", "u-up"), ("create", "u-create")]
    assert trail(client, "user_grant", grant["id"]) == [("delete", "g-del"), ("create", "g-add")]

    key = client.post(
        "/api/v1/api-keys",
        json={"name": "sync", "role": "viewer", "unit_id": unit["id"]},
        headers=rid("k-create"),
    ).json()
    client.post(f"/api/v1/api-keys/{key['id']}/revoke", headers=rid("k-revoke"))
    assert trail(client, "api_key", key["id"]) == [("revoke", "k-revoke"), ("create", "k-create")]
    revoke = events(client, entity_type="api_key", entity_id=key["id"])[0]
    assert revoke["before"]["revoked_at"] is None
    assert revoke["after"]["revoked_at"] is not None

    token = anon.post("/api/v1/auth/token", data={"username": "thoa", "password": PASSWORD}).json()[
        "access_token"
    ]
    changed = anon.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "another passphrase"},
        headers={"Authorization": f"Bearer {token}", **rid("pw")},
    )
    assert changed.status_code == 204
    change = events(client, entity_type="app_user", entity_id=user_id)[0]
    assert (change["action"], change["actor"], change["user_id"]) == (
        "change_password",
        "thoa",
        user_id,
    )

    everything = json.dumps(events(client))
    for secret in ("password_hash", "secret_hash", "tokens_valid_from", "search_key"):
        assert secret not in everything
    assert key["key"].split("_", 2)[2] not in everything
    assert PASSWORD not in everything


def test_writes_by_an_api_key_are_attributed_to_it(client: TestClient, anon: TestClient) -> None:
    unit = make_unit(client)
    key = client.post(
        "/api/v1/api-keys", json={"name": "sync", "role": "manager", "unit_id": unit["id"]}
    ).json()
    child = anon.post(
        UNITS,
        json={"code": "CB-1", "name": "Chi bộ 1", "kind": "party_cell", "parent_id": unit["id"]},
        headers={"X-API-Key": key["key"]},
    ).json()
    (event,) = events(client, entity_type="unit", entity_id=child["id"])
    assert event["actor"] == f"key:{key['prefix']}"
    assert (event["api_key_id"], event["user_id"]) == (key["id"], None)
    assert events(client, actor=f"key:{key['prefix']}") == [event]


def test_without_a_request_id_the_generated_one_is_recorded(client: TestClient) -> None:
    response = client.post(UNITS, json={"code": "X", "name": "X", "kind": "agency"})
    (event,) = events(client, entity_type="unit", entity_id=response.json()["id"])
    assert event["request_id"] == response.headers["x-request-id"]


def test_failed_writes_leave_no_event(client: TestClient, login: Any) -> None:
    tree = make_tree(client)
    commune, cell_a = tree["commune"]["id"], tree["cell_a"]["id"]
    directive = make_directive(client)
    before = total(client, AUDIT)
    viewer = login("viewer", commune)
    manager = login("manager", commune)

    new = {"code": "NEW", "name": "x", "kind": "agency"}
    directive_in = {"title": "x", "issuer": "x", "issued_on": "2020-01-01"}
    failures = [
        (409, client.post(UNITS, json=new | {"code": tree["cell_b"]["code"]})),
        (422, client.post(UNITS, json=new | {"name": ""})),
        (422, client.post(UNITS, json=new | {"parent_id": 99999})),
        (409, client.post(UNITS, json=new | {"parent_id": cell_a})),
        (409, client.patch(f"{UNITS}/{commune}", json={"parent_id": cell_a})),
        (409, client.post(f"{UNITS}/{commune}/close", json={})),
        (412, client.patch(f"{UNITS}/{cell_a}", json={"name": "x"}, headers={"If-Match": '"9"'})),
        (404, client.patch(f"{UNITS}/99999", json={"name": "x"})),
        (403, viewer.patch(f"{UNITS}/{cell_a}", json={"name": "x"})),
        (403, viewer.post("/api/v1/people", json={"full_name": "x"})),
        (403, manager.post(UNITS, json=new)),
        (403, manager.patch(f"{UNITS}/{cell_a}", json={"parent_id": tree["district"]["id"]})),
        (403, manager.delete(f"/api/v1/directives/{directive['id']}")),
        (409, client.post("/api/v1/directives", json=directive_in | {"code": directive["code"]})),
        (422, client.post("/api/v1/api-keys", json={"name": "k", "role": "manager"})),
        (
            403,
            viewer.post(
                "/api/v1/api-keys", json={"name": "k", "role": "viewer", "unit_id": commune}
            ),
        ),
    ]
    for status, response in failures:
        assert_problem(response, status)
    assert total(client, AUDIT) == before


def test_account_failures_leave_no_event(client: TestClient, anon: TestClient) -> None:
    unit = make_unit(client)
    me = admin_id(client)
    (admin_grant,) = client.get(f"/api/v1/users/{me}").json()["grants"]
    key = client.post(
        "/api/v1/api-keys", json={"name": "k", "role": "viewer", "unit_id": unit["id"]}
    ).json()
    client.post(f"/api/v1/api-keys/{key['id']}/revoke")
    before = total(client, AUDIT)
    user = {"username": "admin", "full_name": "x", "password": PASSWORD}
    change = {"current_password": "wrong!", "new_password": "new passphrase"}
    failures = [
        (409, client.post(f"/api/v1/api-keys/{key['id']}/revoke")),
        (409, client.delete(f"/api/v1/users/{me}/grants/{admin_grant['id']}")),
        (409, client.post(f"/api/v1/users/{me}/grants", json={"role": "admin"})),
        (409, client.post("/api/v1/users", json=user)),
        (422, client.post("/api/v1/users", json=user | {"username": "x"})),
        (422, client.post("/api/v1/auth/password", json=change)),
    ]
    for status, response in failures:
        assert_problem(response, status)
    assert total(client, AUDIT) == before


# --- who sees what ---------------------------------------------------------------------------


def test_non_admins_see_only_the_events_of_their_subtree(client: TestClient, login: Any) -> None:
    tree = make_tree(client)
    make_person(client)
    client.post(
        "/api/v1/api-keys",
        json={"name": "k", "role": "viewer", "unit_id": tree["department"]["id"]},
    )
    commune_ids = {tree[name]["id"] for name in ("commune", "cell_a", "cell_b")}

    manager = login("manager", tree["commune"]["id"])
    seen = events(manager)
    assert {(e["entity_type"], e["unit_id"]) for e in seen} == {("unit", u) for u in commune_ids}
    assert events(manager, entity_type="unit", entity_id=tree["district"]["id"]) == []
    assert events(manager, entity_type="person") == []
    assert events(manager, entity_type="api_key") == []

    viewer = login("viewer", tree["cell_a"]["id"])
    assert [e["entity_id"] for e in events(viewer)] == [tree["cell_a"]["id"]]

    # Their own writes show up, inside their subtree.
    cell = {"code": "CB-C", "name": "Chi bộ thôn C", "kind": "party_cell"}
    created = manager.post(UNITS, json=cell | {"parent_id": tree["commune"]["id"]}).json()
    assert events(manager)[0]["entity_id"] == created["id"]
    assert events(viewer, entity_id=created["id"]) == []

    everything = events(client)
    assert {e["entity_type"] for e in everything} == {"unit", "person", "api_key"}
    assert len(everything) > len(events(manager))


# --- filters ---------------------------------------------------------------------------------


def test_filters_by_entity_and_actor(client: TestClient, login: Any) -> None:
    first = make_unit(client)
    second = make_unit(client)
    person = make_person(client)
    manager = login("manager", first["id"], username="thoa")
    manager.patch(f"{UNITS}/{first['id']}", json={"name": "Đổi tên"})

    assert {e["entity_id"] for e in events(client, entity_type="unit")} == {
        first["id"],
        second["id"],
    }
    assert [e["entity_type"] for e in events(client, entity_type="person")] == ["person"]
    assert [e["entity_id"] for e in events(client, entity_type="person")] == [person["id"]]
    assert [e["action"] for e in events(client, entity_type="unit", entity_id=first["id"])] == [
        "update",
        "create",
    ]
    assert [(e["actor"], e["action"]) for e in events(client, actor="thoa")] == [("thoa", "update")]
    assert len(events(client, actor="admin")) == 3
    assert events(client, actor="nobody") == []
    assert events(client, entity_type="unit", entity_id=999999) == []


def test_filters_by_time(client: TestClient) -> None:
    units = [make_unit(client) for _ in range(3)]
    newest, middle, oldest = events(client, entity_type="unit")
    assert [e["entity_id"] for e in (oldest, middle, newest)] == [u["id"] for u in units]
    at = middle["at"]

    def ids(**filters: str) -> list[int]:
        return [e["entity_id"] for e in events(client, **filters)]

    assert ids(since=at) == [newest["entity_id"], middle["entity_id"]]  # inclusive
    assert ids(until=at) == [oldest["entity_id"]]  # exclusive
    assert ids(since=at, until=newest["at"]) == [middle["entity_id"]]
    # The same instant written with another offset.
    hanoi = datetime.fromisoformat(at).astimezone(timezone(timedelta(hours=7))).isoformat()
    assert "+07:00" in hanoi
    assert ids(since=hanoi) == ids(since=at)
    assert ids(until=hanoi) == ids(until=at)
    later = (datetime.fromisoformat(newest["at"]) + timedelta(seconds=1)).isoformat()
    assert ids(since=later) == []
    assert len(ids(until=later)) == 3


@pytest.mark.parametrize(
    "params",
    [
        {"since": "2025-07-01T10:00:00"},
        {"until": "2025-07-01T10:00:00"},
        {"since": "2025-07-01"},
        {"since": "yesterday"},
        {"entity_type": "Unit"},
        {"entity_id": 0},
        {"actor": "bad\x01actor"},
    ],
    ids=["naive since", "naive until", "a date", "not a time", "entity type", "id 0", "actor"],
)
def test_bad_filters_are_422(client: TestClient, params: dict[str, Any]) -> None:
    body = assert_problem(client.get(AUDIT, params=params), 422)
    assert body["errors"][0]["loc"] == ["query", next(iter(params))]


@pytest.mark.parametrize(
    "params",
    [
        {"since": "9999-12-31T23:59:59-14:00"},
        {"until": "9999-12-31T23:59:59-14:00"},
        {"since": "0001-01-01T00:00:00+14:00"},
    ],
    ids=["since after year 9999 in UTC", "until after year 9999 in UTC", "since before year 1"],
)
def test_times_that_leave_the_calendar_in_utc_are_422_not_500(
    app: FastAPI, client: TestClient, params: dict[str, str]
) -> None:
    lenient = TestClient(app, headers=dict(client.headers), raise_server_exceptions=False)
    assert_problem(lenient.get(AUDIT, params=params), 422)


def test_the_audit_list_needs_credentials(anon: TestClient) -> None:
    assert_problem(anon.get(AUDIT), 401)


def test_an_admin_key_sees_everything(client: TestClient, anon: TestClient) -> None:
    make_tree(client)
    key = client.post("/api/v1/api-keys", json={"name": "audit", "role": "admin"}).json()
    seen = anon.get(
        AUDIT, headers={"X-API-Key": key["key"]}, params={"limit": 500, "count": "exact"}
    ).json()
    assert seen["total"] == total(client, AUDIT)
