"""Approvals of a unit's figures for a period (issue 13, item 4): submission by the unit, approval
bottom-up by its superior, return and withdrawal with a reason, scope, and bad input.

The tree is make_tree's: province → district → (department, commune → cells A and B). The period
is 2025, over by the test's today.
"""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_tree
from tests.helpers import Clock, actions, ids, ok

APPROVALS = "/api/v1/approvals"
PERIOD = "2025"
TODAY = date(2026, 2, 10)


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def submit(client: TestClient, unit: dict[str, Any], period: str = PERIOD) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(APPROVALS, json={"unit_id": unit["id"], "period": period}), 201
    )
    return created


def step(client: TestClient, approval: dict[str, Any], action: str, **fields: Any) -> Any:
    return client.post(
        f"{APPROVALS}/{approval['id']}/transitions", json={"action": action} | fields
    )


def approve(client: TestClient, approval: dict[str, Any]) -> dict[str, Any]:
    approved: dict[str, Any] = ok(step(client, approval, "approve"))
    assert approved["status"] == "approved"
    return approved


def approve_up_to_commune(client: TestClient, world: dict[str, Any]) -> dict[str, Any]:
    """Cells A and B, then the commune, approved for 2025; the approvals by unit name."""
    approvals = {name: submit(client, world[name]) for name in ("cell_a", "cell_b", "commune")}
    return {name: approve(client, approval) for name, approval in approvals.items()}


def test_bottom_up_the_children_first_then_the_commune(client: TestClient) -> None:
    world = make_tree(client)
    commune = submit(client, world["commune"])
    assert commune["status"] == "submitted"
    assert commune["superior_id"] == world["district"]["id"]
    assert commune["period_kind"] == "year"
    assert (commune["period_start"], commune["period_end"]) == ("2025-01-01", "2025-12-31")

    refused = assert_problem(step(client, commune, "approve"), 409)
    assert refused["missing_unit_ids"] == [world["cell_a"]["id"], world["cell_b"]["id"]]
    assert str(world["cell_a"]["id"]) in refused["detail"]

    cell_a = approve(client, submit(client, world["cell_a"]))
    assert cell_a["superior_id"] == world["commune"]["id"]
    refused = assert_problem(step(client, commune, "approve"), 409)
    assert refused["missing_unit_ids"] == [world["cell_b"]["id"]]

    approve(client, submit(client, world["cell_b"]))
    approved = approve(client, commune)
    assert approved["decided_by"] == "admin"
    # Nothing below the district's other child (the department) is asked of the commune, but the
    # district waits for the department.
    district = submit(client, world["district"])
    missing = assert_problem(step(client, district, "approve"), 409)["missing_unit_ids"]
    assert missing == [world["department"]["id"]]
    assert actions(client, "approval", commune["id"]) == ["create", "approve"]


def test_return_resubmit_withdraw_with_reasons(client: TestClient) -> None:
    world = make_tree(client)
    cell = submit(client, world["cell_a"])
    assert_problem(step(client, cell, "return"), 422)  # no reason
    returned = ok(step(client, cell, "return", reason="Thiếu số liệu quần chúng ưu tú"))
    assert (returned["status"], returned["reason"]) == (
        "returned",
        "Thiếu số liệu quần chúng ưu tú",
    )
    assert_problem(step(client, cell, "approve"), 409)  # only a submission is approved
    assert ok(step(client, cell, "resubmit"))["status"] == "submitted"
    approve(client, cell)
    assert_problem(step(client, cell, "resubmit"), 409)
    assert_problem(step(client, cell, "withdraw"), 422)
    withdrawn = ok(step(client, cell, "withdraw", reason="Sai số kết nạp"))
    assert (withdrawn["status"], withdrawn["reason"]) == ("withdrawn", "Sai số kết nạp")
    assert actions(client, "approval", cell["id"]) == [
        "create",
        "return",
        "resubmit",
        "approve",
        "withdraw",
    ]
    # A second submission of the same unit and period is the same approval's.
    assert_problem(
        client.post(APPROVALS, json={"unit_id": world["cell_a"]["id"], "period": PERIOD}), 409
    )


def test_a_child_is_not_withdrawn_under_its_superiors_approval(client: TestClient) -> None:
    world = make_tree(client)
    approvals = approve_up_to_commune(client, world)
    refused = assert_problem(step(client, approvals["cell_a"], "withdraw", reason="x"), 409)
    assert refused["approval"]["id"] == approvals["commune"]["id"]
    ok(step(client, approvals["commune"], "withdraw", reason="Rà soát lại"))
    ok(step(client, approvals["cell_a"], "withdraw", reason="Rà soát lại"))


def test_who_may_submit_approve_and_withdraw(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    cell_manager = login("manager", world["cell_a"]["id"])
    commune_manager = login("manager", world["commune"]["id"])
    district_manager = login("manager", world["district"]["id"])
    commune_reporter = login("reporter", world["commune"]["id"])
    outsider = login("manager", world["department"]["id"])

    assert_problem(
        cell_manager.post(APPROVALS, json={"unit_id": world["cell_b"]["id"], "period": PERIOD}), 403
    )
    assert_problem(
        outsider.post(APPROVALS, json={"unit_id": world["cell_a"]["id"], "period": PERIOD}), 403
    )
    cell = submit(cell_manager, world["cell_a"])
    # The unit's own managers do not approve it; the superior's reporters neither.
    assert_problem(step(cell_manager, cell, "approve"), 403)
    assert_problem(step(commune_reporter, cell, "approve"), 403)
    # Outside the grants the approval does not exist.
    assert_problem(outsider.get(f"{APPROVALS}/{cell['id']}"), 404)
    assert_problem(step(outsider, cell, "approve"), 404)
    assert ids(outsider.get(APPROVALS)) == []
    approve(commune_manager, cell)
    # The approver's superior may withdraw it too.
    assert (
        ok(step(district_manager, cell, "withdraw", reason="Kiểm tra lại"))["status"] == "withdrawn"
    )
    assert ok(step(cell_manager, cell, "resubmit"))["status"] == "submitted"
    assert ids(cell_manager.get(APPROVALS, params={"period": PERIOD})) == [cell["id"]]
    assert ids(district_manager.get(APPROVALS, params={"root_id": world["commune"]["id"]})) == [
        cell["id"]
    ]
    assert_problem(outsider.get(APPROVALS, params={"root_id": world["commune"]["id"]}), 404)


def test_a_root_is_approved_by_an_admin_only(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    province_manager = login("manager", world["province"]["id"])
    root = submit(province_manager, world["province"])
    assert root["superior_id"] is None
    assert_problem(step(province_manager, root, "return", reason="x"), 403)
    ok(step(client, root, "return", reason="Chưa đủ"))


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"period": "2025"}, "unit_id"),
        ({"unit_id": 1, "period": "25"}, "period"),
        ({"unit_id": 1, "period": "2025Q5"}, "period"),
        ({"unit_id": 1, "period": "2025-01"}, "period"),
        ({"unit_id": 1, "period": 2025}, "period"),
        ({"unit_id": 1, "period": "1900"}, "period"),
        ({"unit_id": 1, "period": "2025", "status": "approved"}, "status"),
    ],
)
def test_bad_input_is_a_422_problem(client: TestClient, body: dict[str, Any], field: str) -> None:
    problem = assert_problem(client.post(APPROVALS, json=body), 422)
    assert field in {str(part) for error in problem["errors"] for part in error["loc"]}


def test_periods_not_begun_quarters_and_unknown_units(client: TestClient) -> None:
    world = make_tree(client)
    problem = assert_problem(
        client.post(APPROVALS, json={"unit_id": world["commune"]["id"], "period": "2026Q2"}), 422
    )
    assert problem["errors"][0]["loc"] == ["body", "period"]
    quarter = submit(client, world["cell_a"], "2025Q3")
    assert (quarter["period_kind"], quarter["period_start"], quarter["period_end"]) == (
        "quarter",
        "2025-07-01",
        "2025-09-30",
    )
    assert_problem(client.post(APPROVALS, json={"unit_id": 999_999, "period": PERIOD}), 422)
    assert_problem(client.get(f"{APPROVALS}/999999"), 404)
    assert_problem(client.get(APPROVALS, params={"period": "2025Q9"}), 422)
    assert_problem(step(client, quarter, "publish"), 422)
