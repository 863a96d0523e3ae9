"""Disciplinary decisions against an organisation or a person, through the API: the forms each
may take, personal data read only in scope, the usual conventions (Location, ETag, If-Match,
Idempotency-Key, audit, problem+json), and the counts on the scorecard.

The tree is make_tree's: province → district → (department, commune → cells A and B).
"""

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_discipline, make_person, make_tree
from tests.helpers import AUDIT, audit, ok, total

DISCIPLINES = "/api/v1/disciplines"


def state(client: TestClient) -> tuple[Any, ...]:
    return ok(client.get(DISCIPLINES, params={"limit": 500})), total(
        client, AUDIT, entity_type="discipline"
    )


def test_record_a_decision_against_a_person_and_an_organisation(client: TestClient) -> None:
    world = make_tree(client)
    person = make_person(client)
    body = {
        "unit_id": world["cell_a"]["id"],
        "person_id": person["id"],
        "form": "expulsion",
        "decision_number": "  12-QĐ/ĐU ",
        "decided_on": "2026-03-02",
        "issued_by_id": world["commune"]["id"],
        "reason": "Vi phạm quy định về quản lý đất đai",
    }
    response = client.post(DISCIPLINES, json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["location"].endswith(f"{DISCIPLINES}/{made['id']}")
    assert response.headers["etag"] == '"1"'
    assert (made["form"], made["form_label"], made["decision_number"]) == (
        "expulsion",
        "Khai trừ",
        "12-QĐ/ĐU",
    )
    assert ok(client.get(response.headers["location"])) == made
    unit = make_discipline(client, world["cell_b"], world["district"], form="dissolution")
    assert (unit["person_id"], unit["form_label"]) == (None, "Giải tán")
    rows = audit(client, "discipline")
    assert [(r["action"], r["entity_id"], r["unit_id"]) for r in rows] == [
        ("create", made["id"], world["cell_a"]["id"]),
        ("create", unit["id"], world["cell_b"]["id"]),
    ]
    enums = ok(client.get("/api/v1/meta/enums"))
    assert {v["value"]: v["label"] for v in enums["discipline_form"]} == {
        "reprimand": "Khiển trách",
        "warning": "Cảnh cáo",
        "dismissal": "Cách chức",
        "expulsion": "Khai trừ",
        "dissolution": "Giải tán",
    }


INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("a person dissolved", {"person_id": "PERSON", "form": "dissolution"}, "form"),
    ("an organisation expelled", {"form": "expulsion"}, "form"),
    ("an organisation dismissed", {"form": "dismissal"}, "form"),
    ("an unknown form", {"form": "exile"}, "form"),
    ("no number", {"decision_number": ""}, "decision_number"),
    ("no date", {"decided_on": None}, "decided_on"),
    ("a date as a number", {"decided_on": 20260302}, "decided_on"),
    ("an unknown unit", {"unit_id": 99999}, "unit_id"),
    ("an unknown committee", {"issued_by_id": 99999}, "issued_by_id"),
    ("an unknown person", {"person_id": 99999}, "person_id"),
    ("an unknown field", {"severity": 3}, "severity"),
]


@pytest.mark.parametrize(("case", "change", "field"), INVALID, ids=[c[0] for c in INVALID])
def test_bad_decisions_are_422_and_change_nothing(
    client: TestClient, case: str, change: dict[str, Any], field: str
) -> None:
    world = make_tree(client)
    person = make_person(client)
    before = state(client)
    body = {
        "unit_id": world["cell_a"]["id"],
        "form": "warning",
        "decision_number": "1-QĐ",
        "decided_on": "2026-03-02",
        "issued_by_id": world["commune"]["id"],
    } | {k: (person["id"] if v == "PERSON" else v) for k, v in change.items()}
    problem = assert_problem(client.post(DISCIPLINES, json=body), 422)
    assert any(e["loc"][:2] == ["body", field] for e in problem["errors"]), problem["errors"]
    assert state(client) == before


def test_a_persons_discipline_is_read_only_in_scope(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    person = make_person(client)
    made = make_discipline(
        client, world["cell_a"], world["commune"], person_id=person["id"], form="reprimand"
    )
    path = f"{DISCIPLINES}/{made['id']}"
    for reader in ("cell_a", "commune", "district"):
        viewer = login("viewer", world[reader]["id"])
        assert ok(viewer.get(path)) == made
        assert [d["id"] for d in ok(viewer.get(DISCIPLINES))["items"]] == [made["id"]]
    for outsider in ("cell_b", "department"):
        viewer = login("manager", world[outsider]["id"])
        assert_problem(viewer.get(path), 404)
        assert ok(viewer.get(DISCIPLINES))["total"] == 0
        assert ok(viewer.get(DISCIPLINES, params={"person_id": person["id"]}))["total"] == 0
        before = state(client)
        assert_problem(viewer.patch(path, json={"form": "warning"}), 404)
        assert_problem(viewer.delete(path), 404)
        assert state(client) == before
    assert_problem(client.get(f"{DISCIPLINES}/99999"), 404)


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("manager", "commune", 201),  # both the cell's and the issuing committee's
        ("manager", "cell_a", 403),  # not the issuing committee's
        ("reporter", "commune", 403),
        ("viewer", "commune", 403),
    ],
)
def test_who_records_a_decision(
    client: TestClient, login: Any, role: str, unit: str, status: int
) -> None:
    world = make_tree(client)
    caller = login(role, world[unit]["id"])
    body = {
        "unit_id": world["cell_a"]["id"],
        "form": "warning",
        "decision_number": "1-QĐ",
        "decided_on": "2026-03-02",
        "issued_by_id": world["commune"]["id"],
    }
    response = caller.post(DISCIPLINES, json=body)
    if status == 201:
        assert response.status_code == 201, response.text
    else:
        assert_problem(response, status)
        assert state(client) == (
            {"items": [], "total": 0, "limit": 500, "offset": 0, "next_cursor": None},
            0,
        )


def test_correct_and_delete_a_decision(client: TestClient) -> None:
    world = make_tree(client)
    person = make_person(client)
    made = make_discipline(client, world["cell_a"], world["commune"], person_id=person["id"])
    path = f"{DISCIPLINES}/{made['id']}"
    changed = client.patch(
        path, json={"form": "dismissal", "decided_on": "2026-04-01"}, headers={"If-Match": '"1"'}
    )
    assert ok(changed)["form"] == "dismissal"
    assert changed.headers["etag"] == '"2"'
    before = state(client)
    assert_problem(client.patch(path, json={"form": "warning"}, headers={"If-Match": '"1"'}), 412)
    assert_problem(client.patch(path, json={"form": "dissolution"}), 422)
    assert_problem(client.patch(path, json={"person_id": None}), 422)  # whom it concerns stays
    assert_problem(client.patch(path, json={"issued_by_id": 99999}), 422)
    assert state(client) == before
    assert client.delete(path, headers={"If-Match": '"2"'}).status_code == 204
    assert_problem(client.get(path), 404)
    assert [r["action"] for r in audit(client, "discipline", made["id"])] == [
        "create",
        "update",
        "delete",
    ]


def test_a_retried_create_is_not_made_twice(client: TestClient) -> None:
    world = make_tree(client)
    body = {
        "unit_id": world["cell_a"]["id"],
        "form": "warning",
        "decision_number": "1-QĐ",
        "decided_on": "2026-03-02",
        "issued_by_id": world["commune"]["id"],
    }
    headers = {"Idempotency-Key": "ky-luat-1"}
    first = client.post(DISCIPLINES, json=body, headers=headers)
    again = client.post(DISCIPLINES, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    assert ok(client.get(DISCIPLINES))["total"] == 1


def test_a_closed_unit_takes_no_later_decision(client: TestClient) -> None:
    world = make_tree(client)
    closed = client.post(
        f"/api/v1/units/{world['cell_b']['id']}/close", json={"valid_to": "2026-01-01"}
    )
    assert closed.status_code == 200, closed.text
    before = state(client)
    body = {
        "unit_id": world["cell_b"]["id"],
        "form": "dissolution",
        "decision_number": "1-QĐ",
        "decided_on": "2026-03-02",
        "issued_by_id": world["commune"]["id"],
    }
    assert_problem(client.post(DISCIPLINES, json=body), 409)
    assert state(client) == before
    ok(client.post(DISCIPLINES, json=body | {"decided_on": "2025-12-31"}), 201)


def test_the_scorecard_counts_the_disciplined(client: TestClient) -> None:
    world = make_tree(client)
    leader, member = make_person(client), make_person(client)
    ok(
        client.post(
            "/api/v1/positions",
            json={
                "person_id": leader["id"],
                "unit_id": world["commune"]["id"],
                "post": "secretary",
            },
        ),
        201,
    )
    make_discipline(client, world["cell_a"], world["commune"])
    make_discipline(client, world["cell_a"], world["commune"], form="reprimand")  # same cell
    make_discipline(client, world["cell_b"], world["commune"], decided_on="2025-06-01")
    make_discipline(client, world["commune"], world["district"], person_id=leader["id"])
    make_discipline(client, world["cell_a"], world["commune"], person_id=member["id"])
    card = ok(
        client.get(f"/api/v1/units/{world['commune']['id']}/scorecard", params={"year": 2026})
    )
    assert (card["disciplined_organisations"], card["disciplined_leaders"]) == (1, 1)
    card = ok(
        client.get(f"/api/v1/units/{world['commune']['id']}/scorecard", params={"year": 2025})
    )
    assert (card["disciplined_organisations"], card["disciplined_leaders"]) == (1, 0)
    card = ok(
        client.get(f"/api/v1/units/{world['district']['id']}/scorecard", params={"year": 2026})
    )
    assert (card["disciplined_organisations"], card["disciplined_leaders"]) == (1, 0)
