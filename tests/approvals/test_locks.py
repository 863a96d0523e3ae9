"""The lock (issue 13, item 4): while a unit's period is approved, every write that would change a
figure of that unit, or of a unit below it, for that period answers 409 `/problems/period-locked`
naming the approval, and changes nothing; after a withdrawal, or under a lock exception, the same
writes go through.

The write endpoints are enumerated from the OpenAPI document: each one is either exercised here
against a locked period (LOCKED) or listed as touching no period's figures, with the reason
(NOT_PERIOD_FIGURES). A new write endpoint fails the enumeration test until it is placed.

The tree is make_tree's plus three empty cells (C, D, E) under the commune and a second commune
under the district; the figures are of 2025, in the cells below the commune.
"""

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.core.config import settings
from tests.factories import (
    assert_problem,
    commitment_body,
    make_admitted,
    make_candidate,
    make_commitment,
    make_directive,
    make_discipline,
    make_outcome,
    make_target,
    make_tree,
    make_unit,
    outcome_body,
)
from tests.helpers import AUDIT, Clock, ok

API = "/api/v1"
APPROVALS = f"{API}/approvals"
PERIOD = "2025"
TODAY = date(2026, 2, 10)
LOCKED_TYPE = "/problems/period-locked"

World = dict[str, Any]
Call = Callable[[TestClient, World], Any]


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def _evaluation(client: TestClient, unit: dict[str, Any]) -> dict[str, Any]:
    body = {"unit_id": unit["id"], "year": 2025, "grade": "good"}
    created: dict[str, Any] = ok(client.post(f"{API}/evaluations", json=body), 201)
    return created


def make_world(client: TestClient) -> World:
    world: World = make_tree(client)
    world["directive"] = make_directive(client)
    commune = world["commune"]
    for name in ("cell_c", "cell_d", "cell_e"):
        world[name] = make_unit(client, kind="party_cell", parent_id=commune["id"])
    world["other"] = make_unit(client, parent_id=world["district"]["id"])
    cell_a = world["cell_a"]
    world["outcome"] = make_outcome(client, cell_a, "2025-01-01", "2025-03-31", admitted=2)
    world["target"] = make_target(client, cell_a, year=2025, target=3)
    world["candidate"] = make_candidate(client, cell_a, "2025-01-05")
    world["draft"] = make_commitment(
        client, world, "draft", unit="cell_a", superior="commune", year=2025
    )
    world["accepted"] = make_commitment(
        client, world, "accepted", unit="cell_a", superior="commune", year=2025
    )
    world["evaluation_a"] = _evaluation(client, cell_a)
    ok(
        client.post(
            f"{API}/evaluations/{world['evaluation_a']['id']}/proposal", json={"grade": "good"}
        )
    )
    world["evaluation_b"] = _evaluation(client, world["cell_b"])
    world["discipline"] = make_discipline(client, cell_a, commune, decided_on="2025-05-04")
    return world


def submit(client: TestClient, unit: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(APPROVALS, json={"unit_id": unit["id"], "period": PERIOD}), 201
    )
    return created


def step(client: TestClient, approval: dict[str, Any], action: str, **fields: Any) -> Any:
    return ok(
        client.post(f"{APPROVALS}/{approval['id']}/transitions", json={"action": action} | fields)
    )


CELLS = ("cell_a", "cell_b", "cell_c", "cell_d", "cell_e")


def approve_commune(client: TestClient, world: World) -> dict[str, Any]:
    approvals = {}
    for name in (*CELLS, "commune"):
        approvals[name] = step(client, submit(client, world[name]), "approve")
    return approvals


def withdraw_all(client: TestClient, approvals: dict[str, Any]) -> None:
    """Top-down: the commune's first."""
    for name in ("commune", *CELLS):
        step(client, approvals[name], "withdraw", reason="Rà soát lại số liệu")


def _id(world: World, name: str) -> int:
    return int(world[name]["id"])


# Each write endpoint that changes a period's figures, called on a figure of 2025 below the
# commune; each call succeeds once nothing locks it.
LOCKED: dict[tuple[str, str], Call] = {
    ("POST", "/recruitment/outcomes"): lambda c, w: c.post(
        f"{API}/recruitment/outcomes",
        json={
            "unit_id": _id(w, "cell_a"),
            "period_start": "2025-04-01",
            "period_end": "2025-06-30",
            "admitted": 1,
        },
    ),
    ("PATCH", "/recruitment/outcomes/{outcome_id}"): lambda c, w: c.patch(
        f"{API}/recruitment/outcomes/{_id(w, 'outcome')}", json={"admitted": 7}
    ),
    ("DELETE", "/recruitment/outcomes/{outcome_id}"): lambda c, w: c.delete(
        f"{API}/recruitment/outcomes/{_id(w, 'outcome')}"
    ),
    ("POST", "/recruitment/targets"): lambda c, w: c.post(
        f"{API}/recruitment/targets", json={"unit_id": _id(w, "cell_b"), "year": 2025, "target": 2}
    ),
    ("PATCH", "/recruitment/targets/{target_id}"): lambda c, w: c.patch(
        f"{API}/recruitment/targets/{_id(w, 'target')}", json={"target": 4}
    ),
    ("DELETE", "/recruitment/targets/{target_id}"): lambda c, w: c.delete(
        f"{API}/recruitment/targets/{_id(w, 'target')}"
    ),
    ("POST", "/recruitment/allocations"): lambda c, w: c.post(
        f"{API}/recruitment/allocations",
        json={
            "parent_id": _id(w, "commune"),
            "year": 2025,
            "targets": [{"unit_id": _id(w, "cell_c"), "target": 1}],
        },
    ),
    ("POST", "/recruitment/candidates"): lambda c, w: c.post(
        f"{API}/recruitment/candidates",
        json={
            "unit_id": _id(w, "cell_a"),
            "full_name": "Trần Văn Nguồn",
            "source_since": "2025-03-01",
        },
    ),
    ("POST", "/recruitment/candidates/{candidate_id}/transitions"): lambda c, w: c.post(
        f"{API}/recruitment/candidates/{_id(w, 'candidate')}/transitions",
        json={"action": "complete_course", "on": "2025-04-01"},
    ),
    ("POST", "/commitments"): lambda c, w: c.post(
        f"{API}/commitments", json=commitment_body(w, unit="cell_a", superior="commune", year=2025)
    ),
    ("PATCH", "/commitments/{commitment_id}"): lambda c, w: c.patch(
        f"{API}/commitments/{_id(w, 'draft')}", json={"title": "Tạo nguồn kết nạp đảng viên"}
    ),
    ("POST", "/commitments/{commitment_id}/transitions"): lambda c, w: c.post(
        f"{API}/commitments/{_id(w, 'draft')}/transitions", json={"action": "register"}
    ),
    ("POST", "/commitments/{commitment_id}/progress-updates"): lambda c, w: c.post(
        f"{API}/commitments/{_id(w, 'accepted')}/progress-updates",
        json={"reported_on": "2025-12-20", "progress_percent": 60, "note": "Đã kết nạp 2"},
    ),
    ("POST", "/evaluations"): lambda c, w: c.post(
        f"{API}/evaluations", json={"unit_id": _id(w, "cell_c"), "year": 2025, "grade": "good"}
    ),
    ("PATCH", "/evaluations/{evaluation_id}"): lambda c, w: c.patch(
        f"{API}/evaluations/{_id(w, 'evaluation_b')}", json={"note": "Bổ sung minh chứng"}
    ),
    ("POST", "/evaluations/{evaluation_id}/proposal"): lambda c, w: c.post(
        f"{API}/evaluations/{_id(w, 'evaluation_b')}/proposal", json={"grade": "good"}
    ),
    ("POST", "/evaluations/{evaluation_id}/decision"): lambda c, w: c.post(
        f"{API}/evaluations/{_id(w, 'evaluation_a')}/decision", json={"grade": "good"}
    ),
    ("POST", "/disciplines"): lambda c, w: c.post(
        f"{API}/disciplines",
        json={
            "unit_id": _id(w, "cell_a"),
            "form": "reprimand",
            "decision_number": "07-QĐ/ĐU",
            "decided_on": "2025-06-01",
            "issued_by_id": _id(w, "commune"),
        },
    ),
    ("PATCH", "/disciplines/{discipline_id}"): lambda c, w: c.patch(
        f"{API}/disciplines/{_id(w, 'discipline')}", json={"reason": "Vi phạm quy chế"}
    ),
    ("DELETE", "/disciplines/{discipline_id}"): lambda c, w: c.delete(
        f"{API}/disciplines/{_id(w, 'discipline')}"
    ),
    ("PATCH", "/units/{unit_id}"): lambda c, w: c.patch(
        f"{API}/units/{_id(w, 'cell_c')}",
        json={"parent_id": _id(w, "other"), "effective_on": "2025-10-01"},
    ),
    ("POST", "/units/{unit_id}/close"): lambda c, w: c.post(
        f"{API}/units/{_id(w, 'cell_e')}/close", json={"valid_to": "2025-11-01"}
    ),
    ("POST", "/reorganisations"): lambda c, w: c.post(
        f"{API}/reorganisations",
        json={
            "effective_on": "2025-10-01",
            "legal_basis": ["Quyết định 01-QĐ/HU"],
            "operations": [{"op": "move", "unit": _id(w, "cell_d"), "parent": _id(w, "other")}],
        },
    ),
}

# Write endpoints that change no figure of a period, and why.
NOT_PERIOD_FIGURES: dict[tuple[str, str], str] = {
    ("POST", "/auth/token"): "signing in",
    ("POST", "/auth/password"): "a user's own password",
    ("POST", "/units"): "a new unit holds no figures; it is expected from its periods on",
    ("POST", "/units/{unit_id}/corrections"): "a version's code, name or kind, not a figure",
    ("POST", "/directives"): "directives are shared by the whole tree, undated figures",
    ("PATCH", "/directives/{directive_id}"): "as above",
    ("DELETE", "/directives/{directive_id}"): "as above",
    ("POST", "/people"): "people are shared by the whole tree",
    ("PATCH", "/people/{person_id}"): "as above",
    ("DELETE", "/people/{person_id}"): "as above",
    ("POST", "/positions"): "posts held, not reported figures",
    ("PATCH", "/positions/{position_id}"): "as above",
    ("DELETE", "/positions/{position_id}"): "as above",
    ("POST", "/areas-of-charge"): "areas of charge, not reported figures",
    ("PATCH", "/areas-of-charge/{area_id}"): "as above",
    ("DELETE", "/areas-of-charge/{area_id}"): "as above",
    ("PATCH", "/recruitment/candidates/{candidate_id}"): "personal details; dated steps are "
    "transitions, which are locked",
    ("POST", "/criteria-sets"): "the framework of a year; an evaluation keeps the "
    "criteria it was scored on",
    ("PATCH", "/criteria-sets/{criteria_set_id}"): "as above",
    ("POST", "/evaluation-caps"): "bounds decisions to come; decided grades are locked",
    ("PATCH", "/evaluation-caps/{cap_id}"): "as above",
    ("POST", "/users"): "accounts",
    ("PATCH", "/users/{user_id}"): "accounts",
    ("POST", "/users/{user_id}/grants"): "accounts",
    ("DELETE", "/users/{user_id}/grants/{grant_id}"): "accounts",
    ("POST", "/api-keys"): "credentials",
    ("POST", "/api-keys/{key_id}/revoke"): "credentials",
    ("POST", "/approvals"): "the approval workflow itself",
    ("POST", "/approvals/{approval_id}/transitions"): "the approval workflow itself",
    ("POST", "/lock-exceptions"): "the approval workflow itself",
    ("POST", "/webhooks"): "subscriptions to events, not figures",
    ("PATCH", "/webhooks/{webhook_id}"): "as above",
    ("DELETE", "/webhooks/{webhook_id}"): "as above",
    ("POST", "/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"): "as above",
    ("POST", "/imports"): "each row goes through a write above and is locked there: a row of a "
    "locked period is refused (tests/imports/test_imports.py)",
}


def test_every_write_endpoint_is_locked_or_listed(app: FastAPI) -> None:
    writes = {
        (method.upper(), path.removeprefix(API))
        for path, operations in app.openapi()["paths"].items()
        for method in operations
        if method in {"post", "put", "patch", "delete"}
    }
    assert not set(LOCKED) & set(NOT_PERIOD_FIGURES)
    assert writes == set(LOCKED) | set(NOT_PERIOD_FIGURES), (
        "place each new write endpoint in LOCKED (exercised against a locked period) or in "
        f"NOT_PERIOD_FIGURES: {sorted(writes ^ (set(LOCKED) | set(NOT_PERIOD_FIGURES)))}"
    )


def _state(client: TestClient, world: World) -> dict[str, Any]:
    """What the locked writes could change: the records and the lists they live in, and the
    audit trail."""
    records = {
        "outcome": f"{API}/recruitment/outcomes/{_id(world, 'outcome')}",
        "target": f"{API}/recruitment/targets/{_id(world, 'target')}",
        "candidate": f"{API}/recruitment/candidates/{_id(world, 'candidate')}",
        "draft": f"{API}/commitments/{_id(world, 'draft')}",
        "accepted": f"{API}/commitments/{_id(world, 'accepted')}",
        "evaluation_a": f"{API}/evaluations/{_id(world, 'evaluation_a')}",
        "evaluation_b": f"{API}/evaluations/{_id(world, 'evaluation_b')}",
        "discipline": f"{API}/disciplines/{_id(world, 'discipline')}",
        **{name: f"{API}/units/{_id(world, name)}" for name in CELLS},
    }
    state = {name: ok(client.get(path)) for name, path in records.items()}
    for path in (
        "/recruitment/outcomes",
        "/recruitment/targets",
        "/recruitment/candidates",
        "/commitments",
        "/evaluations",
        "/disciplines",
        "/reorganisations",
    ):
        state[path] = ok(client.get(f"{API}{path}", params={"limit": 500, "count": "exact"}))[
            "total"
        ]
    state["audit"] = ok(client.get(AUDIT, params={"limit": 1, "count": "exact"}))["total"]
    state["commune_2025"] = ok(
        client.get(
            f"{API}/units/{_id(world, 'commune')}/recruitment",
            params={"from_year": 2025, "to_year": 2025},
        )
    )
    return state


def test_every_write_of_an_approved_period_is_refused_then_accepted_after_withdrawal(
    client: TestClient,
) -> None:
    world = make_world(client)
    approvals = approve_commune(client, world)
    before = _state(client, world)
    for (method, path), call in LOCKED.items():
        problem = assert_problem(call(client, world), 409)
        assert problem["type"] == LOCKED_TYPE, (method, path, problem)
        named = problem["approval"]
        assert named["period"] == PERIOD, (method, path)
        assert named["id"] in {a["id"] for a in approvals.values()}, (method, path)
        assert str(named["id"]) in problem["detail"]
    assert _state(client, world) == before

    withdraw_all(client, approvals)
    for (method, path), call in LOCKED.items():
        response = call(client, world)
        assert response.status_code in {200, 201, 204}, (method, path, response.text)


def test_an_approval_above_locks_the_units_below_it(client: TestClient) -> None:
    """A refusal names the nearest approval (the cell's own); the department, beside the commune,
    is not locked by the commune's approval, nor is another period."""
    world = make_world(client)
    approvals = approve_commune(client, world)
    outcome = LOCKED[("POST", "/recruitment/outcomes")]
    assert (
        assert_problem(outcome(client, world), 409)["approval"]["id"] == approvals["cell_a"]["id"]
    )
    make_outcome(client, world["department"], "2025-04-01", "2025-06-30")
    # 2026 is another period.
    make_outcome(client, world["cell_a"], "2026-01-01", "2026-01-31")
    # A period that only straddles into 2025 meets it.
    body = {
        "unit_id": _id(world, "cell_a"),
        "period_start": "2024-07-01",
        "period_end": "2025-01-31",
        "admitted": 1,
    }
    assert_problem(client.post(f"{API}/recruitment/outcomes", json=body), 409)


def test_a_lock_exception_lets_one_unit_write_until_its_end(
    client: TestClient, login: Any, clock: Clock
) -> None:
    world = make_world(client)
    approvals = approve_commune(client, world)
    commune_manager = login("manager", _id(world, "commune"))
    cell_manager = login("manager", _id(world, "cell_a"))
    body = {
        "unit_id": _id(world, "cell_a"),
        "period": PERIOD,
        "until": "2026-02-20",
        "reason": "Bổ sung kết quả kết nạp quý IV",
    }
    assert_problem(cell_manager.post(f"{APPROVALS}/exceptions", json=body), 403)
    assert_problem(
        commune_manager.post(f"{APPROVALS}/exceptions", json=body | {"until": "2026-02-01"}), 422
    )
    exception = ok(commune_manager.post(f"{APPROVALS}/exceptions", json=body), 201)
    assert exception["granted_by"] == "manager-" + str(_id(world, "commune")) + "-0"
    assert ok(cell_manager.get(f"{APPROVALS}/exceptions/{exception['id']}")) == exception
    listed = ok(
        client.get(
            f"{APPROVALS}/exceptions", params={"root_id": _id(world, "commune"), "period": PERIOD}
        )
    )
    assert [e["id"] for e in listed["items"]] == [exception["id"]]
    assert [
        row["action"]
        for row in ok(client.get(AUDIT, params={"entity_type": "lock_exception"}))["items"]
    ] == ["create"]

    write = LOCKED[("POST", "/recruitment/outcomes")]
    ok(write(client, world), 201)
    # Only the unit named: cell B stays locked by the commune's approval.
    assert_problem(LOCKED[("POST", "/recruitment/targets")](client, world), 409)
    clock.day = date(2026, 2, 21)
    assert assert_problem(write(client, world), 409)["type"] == LOCKED_TYPE
    assert approvals["commune"]["status"] == "approved"


def test_entry_closes_days_after_the_period_unless_excepted(
    client: TestClient, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CAMKET_APPROVAL_ENTRY_CLOSES_DAYS (unset by default): entry of a year's figures closes
    that many days after the year, approved or not, unless a lock exception covers the unit."""
    monkeypatch.setattr(settings, "approval_entry_closes_days", 30)
    world = make_tree(client)
    cell = world["cell_a"]
    clock.day = date(2026, 1, 30)  # the 30th day after 2025
    make_outcome(client, cell, "2025-10-01", "2025-10-31")
    clock.day = date(2026, 1, 31)
    closed = assert_problem(
        client.post(
            f"{API}/recruitment/outcomes", json=outcome_body(cell, "2025-11-01", "2025-11-30")
        ),
        409,
    )
    assert (closed["type"], closed["period"], closed["closed_on"]) == (
        "/problems/entry-closed",
        "2025",
        "2026-01-31",
    )
    make_outcome(client, cell, "2026-01-01", "2026-01-31")  # this year's stay open
    exception = {
        "unit_id": cell["id"],
        "period": "2025",
        "until": "2026-02-05",
        "reason": "Nhập bổ sung",
    }
    ok(client.post(f"{APPROVALS}/exceptions", json=exception), 201)
    make_outcome(client, cell, "2025-11-01", "2025-11-30")
    assert_problem(
        client.post(
            f"{API}/recruitment/targets",
            json={"unit_id": world["cell_b"]["id"], "year": 2025, "target": 1},
        ),
        409,
    )


def test_a_late_recognition_cannot_make_an_approved_year_official(client: TestClient) -> None:
    """Probation ended in 2025, which is approved; the recognition decided in 2026 would date
    the member official in 2025 (Guidance 06-HD/TW): refused while 2025 stands approved."""
    world = make_world(client)
    member = make_admitted(client, world["cell_b"], date(2024, 11, 4))
    url = f"{API}/recruitment/candidates/{member['id']}/transitions"
    ok(client.post(url, json={"action": "hold_ceremony", "on": "2024-11-20"}))
    approvals = approve_commune(client, world)
    recognise = {"action": "recognise", "on": "2026-01-15"}
    problem = client.post(url, json=recognise)
    assert problem.status_code == 409, problem.text
    assert problem.json()["type"] == "/problems/period-locked"
    assert ok(client.get(f"{API}/recruitment/candidates/{member['id']}"))["stage"] == "admitted"
    withdraw_all(client, approvals)
    official = ok(client.post(url, json=recognise))
    assert (official["official_on"], official["recognised_on"]) == ("2025-11-20", "2026-01-15")
