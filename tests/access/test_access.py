"""Who may read and write what: credentials on every operation, roles, and subtree scopes.

Outside its subtrees a caller gets 404 on reads (existence is not revealed) and 403 on writes
that name a unit there. A write addressed to a record the caller cannot even read is a 404 as
well: answering 403 there would reveal that the record exists.
"""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.factories import (
    assert_problem,
    make_directive,
    make_person,
    make_tree,
)

UNITS = "/api/v1/units"
PEOPLE = "/api/v1/people"
POSITIONS = "/api/v1/positions"
AREAS = "/api/v1/areas-of-charge"
DIRECTIVES = "/api/v1/directives"
OPEN_OPERATIONS = {("POST", "/api/v1/auth/token")}


def _api_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted(
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
        if path.startswith("/api/v1/") and (method.upper(), path) not in OPEN_OPERATIONS
    )


# Read once at collection, anonymously, to parametrize over; checked against the live document
# below so that the list can never go stale.
OPERATIONS = _api_operations(TestClient(create_app()).get("/openapi.json").json())


def test_the_operation_list_is_the_served_document(anon: TestClient) -> None:
    response = anon.get("/openapi.json")
    assert response.status_code == 200
    assert _api_operations(response.json()) == OPERATIONS
    assert len(OPERATIONS) >= 40


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[" ".join(op) for op in OPERATIONS])
def test_every_operation_needs_credentials(anon: TestClient, method: str, path: str) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    body: dict[str, Any] | None = {} if method in {"POST", "PATCH", "PUT"} else None
    response = anon.request(method, url, json=body)
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


# --- a tree with records in both branches ----------------------------------------------------


def make_world(client: TestClient) -> dict[str, Any]:
    """make_tree's units, with a position and an area of charge in the department and the
    commune."""
    world: dict[str, Any] = make_tree(client)
    person = make_person(client)
    world["person"] = person
    world["directive"] = make_directive(client)
    for unit, post in (("commune", "secretary"), ("department", "department_head")):
        body = {"person_id": person["id"], "unit_id": world[unit]["id"]}
        position = client.post(POSITIONS, json=body | {"post": post})
        area = client.post(AREAS, json=body)
        assert position.status_code == area.status_code == 201
        world[f"{unit}_position"] = position.json()
        world[f"{unit}_area"] = area.json()
    return world


def _paths(world: dict[str, Any], branch: str) -> list[str]:
    unit = world[branch]["id"]
    return [
        f"{UNITS}/{unit}",
        f"{UNITS}/{unit}/children",
        f"{UNITS}/{unit}/descendants",
        f"{UNITS}/{unit}/ancestors",
        f"{UNITS}/{unit}/tree",
        f"{POSITIONS}/{world[f'{branch}_position']['id']}",
        f"{AREAS}/{world[f'{branch}_area']['id']}",
    ]


@pytest.mark.parametrize("role", ["manager", "reporter", "viewer"])
def test_reads_outside_the_subtree_are_404(client: TestClient, login: Any, role: str) -> None:
    world = make_world(client)
    caller = login(role, world["commune"]["id"])
    for path in _paths(world, "department"):
        body = assert_problem(caller.get(path), 404)
        assert "does not exist" in body["detail"]
    for unit in ("district", "province"):
        assert_problem(caller.get(f"{UNITS}/{world[unit]['id']}"), 404)
    for path in _paths(world, "commune"):
        assert caller.get(path).status_code == 200, path
    # Directives and people belong to the whole tree.
    assert caller.get(f"{DIRECTIVES}/{world['directive']['id']}").status_code == 200
    assert caller.get(f"{PEOPLE}/{world['person']['id']}").status_code == 200
    assert caller.get(DIRECTIVES).json()["total"] == 1
    assert caller.get(PEOPLE).json()["total"] == 1


def test_lists_hold_only_the_subtree(client: TestClient, login: Any) -> None:
    world = make_world(client)
    commune = world["commune"]["id"]
    caller = login("viewer", commune)
    commune_units = [world[n]["id"] for n in ("commune", "cell_a", "cell_b")]

    listed = caller.get(UNITS).json()
    assert listed["total"] == 3
    assert sorted(u["id"] for u in listed["items"]) == sorted(commune_units)
    by_root = caller.get(UNITS, params={"root_id": world["district"]["id"]}).json()
    assert sorted(u["id"] for u in by_root["items"]) == sorted(commune_units)
    by_parent = caller.get(UNITS, params={"parent_id": world["district"]["id"]}).json()
    assert [u["id"] for u in by_parent["items"]] == [commune]
    assert caller.get(UNITS, params={"q": "ban tuyen giao"}).json()["total"] == 0
    assert caller.get(f"{UNITS}/{world['cell_a']['id']}/ancestors").json() == [
        caller.get(f"{UNITS}/{commune}").json()
    ]

    for path, key in ((POSITIONS, "position"), (AREAS, "area")):
        items = caller.get(path).json()["items"]
        assert [t["id"] for t in items] == [world[f"commune_{key}"]["id"]]
        other = caller.get(path, params={"unit_id": world["department"]["id"]}).json()
        assert other["total"] == 0
        assert client.get(path).json()["total"] == 2

    assert client.get(UNITS).json()["total"] == 6


def test_a_viewer_writes_nothing(client: TestClient, login: Any) -> None:
    world = make_world(client)
    commune = world["commune"]["id"]
    viewer = login("viewer", commune)
    position = world["commune_position"]["id"]
    area = world["commune_area"]["id"]
    person = world["person"]["id"]
    directive = world["directive"]["id"]
    term = {"person_id": person, "unit_id": commune}
    new_unit = {"code": "NEW", "name": "Mới", "kind": "party_cell", "parent_id": commune}
    directive_in = {"code": "X", "title": "x", "issuer": "x", "issued_on": "2020-01-01"}
    attempts = [
        viewer.post(UNITS, json=new_unit),
        viewer.patch(f"{UNITS}/{commune}", json={"name": "x"}),
        viewer.post(f"{UNITS}/{world['cell_a']['id']}/close", json={}),
        viewer.post(POSITIONS, json=term | {"post": "deputy_secretary"}),
        viewer.patch(f"{POSITIONS}/{position}", json={"note": "x"}),
        viewer.delete(f"{POSITIONS}/{position}"),
        viewer.post(AREAS, json=term),
        viewer.patch(f"{AREAS}/{area}", json={"note": "x"}),
        viewer.delete(f"{AREAS}/{area}"),
        viewer.post(PEOPLE, json={"full_name": "x"}),
        viewer.patch(f"{PEOPLE}/{person}", json={"full_name": "x"}),
        viewer.delete(f"{PEOPLE}/{person}"),
        viewer.post(DIRECTIVES, json=directive_in),
        viewer.patch(f"{DIRECTIVES}/{directive}", json={"title": "x"}),
        viewer.delete(f"{DIRECTIVES}/{directive}"),
    ]
    for response in attempts:
        assert_problem(response, 403)
    assert client.get(f"{UNITS}/{commune}").json() == world["commune"]
    assert client.get(f"{POSITIONS}/{position}").json() == world["commune_position"]
    assert client.get(f"{PEOPLE}/{person}").json() == world["person"]
    assert client.get(UNITS).json()["total"] == 6
    assert client.get(POSITIONS).json()["total"] == 2
    assert client.get(AREAS).json()["total"] == 2


def test_a_reporter_writes_no_units_terms_people_or_directives(
    client: TestClient, login: Any
) -> None:
    world = make_world(client)
    commune = world["commune"]["id"]
    reporter = login("reporter", commune)
    term = {"person_id": world["person"]["id"], "unit_id": commune}
    new_unit = {"code": "NEW", "name": "x", "kind": "party_cell", "parent_id": commune}
    attempts = [
        reporter.post(UNITS, json=new_unit),
        reporter.patch(f"{UNITS}/{world['cell_a']['id']}", json={"name": "x"}),
        reporter.post(f"{UNITS}/{world['cell_b']['id']}/close", json={}),
        reporter.post(POSITIONS, json=term | {"post": "deputy_secretary"}),
        reporter.patch(f"{POSITIONS}/{world['commune_position']['id']}", json={"note": "x"}),
        reporter.post(AREAS, json=term),
        reporter.post(PEOPLE, json={"full_name": "x"}),
        reporter.patch(f"{DIRECTIVES}/{world['directive']['id']}", json={"title": "x"}),
    ]
    for response in attempts:
        assert_problem(response, 403)
    assert client.get(UNITS).json()["total"] == 6
    assert client.get(f"{UNITS}/{world['cell_a']['id']}").json() == world["cell_a"]


def test_a_manager_writes_inside_its_subtree(client: TestClient, login: Any) -> None:
    world = make_world(client)
    district = world["district"]["id"]
    manager = login("manager", district)
    commune = {"code": "DX-MOI", "name": "Xã Mới", "kind": "commune_committee"}
    created = manager.post(UNITS, json=commune | {"parent_id": district})
    assert created.status_code == 201, created.text
    cell = {"code": "CB-MOI", "name": "Chi bộ Mới", "kind": "party_cell"}
    below = manager.post(UNITS, json=cell | {"parent_id": created.json()["id"]})
    assert below.status_code == 201
    assert manager.patch(f"{UNITS}/{district}", json={"name": "Huyện ủy"}).status_code == 200
    closed = manager.post(f"{UNITS}/{below.json()['id']}/close", json={})
    assert closed.status_code == 200

    person = manager.post(PEOPLE, json={"full_name": "Ngô Quốc Thể"})
    assert person.status_code == 201
    term = {"person_id": person.json()["id"], "unit_id": world["department"]["id"]}
    position = manager.post(POSITIONS, json=term | {"post": "department_deputy_head"})
    assert position.status_code == 201
    assert (
        manager.patch(f"{POSITIONS}/{position.json()['id']}", json={"note": "x"}).status_code == 200
    )
    assert manager.post(AREAS, json=term).status_code == 201
    assert manager.delete(f"{POSITIONS}/{position.json()['id']}").status_code == 204
    # Directives stay with admins.
    assert_problem(
        manager.patch(f"{DIRECTIVES}/{world['directive']['id']}", json={"title": "x"}), 403
    )


def test_a_manager_creates_no_root_and_nothing_under_a_sibling(
    client: TestClient, login: Any
) -> None:
    world = make_world(client)
    commune = world["commune"]["id"]
    manager = login("manager", commune)

    def new_unit(parent: str | None) -> Any:
        body = {"code": f"NEW-{parent}", "name": "Mới", "kind": "agency"}
        if parent is not None:
            body["parent_id"] = world[parent]["id"]
        return manager.post(UNITS, json=body)

    for parent in (None, "department", "district", "province"):
        assert_problem(new_unit(parent), 403)
    # A parent that does not exist is refused the same way: nothing is revealed.
    missing = manager.post(
        UNITS, json={"code": "X", "name": "x", "kind": "agency", "parent_id": 99999}
    )
    assert_problem(missing, 403)
    assert client.get(UNITS).json()["total"] == 6

    term = {"person_id": world["person"]["id"], "unit_id": world["department"]["id"]}
    assert_problem(manager.post(POSITIONS, json=term | {"post": "department_deputy_head"}), 403)
    assert_problem(manager.post(AREAS, json=term), 403)
    assert client.get(POSITIONS).json()["total"] == 2
    assert client.get(AREAS).json()["total"] == 2


def test_a_manager_cannot_move_a_unit_out_of_its_subtree(client: TestClient, login: Any) -> None:
    world = make_world(client)
    commune = world["commune"]["id"]
    cell_a = world["cell_a"]["id"]
    manager = login("manager", commune)
    for parent_id in (world["department"]["id"], world["district"]["id"], None):
        assert_problem(manager.patch(f"{UNITS}/{cell_a}", json={"parent_id": parent_id}), 403)
    # Not even the root of its own grant.
    for parent_id in (world["department"]["id"], None):
        assert_problem(manager.patch(f"{UNITS}/{commune}", json={"parent_id": parent_id}), 403)
    assert client.get(f"{UNITS}/{cell_a}").json() == world["cell_a"]
    assert client.get(f"{UNITS}/{commune}").json() == world["commune"]

    # Moving within the subtree is fine.
    committee = {"code": "DU-THON", "name": "Đảng ủy thôn", "kind": "grassroots_committee"}
    village = manager.post(UNITS, json=committee | {"parent_id": commune}).json()
    moved = manager.patch(f"{UNITS}/{cell_a}", json={"parent_id": village["id"]})
    assert moved.status_code == 200
    assert moved.json()["level"] == village["level"] + 1


def test_writes_to_records_out_of_sight_are_404(client: TestClient, login: Any) -> None:
    world = make_world(client)
    manager = login("manager", world["commune"]["id"])
    department = world["department"]["id"]
    attempts = [
        manager.patch(f"{UNITS}/{department}", json={"name": "x"}),
        manager.post(f"{UNITS}/{department}/close", json={}),
        manager.patch(f"{POSITIONS}/{world['department_position']['id']}", json={"note": "x"}),
        manager.delete(f"{POSITIONS}/{world['department_position']['id']}"),
        manager.patch(f"{AREAS}/{world['department_area']['id']}", json={"note": "x"}),
        manager.delete(f"{AREAS}/{world['department_area']['id']}"),
        # Moving a unit from elsewhere into the subtree: the unit is out of sight.
        manager.patch(f"{UNITS}/{department}", json={"parent_id": world["commune"]["id"]}),
    ]
    for response in attempts:
        assert_problem(response, 404)
    assert client.get(f"{UNITS}/{department}").json() == world["department"]
    assert client.get(POSITIONS).json()["total"] == 2


def test_a_record_readable_but_not_writable_is_403(client: TestClient, login: Any) -> None:
    """Viewer over the district, manager over the commune: the department can be read, not
    changed; the commune's cells can be changed."""
    world = make_world(client)
    caller = login("manager", world["commune"]["id"], username="thoa")
    me = caller.get("/api/v1/auth/me").json()
    grant = client.post(
        f"/api/v1/users/{me['user_id']}/grants",
        json={"role": "viewer", "unit_id": world["district"]["id"]},
    )
    assert grant.status_code == 201
    department = world["department"]["id"]
    assert caller.get(f"{UNITS}/{department}").status_code == 200
    assert caller.get(UNITS).json()["total"] == 5  # the district's subtree
    assert_problem(caller.patch(f"{UNITS}/{department}", json={"name": "x"}), 403)
    assert_problem(caller.post(f"{UNITS}/{department}/close", json={}), 403)
    position = world["department_position"]["id"]
    assert_problem(caller.patch(f"{POSITIONS}/{position}", json={"note": "x"}), 403)
    assert_problem(caller.delete(f"{POSITIONS}/{position}"), 403)
    # Into a unit it may only read, it may not move its own.
    moved = caller.patch(f"{UNITS}/{world['cell_a']['id']}", json={"parent_id": department})
    assert_problem(moved, 403)
    assert (
        caller.patch(f"{UNITS}/{world['cell_a']['id']}", json={"name": "Thôn A"}).status_code == 200
    )
    assert client.get(f"{UNITS}/{department}").json() == world["department"]


@pytest.mark.parametrize("role", ["manager", "reporter", "viewer"])
def test_only_admins_write_directives_and_everyone_reads_them(
    client: TestClient, login: Any, role: str
) -> None:
    world = make_world(client)
    caller = login(role, world["cell_a"]["id"])
    directive = world["directive"]
    path = f"{DIRECTIVES}/{directive['id']}"
    assert caller.get(path).json() == directive
    body = {"code": "99-CT/TW", "title": "x", "issuer": "x", "issued_on": "2020-01-01"}
    assert_problem(caller.post(DIRECTIVES, json=body), 403)
    assert_problem(caller.patch(path, json={"title": "x"}), 403)
    assert_problem(caller.delete(path), 403)
    assert client.get(path).json() == directive
    assert client.get(DIRECTIVES).json()["total"] == 1


def test_managers_anywhere_write_people(client: TestClient, login: Any) -> None:
    world = make_world(client)
    manager = login("manager", world["cell_a"]["id"])
    created = manager.post(PEOPLE, json={"full_name": "Nguyễn Văn Mới"})
    assert created.status_code == 201
    path = f"{PEOPLE}/{created.json()['id']}"
    assert manager.patch(path, json={"full_name": "Nguyễn Văn Cũ"}).status_code == 200
    assert manager.delete(path).status_code == 204
    # The shared person named on a department position is visible, but still protected by
    # its references.
    assert_problem(manager.delete(f"{PEOPLE}/{world['person']['id']}"), 409)


@pytest.mark.parametrize("path", [UNITS, POSITIONS, AREAS, "/api/v1/api-keys"])
def test_naming_a_unit_out_of_sight_reveals_nothing(
    client: TestClient, login: Any, path: str
) -> None:
    """As for a unit's parent: 403 whether the named unit exists out of scope or not at all,
    never a 422 or 409 that tells the two apart (or tells the unit's kind)."""
    world = make_world(client)
    manager = login("manager", world["commune"]["id"])
    person = world["person"]["id"]
    bodies = {
        UNITS: lambda unit: {"code": "NEW", "name": "x", "kind": "agency", "parent_id": unit},
        POSITIONS: lambda unit: {"person_id": person, "unit_id": unit, "post": "cell_secretary"},
        AREAS: lambda unit: {"person_id": person, "unit_id": unit},
        "/api/v1/api-keys": lambda unit: {"name": "k", "role": "viewer", "unit_id": unit},
    }
    for unit in (world["department"]["id"], 99999):
        body = assert_problem(manager.post(path, json=bodies[path](unit)), 403)
        assert str(unit) in body["detail"]
