"""Recruitment: admission targets assigned down the tree and allocated in bulk, candidates followed
through the admission pipeline on Vietnam's working days, admissions reported as counts, and the
progress of a unit over a period.

Everything goes through the HTTP API, as a client would. The tree is make_tree's: province →
district → (department, commune → cells A and B). The service's "today" is moved by the `clock`
fixture (TODAY unless a test says otherwise), so nothing depends on the real date. "Nothing
changed" is checked on the record (its body and ETag), its history and its audit rows.
"""

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    assert_problem,
    make_candidate,
    make_outcome,
    make_person,
    make_target,
    make_tree,
    make_unit,
    outcome_body,
)
from tests.helpers import AUDIT, Clock, actions, audit, ids, ok, total
from tests.recruitment.test_recruitment_calendar import walk_working_days

RECRUITMENT = "/api/v1/recruitment"
TARGETS = f"{RECRUITMENT}/targets"
ALLOCATIONS = f"{RECRUITMENT}/allocations"
CANDIDATES = f"{RECRUITMENT}/candidates"
WORKFLOW = f"{CANDIDATES}/workflow"
OUTCOMES = f"{RECRUITMENT}/outcomes"
TODAY = date(2026, 6, 30)
YEAR = 2025

# The pipeline as the issue states it: action -> (from stages, to stage, date it sets, requires).
BEFORE_OFFICIAL = ["source", "awareness_course", "applied", "verified", "admitted"]
SPEC: dict[str, tuple[list[str], str | None, str, list[str]]] = {
    "complete_course": (
        ["source", "awareness_course"],
        "awareness_course",
        "course_completed_on",
        [],
    ),
    "apply": (["awareness_course"], "applied", "applied_on", []),
    "verify": (["applied"], "verified", "verified_on", []),
    "propose": (["verified"], "verified", "proposed_on", []),
    "record_failed_vote": (["verified", "admitted"], None, "last_failed_vote_on", []),
    "admit": (["verified"], "admitted", "admitted_on", ["decision_number"]),
    "hold_ceremony": (["admitted"], "admitted", "ceremony_on", []),
    "propose_recognition": (["admitted"], "admitted", "recognition_proposed_on", []),
    "recognise": (["admitted"], "official", "recognised_on", []),
    "drop": (BEFORE_OFFICIAL, "dropped", "dropped_on", ["reason"]),
}
STAGES = [*BEFORE_OFFICIAL, "official", "dropped"]
# Whatever any action may require; the others ignore it.
REQUIRED = {"decision_number": "125-QĐ/ĐU", "reason": "Chuyển đi nơi khác"}
ALERTS = [
    "course_expired",
    "decision_due",
    "decision_overdue",
    "referred",
    "ceremony_due",
    "ceremony_overdue",
    "recognition_due",
    "recognition_overdue",
]

# One candidate's whole way, with the dates of a Tết-crossing admission.
SINCE = "2024-01-10"
PIPELINE: tuple[tuple[str, str], ...] = (
    ("complete_course", "2024-03-01"),
    ("apply", "2024-06-03"),
    ("verify", "2024-09-02"),
    ("admit", "2025-01-20"),
    ("hold_ceremony", "2025-02-10"),
    ("recognise", "2026-03-02"),
)
PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    "source": (),
    "awareness_course": PIPELINE[:1],
    "applied": PIPELINE[:2],
    "verified": PIPELINE[:3],
    "admitted": PIPELINE[:4],
    "ceremony_held": PIPELINE[:5],
    "official": PIPELINE,
    "dropped": (("drop", "2024-02-01"),),
}


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    """The service's today: TODAY unless the test moves it."""
    clock.day = TODAY


# --- helpers --------------------------------------------------------------------------------


def close(client: TestClient, unit: dict[str, Any], on: str = "2025-01-01") -> None:
    ok(client.post(f"/api/v1/units/{unit['id']}/close", json={"valid_to": on}))


# targets


def turl(target: dict[str, Any]) -> str:
    return f"{TARGETS}/{target['id']}"


def all_targets(client: TestClient) -> list[tuple[Any, ...]]:
    """Every target as the admin sees it, with its version: what a refused write must keep."""
    items = ok(client.get(TARGETS, params={"limit": 500}))["items"]
    return sorted(
        (t["unit_id"], t["year"], t["target"], t["note"], client.get(turl(t)).headers["etag"])
        for t in items
    )


def target_state(client: TestClient) -> tuple[Any, ...]:
    return all_targets(client), audit(client, "recruitment_target")


def allocate(caller: TestClient, parent: dict[str, Any], year: int, *rows: tuple[Any, int]) -> Any:
    """Rows are (unit or unit id, target)."""
    targets = [
        {"unit_id": unit["id"] if isinstance(unit, dict) else unit, "target": target}
        for unit, target in rows
    ]
    body = {"parent_id": parent["id"], "year": year, "targets": targets}
    return caller.post(ALLOCATIONS, json=body)


def by_unit(items: list[dict[str, Any]]) -> dict[int, int]:
    return {t["unit_id"]: t["target"] for t in items}


# candidates


def curl(candidate: dict[str, Any], suffix: str = "") -> str:
    return f"{CANDIDATES}/{candidate['id']}{suffix}"


def act(caller: TestClient, candidate: dict[str, Any], action: str, on: Any, **fields: Any) -> Any:
    body = {"action": action, "on": str(on)} | fields
    return caller.post(curl(candidate, "/transitions"), json=body)


def step(
    caller: TestClient, candidate: dict[str, Any], action: str, on: Any, **fields: Any
) -> dict[str, Any]:
    needed = {k: v for k, v in REQUIRED.items() if k in SPEC[action][3]}
    return ok(act(caller, candidate, action, on, **(needed | fields)))  # type: ignore[no-any-return]


def follow(
    caller: TestClient, unit: dict[str, Any], since: str, *steps: tuple[str, str], **fields: Any
) -> dict[str, Any]:
    """A new candidate of the unit, moved through the steps."""
    candidate = make_candidate(caller, unit, since, **fields)
    for action, on in steps:
        candidate = step(caller, candidate, action, on)
    return candidate


def at(caller: TestClient, unit: dict[str, Any], where: str) -> dict[str, Any]:
    return follow(caller, unit, SINCE, *PATHS[where])


def cand_state(client: TestClient, candidate: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was."""
    got = client.get(curl(candidate))
    assert got.status_code == 200, got.text
    history = ok(client.get(curl(candidate, "/history")))
    return got.json(), got.headers["etag"], history, audit(client, "candidate", candidate["id"])


def alerts_of(client: TestClient, candidate: dict[str, Any]) -> list[str]:
    return ok(client.get(curl(candidate)))["alerts"]  # type: ignore[no-any-return]


def with_alert(client: TestClient, alert: str) -> list[int]:
    return sorted(ids(client.get(CANDIDATES, params={"alert": alert})))


# outcomes


def report(caller: TestClient, unit: dict[str, Any], start: str, end: str, **fields: Any) -> Any:
    return caller.post(OUTCOMES, json=outcome_body(unit, start, end, **fields))


def ourl(outcome: dict[str, Any]) -> str:
    return f"{OUTCOMES}/{outcome['id']}"


def outcome_state(client: TestClient) -> tuple[Any, ...]:
    items = ok(client.get(OUTCOMES, params={"limit": 500}))["items"]
    etags = [client.get(ourl(o)).headers["etag"] for o in items]
    return items, etags, audit(client, "recruitment_outcome")


# progress


def progress(caller: TestClient, unit: dict[str, Any], **params: Any) -> Any:
    return caller.get(f"/api/v1/units/{unit['id']}/recruitment", params=params)


FIGURES = (
    "target",
    "admitted_individual",
    "admitted_reported",
    "admitted",
    "achievement_percent",
    "overdue_alerts",
    "outcomes_straddling",
)


def numbers(figures: dict[str, Any]) -> dict[str, Any]:
    """The figures of one unit, with its stages that count any candidate."""
    assert [s["stage"] for s in figures["candidates_by_stage"]] == STAGES
    stages = {s["stage"]: s["count"] for s in figures["candidates_by_stage"] if s["count"]}
    return {k: figures[k] for k in FIGURES} | {"stages": stages}


def expected(
    target: int | None,
    individual: int,
    reported_: int,
    percent: float | None,
    stages: dict[str, int],
    overdue: int = 0,
    straddling: int = 0,
) -> dict[str, Any]:
    return {
        "target": target,
        "admitted_individual": individual,
        "admitted_reported": reported_,
        "admitted": individual + reported_,
        "achievement_percent": percent,
        "overdue_alerts": overdue,
        "outcomes_straddling": straddling,
        "stages": stages,
    }


def figures_by_unit(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {f["unit_id"]: numbers(f) for f in [body["unit"], *body["children"]]}


# --- targets --------------------------------------------------------------------------------


def test_assign_a_target(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    district_manager = login("manager", world["district"]["id"], "huyen-uy")
    body = {"unit_id": world["commune"]["id"], "year": YEAR, "target": 8, "note": "  Giao 8  "}
    response = district_manager.post(TARGETS, json=body)

    created = ok(response, 201)
    assert response.headers["location"].endswith(turl(created))
    assert response.headers["etag"] == '"1"'
    assert (created["unit_id"], created["year"], created["target"]) == (
        world["commune"]["id"],
        YEAR,
        8,
    )
    assert created["note"] == "Giao 8"  # trimmed
    assert created["allocated_to_children"] is None
    assert created["gap"] is None
    got = client.get(response.headers["location"])
    assert ok(got) == created
    assert got.headers["etag"] == '"1"'
    (row,) = audit(client, "recruitment_target", created["id"])
    assert (row["action"], row["unit_id"], row["actor"]) == (
        "create",
        world["commune"]["id"],
        "huyen-uy",
    )
    assert row["after"]["target"] == 8


def test_one_target_per_unit_and_year(client: TestClient) -> None:
    world = make_tree(client)
    first = make_target(client, world["commune"], year=YEAR, target=8)
    before = target_state(client)
    body = assert_problem(
        client.post(TARGETS, json={"unit_id": world["commune"]["id"], "year": YEAR, "target": 9}),
        409,
    )
    assert str(first["id"]) in body["detail"]
    assert target_state(client) == before
    # Another year, or another unit, is a new target.
    make_target(client, world["commune"], year=YEAR + 1, target=9)
    make_target(client, world["department"], year=YEAR, target=2)
    assert len(all_targets(client)) == 3


@pytest.mark.parametrize(
    ("role", "grant", "status"),
    [
        ("manager", "district", 201),  # the parent's managers
        ("manager", "province", 201),  # managers above the parent manage its subtree too
        ("manager", "commune", 403),  # not the unit's own managers
        ("manager", "department", 403),  # a sibling
        ("reporter", "district", 403),
        ("viewer", "district", 403),
    ],
)
def test_who_assigns_a_target(
    client: TestClient, login: Any, role: str, grant: str, status: int
) -> None:
    world = make_tree(client)
    caller = login(role, world[grant]["id"])
    body = {"unit_id": world["commune"]["id"], "year": YEAR, "target": 8}
    response = caller.post(TARGETS, json=body)
    if status == 201:
        assert ok(response, 201)["target"] == 8
        assert len(audit(client, "recruitment_target")) == 1
    else:
        assert_problem(response, status)
        assert target_state(client) == ([], [])


def test_only_an_admin_assigns_a_root_units_target(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    province_manager = login("manager", world["province"]["id"])
    body = {"unit_id": world["province"]["id"], "year": YEAR, "target": 100}
    assert_problem(province_manager.post(TARGETS, json=body), 403)
    assert target_state(client) == ([], [])
    assert ok(client.post(TARGETS, json=body), 201)["target"] == 100


def test_a_closed_unit_takes_no_target(client: TestClient) -> None:
    world = make_tree(client)
    close(client, world["cell_b"])
    body = {"unit_id": world["cell_b"]["id"], "year": YEAR, "target": 2}
    assert_problem(client.post(TARGETS, json=body), 409)
    assert target_state(client) == ([], [])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit_id", 999_999),  # no such unit
        ("year", 1989),
        ("target", -1),
        ("target", None),
        ("note", "x" * 1001),
    ],
)
def test_invalid_targets_are_422(client: TestClient, field: str, value: Any) -> None:
    world = make_tree(client)
    body = {"unit_id": world["commune"]["id"], "year": YEAR, "target": 8} | {field: value}
    problem = assert_problem(client.post(TARGETS, json=body), 422)
    assert all(e["loc"][:2] == ["body", field] for e in problem["errors"]), problem["errors"]
    assert target_state(client) == ([], [])


def test_change_a_target_with_if_match(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    target = make_target(client, world["commune"], year=YEAR, target=8)
    district_manager = login("manager", world["district"]["id"])

    response = district_manager.patch(
        turl(target), json={"target": 12, "note": "Bổ sung"}, headers={"If-Match": '"1"'}
    )
    changed = ok(response)
    assert response.headers["etag"] == '"2"'
    assert (changed["target"], changed["note"]) == (12, "Bổ sung")
    assert ok(client.get(turl(target)))["target"] == 12

    before = target_state(client)
    stale = district_manager.patch(turl(target), json={"target": 1}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert target_state(client) == before
    assert actions(client, "recruitment_target", target["id"]) == ["create", "update"]


@pytest.mark.parametrize(("role", "grant"), [("manager", "commune"), ("reporter", "district")])
def test_only_the_parents_managers_change_or_withdraw_a_target(
    client: TestClient, login: Any, role: str, grant: str
) -> None:
    world = make_tree(client)
    target = make_target(client, world["commune"], year=YEAR, target=8)
    caller = login(role, world[grant]["id"])
    before = target_state(client)
    assert_problem(caller.patch(turl(target), json={"target": 80}), 403)
    assert_problem(caller.delete(turl(target)), 403)
    assert target_state(client) == before


def test_withdraw_a_target(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    target = make_target(client, world["commune"], year=YEAR, target=8)
    district_manager = login("manager", world["district"]["id"])
    assert ok(district_manager.patch(turl(target), json={"target": 9}))["target"] == 9

    before = target_state(client)
    assert_problem(district_manager.delete(turl(target), headers={"If-Match": '"1"'}), 412)
    assert target_state(client) == before

    response = district_manager.delete(turl(target), headers={"If-Match": '"2"'})
    assert response.status_code == 204, response.text
    assert_problem(client.get(turl(target)), 404)
    assert all_targets(client) == []
    assert actions(client, "recruitment_target", target["id"]) == ["create", "update", "delete"]
    # The unit may be given a target for that year again.
    make_target(client, world["commune"], year=YEAR, target=5)


def test_target_filters_and_scope(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    mine = {
        "district": make_target(client, world["district"], year=YEAR, target=20),
        "department": make_target(client, world["department"], year=YEAR, target=2),
        "commune": make_target(client, world["commune"], year=YEAR, target=10),
        "commune_before": make_target(client, world["commune"], year=YEAR - 1, target=7),
        "cell_a": make_target(client, world["cell_a"], year=YEAR, target=6),
        "cell_b": make_target(client, world["cell_b"], year=YEAR, target=4),
    }

    def find(caller: TestClient = client, **params: Any) -> list[str]:
        found = set(ids(caller.get(TARGETS, params=params)))
        return sorted(k for k, t in mine.items() if t["id"] in found)

    assert find() == sorted(mine)
    assert find(root_id=world["commune"]["id"]) == ["cell_a", "cell_b", "commune", "commune_before"]
    assert find(root_id=world["cell_a"]["id"]) == ["cell_a"]
    assert find(unit_id=world["commune"]["id"]) == ["commune", "commune_before"]
    assert find(parent_id=world["commune"]["id"]) == ["cell_a", "cell_b"]
    assert find(parent_id=world["district"]["id"]) == ["commune", "commune_before", "department"]
    assert find(parent_id=world["cell_a"]["id"]) == []
    assert find(year=YEAR - 1) == ["commune_before"]
    assert find(year=YEAR + 1) == []
    assert find(parent_id=world["district"]["id"], year=YEAR) == ["commune", "department"]
    assert find(root_id=world["district"]["id"], unit_id=world["cell_b"]["id"]) == ["cell_b"]
    # By year, then unit.
    ordered = ids(client.get(TARGETS))
    assert ordered[0] == mine["commune_before"]["id"]

    commune_viewer = login("viewer", world["commune"]["id"])
    assert find(commune_viewer) == ["cell_a", "cell_b", "commune", "commune_before"]
    assert find(commune_viewer, root_id=world["district"]["id"]) == find(commune_viewer)
    assert find(commune_viewer, unit_id=world["department"]["id"]) == []
    assert find(login("viewer", world["cell_b"]["id"])) == ["cell_b"]
    assert_problem(commune_viewer.get(turl(mine["district"])), 404)
    assert ok(commune_viewer.get(turl(mine["cell_a"])))["target"] == 6


@pytest.mark.parametrize(("param", "value"), [("year", 1989), ("parent_id", "x")])
def test_invalid_target_filters_are_422(client: TestClient, param: str, value: Any) -> None:
    body = assert_problem(client.get(TARGETS, params={param: value}), 422)
    assert body["errors"][0]["loc"] == ["query", param]


def test_targets_show_the_childrens_sum_and_the_gap(client: TestClient) -> None:
    world = make_tree(client)
    district = make_target(client, world["district"], year=YEAR, target=10)
    make_target(client, world["department"], year=YEAR, target=3)
    commune = make_target(client, world["commune"], year=YEAR, target=5)
    # another year: not counted for YEAR
    make_target(client, world["cell_b"], year=YEAR - 1, target=4)

    def shown(target: dict[str, Any]) -> tuple[Any, Any]:
        listed = {t["id"]: t for t in ok(client.get(TARGETS))["items"]}[target["id"]]
        got = ok(client.get(turl(target)))
        assert (got["allocated_to_children"], got["gap"]) == (
            listed["allocated_to_children"],
            listed["gap"],
        )
        return got["allocated_to_children"], got["gap"]

    assert shown(district) == (8, 2)  # under-allocated: positive
    assert shown(commune) == (None, None)  # no child has a target for the year
    make_target(client, world["cell_a"], year=YEAR, target=7)
    assert shown(commune) == (7, -2)  # over-allocated: negative
    make_target(client, world["cell_b"], year=YEAR, target=0)
    assert shown(commune) == (7, -2)
    client.patch(turl(commune), json={"target": 7})
    assert shown(commune) == (7, 0)
    assert shown(district) == (10, 0)  # the commune's own target is the district's child's


# --- allocation -----------------------------------------------------------------------------


def test_allocate_to_children_in_one_call(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    make_target(client, world["district"], year=YEAR, target=10)
    district_manager = login("manager", world["district"]["id"], "huyen-uy")
    body = {
        "parent_id": world["district"]["id"],
        "year": YEAR,
        "targets": [
            {"unit_id": world["department"]["id"], "target": 3, "note": "Ban"},
            {"unit_id": world["commune"]["id"], "target": 5},
        ],
    }
    answer = ok(district_manager.post(ALLOCATIONS, json=body))

    assert (answer["parent_id"], answer["year"], answer["target"]) == (
        world["district"]["id"],
        YEAR,
        10,
    )
    assert (answer["allocated_to_children"], answer["gap"]) == (8, 2)
    assert by_unit(answer["children"]) == {
        world["department"]["id"]: 3,
        world["commune"]["id"]: 5,
    }
    params = {"parent_id": world["district"]["id"], "year": YEAR}
    assert ok(client.get(ALLOCATIONS, params=params)) == answer
    listed = ok(client.get(TARGETS, params={"parent_id": world["district"]["id"]}))["items"]
    assert by_unit(listed) == by_unit(answer["children"])
    assert {t["unit_id"]: t["note"] for t in listed}[world["department"]["id"]] == "Ban"
    rows = audit(client, "recruitment_target")
    created = [r for r in rows if r["actor"] == "huyen-uy"]
    assert sorted((r["action"], r["unit_id"]) for r in created) == sorted(
        [("create", world["department"]["id"]), ("create", world["commune"]["id"])]
    )


def test_reallocation_updates_the_existing_targets(client: TestClient) -> None:
    world = make_tree(client)
    make_target(client, world["district"], year=YEAR, target=10)
    first = ok(
        allocate(client, world["district"], YEAR, (world["department"], 3), (world["commune"], 5))
    )
    before = {t["unit_id"]: t["id"] for t in first["children"]}

    again = ok(
        allocate(client, world["district"], YEAR, (world["commune"], 9), (world["department"], 3))
    )
    assert (again["target"], again["allocated_to_children"], again["gap"]) == (10, 12, -2)
    assert {t["unit_id"]: t["id"] for t in again["children"]} == before  # the same records
    commune_target = before[world["commune"]["id"]]
    department_target = before[world["department"]["id"]]
    assert client.get(f"{TARGETS}/{commune_target}").headers["etag"] == '"2"'
    assert client.get(f"{TARGETS}/{department_target}").headers["etag"] == '"1"'  # unchanged
    assert actions(client, "recruitment_target", commune_target) == ["create", "update"]
    assert actions(client, "recruitment_target", department_target) == ["create"]
    assert len(all_targets(client)) == 3
    # Targets assigned one by one are changed by an allocation too.
    cell = make_target(client, world["cell_a"], year=YEAR, target=1)
    ok(allocate(client, world["commune"], YEAR, (world["cell_a"], 4), (world["cell_b"], 2)))
    assert ok(client.get(turl(cell)))["target"] == 4
    assert client.get(turl(cell)).headers["etag"] == '"2"'


def test_allocating_without_the_parents_own_target(client: TestClient) -> None:
    world = make_tree(client)
    answer = ok(
        allocate(client, world["commune"], YEAR, (world["cell_a"], 2), (world["cell_b"], 1))
    )
    assert (answer["target"], answer["allocated_to_children"], answer["gap"]) == (None, 3, None)
    # Another year holds nothing.
    empty = ok(client.get(ALLOCATIONS, params={"parent_id": world["commune"]["id"], "year": 2030}))
    assert (empty["target"], empty["allocated_to_children"], empty["gap"]) == (None, 0, None)
    assert empty["children"] == []
    # A target with nothing allocated below it: all of it is the gap.
    make_target(client, world["commune"], year=2030, target=8)
    alone = ok(client.get(ALLOCATIONS, params={"parent_id": world["commune"]["id"], "year": 2030}))
    assert (alone["target"], alone["allocated_to_children"], alone["gap"]) == (8, 0, 8)


def test_one_bad_row_writes_nothing_and_every_bad_row_is_listed(
    client: TestClient, login: Any
) -> None:
    world = make_tree(client)
    closed = make_unit(client, kind="party_cell", parent_id=world["commune"]["id"])
    close(client, closed)
    existing = make_target(client, world["cell_a"], year=YEAR, target=2)
    before = target_state(client)
    commune_manager = login("manager", world["commune"]["id"])

    response = allocate(
        commune_manager,
        world["commune"],
        YEAR,
        (world["cell_a"], 4),  # 0: fine
        (world["department"], 1),  # 1: a sibling of the parent
        (world["cell_b"], 3),  # 2: fine
        (world["district"], 1),  # 3: the parent's parent
        (world["cell_a"], 5),  # 4: listed twice
        (closed, 1),  # 5: closed
        (999_999, 1),  # 6: no such unit
        (world["commune"], 1),  # 7: the parent itself
    )
    problem = assert_problem(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [
        ["body", "targets", i, "unit_id"] for i in (1, 3, 4, 5, 6, 7)
    ]
    assert all(e["msg"] for e in problem["errors"])
    assert target_state(client) == before
    assert ok(client.get(turl(existing)))["target"] == 2


@pytest.mark.parametrize(
    ("parent", "child"),
    [
        ("district", "cell_a"),  # a grandchild
        ("commune", "department"),  # the parent's sibling
        ("cell_a", "cell_b"),  # a sibling
        ("commune", "district"),  # the parent's own parent
    ],
)
def test_only_direct_children_are_allocated(client: TestClient, parent: str, child: str) -> None:
    world = make_tree(client)
    problem = assert_problem(allocate(client, world[parent], YEAR, (world[child], 3)), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "targets", 0, "unit_id"]]
    assert target_state(client) == ([], [])


def test_a_child_listed_twice_writes_nothing(client: TestClient) -> None:
    world = make_tree(client)
    response = allocate(client, world["commune"], YEAR, (world["cell_a"], 1), (world["cell_a"], 2))
    problem = assert_problem(response, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "targets", 1, "unit_id"]]
    assert target_state(client) == ([], [])


@pytest.mark.parametrize(
    ("role", "grant", "status"),
    [
        ("manager", "district", 200),  # the parent's managers
        ("manager", "province", 200),  # and the managers above
        ("manager", "commune", 403),  # not the child itself
        ("reporter", "district", 403),
        ("viewer", "district", 403),
    ],
)
def test_who_allocates(client: TestClient, login: Any, role: str, grant: str, status: int) -> None:
    world = make_tree(client)
    caller = login(role, world[grant]["id"])
    response = allocate(caller, world["district"], YEAR, (world["commune"], 5))
    if status == 200:
        assert ok(response)["allocated_to_children"] == 5
    else:
        assert_problem(response, status)
        assert target_state(client) == ([], [])


@pytest.mark.parametrize(
    "change",
    [
        {"targets": []},
        {"targets": [{"unit_id": 1, "target": -1}]},
        {"year": 1989},
        {"parent_id": 999_999},
    ],
)
def test_invalid_allocations_are_422(client: TestClient, change: dict[str, Any]) -> None:
    world = make_tree(client)
    body = {
        "parent_id": world["commune"]["id"],
        "year": YEAR,
        "targets": [{"unit_id": world["cell_a"]["id"], "target": 1}],
    } | change
    assert_problem(client.post(ALLOCATIONS, json=body), 422)
    assert target_state(client) == ([], [])


def test_an_allocation_is_read_within_ones_scope(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    ok(allocate(client, world["district"], YEAR, (world["commune"], 5)))
    params = {"parent_id": world["district"]["id"], "year": YEAR}
    assert (
        ok(login("viewer", world["district"]["id"]).get(ALLOCATIONS, params=params))[
            "allocated_to_children"
        ]
        == 5
    )
    assert_problem(login("viewer", world["commune"]["id"]).get(ALLOCATIONS, params=params), 404)
    assert_problem(client.get(ALLOCATIONS, params={"parent_id": world["district"]["id"]}), 422)


def test_the_allocation_of_a_unit_that_does_not_exist_is_404(client: TestClient) -> None:
    make_tree(client)
    assert_problem(client.get(ALLOCATIONS, params={"parent_id": 999_999, "year": YEAR}), 404)


# --- the candidate pipeline -----------------------------------------------------------------


def test_follow_a_candidate(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    reporter = login("reporter", world["cell_a"]["id"], "thu-ky-chi-bo")
    body = {
        "unit_id": world["cell_a"]["id"],
        "full_name": "  Lê Thị Hoa  ",
        "birth_year": 2001,
        "sex": "female",
        "occupation": "Giáo viên",
        "source_since": "2024-01-10",
    }
    sneaky = {"stage": "official", "admitted_on": "2024-01-01"}
    refused = assert_problem(reporter.post(CANDIDATES, json=body | sneaky), 422)
    assert [e["loc"] for e in refused["errors"]] == [["body", "stage"], ["body", "admitted_on"]]
    response = reporter.post(CANDIDATES, json=body)
    created = ok(response, 201)
    assert response.headers["location"].endswith(curl(created))
    assert response.headers["etag"] == '"1"'
    assert created["full_name"] == "Lê Thị Hoa"
    assert (created["stage"], created["source_since"], created["alerts"]) == (
        "source",
        "2024-01-10",
        [],
    )
    assert created["stage_label"]
    assert created["admitted_on"] is None
    assert "search_key" not in created
    assert ok(client.get(curl(created))) == created
    assert ok(client.get(curl(created, "/history"))) == []
    (row,) = audit(client, "candidate", created["id"])
    assert (row["action"], row["unit_id"], row["actor"]) == (
        "create",
        world["cell_a"]["id"],
        "thu-ky-chi-bo",
    )


def test_a_source_since_in_the_future_is_422(client: TestClient) -> None:
    world = make_tree(client)
    body = {
        "unit_id": world["cell_a"]["id"],
        "full_name": "Lê Văn Sau",
        "source_since": str(TODAY + timedelta(days=1)),
    }
    problem = assert_problem(client.post(CANDIDATES, json=body), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "source_since"]]
    assert total(client, CANDIDATES) == 0
    ok(client.post(CANDIDATES, json=body | {"source_since": str(TODAY)}), 201)


def test_the_whole_pipeline(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    reporter = login("reporter", world["cell_a"]["id"], "thu-ky")
    candidate = make_candidate(reporter, world["cell_a"], SINCE)
    stage = "source"
    for n, (action, on) in enumerate(PIPELINE, start=2):
        response = act(reporter, candidate, action, on, **REQUIRED, note=f"Bước {action}")
        candidate = ok(response)
        assert response.headers["etag"] == f'"{n}"'
        assert candidate["stage"] == SPEC[action][1]
        assert candidate[SPEC[action][2]] == on
    assert candidate["stage"] == "official"
    assert candidate["course_valid_until"] == "2029-03-01"
    assert candidate["decision_number"] == "125-QĐ/ĐU"
    assert candidate["dropped_on"] is None
    assert candidate["drop_reason"] is None
    assert candidate["alerts"] == []

    history = ok(client.get(curl(candidate, "/history")))
    steps = []
    for action, on in PIPELINE:
        steps.append((action, stage, SPEC[action][1], on, f"Bước {action}", "thu-ky"))
        stage = SPEC[action][1]
    assert [
        (e["action"], e["from_stage"], e["to_stage"], e["on"], e["note"], e["actor"])
        for e in history
    ] == steps
    assert actions(client, "candidate", candidate["id"]) == ["create", *(a for a, _ in PIPELINE)]
    last = audit(client, "candidate", candidate["id"])[-1]
    assert (last["before"]["stage"], last["after"]["stage"]) == ("admitted", "official")


def test_the_workflow_endpoint_matches_the_rules(client: TestClient) -> None:
    steps = ok(client.get(WORKFLOW))
    assert {
        s["action"]: (s["from_stages"], s["to_stage"], s["sets"], s["requires"]) for s in steps
    } == SPEC
    assert all(s["action_label"] for s in steps)


@pytest.mark.parametrize("stage", STAGES)
def test_no_stage_is_skipped(client: TestClient, stage: str) -> None:
    """Every action the rules do not allow from a stage is refused, naming the allowed ones."""
    world = make_tree(client)
    candidate = at(client, world["cell_a"], stage)
    assert candidate["stage"] == stage
    allowed = {a for a, (sources, *_) in SPEC.items() if stage in sources}
    before = cand_state(client, candidate)
    for action in sorted(SPEC.keys() - allowed):
        problem = assert_problem(act(client, candidate, action, TODAY, **REQUIRED), 409)
        named = set(re.findall(r"\w+", problem["detail"].rsplit("allowed", 1)[1]))
        assert named & SPEC.keys() == allowed, problem["detail"]
        assert stage in problem["detail"]
    assert cand_state(client, candidate) == before


def test_admitting_needs_a_decision_number(client: TestClient) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "verified")
    before = cand_state(client, candidate)
    problem = assert_problem(act(client, candidate, "admit", "2025-01-20"), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "decision_number"]]
    blank = act(client, candidate, "admit", "2025-01-20", decision_number="   ")
    assert_problem(blank, 422)
    assert cand_state(client, candidate) == before
    admitted = step(client, candidate, "admit", "2025-01-20", decision_number="09-QĐ/ĐU")
    assert admitted["decision_number"] == "09-QĐ/ĐU"


@pytest.mark.parametrize("where", [*BEFORE_OFFICIAL, "ceremony_held"])
def test_drop_from_every_stage_before_official(client: TestClient, where: str) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], where)
    stage = candidate["stage"]
    before = cand_state(client, candidate)
    problem = assert_problem(act(client, candidate, "drop", TODAY), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "reason"]]
    assert cand_state(client, candidate) == before

    dropped = step(client, candidate, "drop", TODAY, reason="Vi phạm chính sách dân số")
    assert (dropped["stage"], dropped["dropped_from"], dropped["dropped_on"]) == (
        "dropped",
        stage,
        str(TODAY),
    )
    assert dropped["drop_reason"] == "Vi phạm chính sách dân số"
    assert dropped["alerts"] == []
    last = ok(client.get(curl(candidate, "/history")))[-1]
    assert (last["action"], last["from_stage"], last["to_stage"]) == ("drop", stage, "dropped")


def test_a_step_in_the_future_is_422(client: TestClient, clock: Clock) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "source")
    before = cand_state(client, candidate)
    tomorrow = act(client, candidate, "complete_course", TODAY + timedelta(days=1))
    problem = assert_problem(tomorrow, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "on"]]
    assert cand_state(client, candidate) == before
    assert step(client, candidate, "complete_course", TODAY)["course_completed_on"] == str(TODAY)
    # Tomorrow's date is fine once tomorrow comes.
    clock.day = TODAY + timedelta(days=1)
    assert step(client, candidate, "apply", TODAY + timedelta(days=1))["stage"] == "applied"


@pytest.mark.parametrize(
    ("where", "action", "on"),
    [
        ("source", "complete_course", "2024-01-09"),  # before source_since
        ("awareness_course", "apply", "2024-02-29"),
        ("applied", "verify", "2024-06-02"),
        ("verified", "admit", "2024-09-01"),
        ("admitted", "hold_ceremony", "2025-01-19"),
        ("ceremony_held", "recognise", "2025-02-09"),
        ("ceremony_held", "drop", "2025-02-09"),
        ("applied", "drop", "2024-03-01"),  # before the latest step, not only the previous one
    ],
)
def test_dates_do_not_go_backwards(client: TestClient, where: str, action: str, on: str) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], where)
    before = cand_state(client, candidate)
    problem = assert_problem(act(client, candidate, action, on, **REQUIRED), 409)
    assert "date" in problem["detail"]
    assert cand_state(client, candidate) == before


def test_a_step_on_the_day_of_the_last_one_is_fine(client: TestClient) -> None:
    world = make_tree(client)
    candidate = make_candidate(client, world["cell_a"], "2024-03-01")
    for action, _ in PIPELINE[:3]:
        candidate = step(client, candidate, action, "2024-03-01")
    assert candidate["stage"] == "verified"


def test_an_expired_certificate_blocks_the_application_until_the_course_is_retaken(
    client: TestClient,
) -> None:
    world = make_tree(client)
    late = follow(client, world["cell_a"], "2018-01-10", ("complete_course", "2019-03-01"))
    assert late["course_valid_until"] == "2024-03-01"
    on_time = follow(client, world["cell_a"], "2018-01-10", ("complete_course", "2019-03-01"))

    before = cand_state(client, late)
    problem = assert_problem(act(client, late, "apply", "2024-03-02"), 409)
    assert "2024-03-01" in problem["detail"]
    assert cand_state(client, late) == before
    # The last valid day is fine.
    assert step(client, on_time, "apply", "2024-03-01")["stage"] == "applied"

    retaken = step(client, late, "complete_course", "2024-03-05")
    # The first course still dates the stage; the retake renews the certificate.
    assert (
        retaken["stage"],
        retaken["course_completed_on"],
        retaken["course_renewed_on"],
        retaken["course_valid_until"],
    ) == ("awareness_course", "2019-03-01", "2024-03-05", "2029-03-05")
    assert_problem(act(client, late, "apply", "2024-03-04"), 409)
    assert step(client, late, "apply", "2024-03-06")["stage"] == "applied"


def test_recognition_waits_for_the_ceremony_and_the_end_of_probation(client: TestClient) -> None:
    """Probation runs 12 months from the ceremony (Party Charter, Article 5.1), and a member
    recognised late is official from its end."""
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "admitted")
    assert candidate["probation_ends_on"] is None  # no ceremony yet: probation has not begun

    before = cand_state(client, candidate)
    for action in ("propose_recognition", "recognise"):
        problem = assert_problem(act(client, candidate, action, "2026-01-20"), 409)
        assert "ceremony" in problem["detail"]
    assert cand_state(client, candidate) == before

    candidate = step(client, candidate, "hold_ceremony", "2025-02-10")
    assert candidate["probation_ends_on"] == "2026-02-10"  # not 2026-01-20, the decision's
    before = cand_state(client, candidate)
    for action in ("propose_recognition", "recognise"):
        problem = assert_problem(act(client, candidate, action, "2026-02-09"), 409)
        assert "2026-02-10" in problem["detail"]
    assert cand_state(client, candidate) == before

    # The committee decides three weeks late: official all the same from the end of probation.
    official = step(client, candidate, "recognise", "2026-03-02")
    assert (official["stage"], official["official_on"], official["recognised_on"]) == (
        "official",
        "2026-02-10",
        "2026-03-02",
    )


def test_a_second_ceremony_is_409(client: TestClient) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "ceremony_held")
    before = cand_state(client, candidate)
    problem = assert_problem(act(client, candidate, "hold_ceremony", "2025-03-01"), 409)
    assert "2025-02-10" in problem["detail"]
    assert cand_state(client, candidate) == before


def test_a_stale_etag_moves_nothing(client: TestClient) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "awareness_course")
    before = cand_state(client, candidate)
    assert before[1] == '"2"'
    stale = client.post(
        curl(candidate, "/transitions"),
        json={"action": "apply", "on": "2024-06-03"},
        headers={"If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    assert cand_state(client, candidate) == before
    fresh = client.post(
        curl(candidate, "/transitions"),
        json={"action": "apply", "on": "2024-06-03"},
        headers={"If-Match": '"2"'},
    )
    assert ok(fresh)["stage"] == "applied"


def test_details_change_but_the_stage_does_not(client: TestClient) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "applied")
    sneaky = {"stage": "official", "admitted_on": "2024-07-01"}
    refused = client.patch(
        curl(candidate), json={"occupation": "Kỹ sư"} | sneaky, headers={"If-Match": '"3"'}
    )
    assert [e["loc"][1] for e in assert_problem(refused, 422)["errors"]] == list(sneaky)
    response = client.patch(
        curl(candidate), json={"occupation": "Kỹ sư"}, headers={"If-Match": '"3"'}
    )
    changed = ok(response)
    assert response.headers["etag"] == '"4"'
    assert (changed["occupation"], changed["stage"], changed["admitted_on"]) == (
        "Kỹ sư",
        "applied",
        None,
    )
    assert_problem(
        client.patch(curl(candidate), json={"note": "x"}, headers={"If-Match": '"3"'}), 412
    )
    assert actions(client, "candidate", candidate["id"])[-1] == "update"


def test_candidate_filters(client: TestClient) -> None:
    world = make_tree(client)
    hoa = make_candidate(client, world["cell_a"], SINCE, full_name="Lê Thị Hoa")
    hung = follow(client, world["cell_b"], SINCE, *PATHS["applied"], full_name="Trần Văn Hùng")
    huong = follow(client, world["commune"], SINCE, *PATHS["applied"], full_name="Đỗ Thu Hương")

    def find(**params: Any) -> list[int]:
        return ids(client.get(CANDIDATES, params=params))

    assert sorted(find()) == sorted(c["id"] for c in (hoa, hung, huong))
    assert find() == [huong["id"], hoa["id"], hung["id"]]  # by name, without accents
    assert sorted(find(root_id=world["commune"]["id"])) == sorted(
        [hoa["id"], hung["id"], huong["id"]]
    )
    assert find(root_id=world["cell_b"]["id"]) == [hung["id"]]
    assert find(root_id=world["department"]["id"]) == []
    assert find(unit_id=world["commune"]["id"]) == [huong["id"]]
    assert sorted(find(stage="applied")) == sorted([hung["id"], huong["id"]])
    assert find(stage="official") == []
    assert find(q="HUNG") == [hung["id"]]
    assert find(q="hương") == [huong["id"]]
    assert find(q="thi hoa") == [hoa["id"]]
    assert_problem(client.get(CANDIDATES, params={"stage": "member"}), 422)
    assert_problem(client.get(CANDIDATES, params={"alert": "late"}), 422)


# --- working days and alerts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("admitted", "ceremony", "ceremony_due", "probation_ends", "recognition_due"),
    [
        # Tết 2025 (Jan 27 – Feb 1) inside the ceremony's 30 working days; a ceremony six weeks
        # after the decision moves probation by as much.
        ("2025-01-20", "2025-03-03", "2025-03-10", "2026-03-03", "2026-04-14"),
        # Saturday 2025-04-26 worked in exchange for Friday 2 May; Apr 30 – May 2 off; in 2026
        # Hùng Kings' day observed on Monday Apr 27, then Apr 30 and May 1.
        ("2025-04-10", "2025-04-10", "2025-05-26", "2026-04-10", "2026-05-27"),
        # A ceremony on a leap day: probation ends on the last day of February; Hùng Kings' day
        # 2025 (Apr 7).
        ("2024-02-20", "2024-02-29", "2024-04-02", "2025-02-28", "2025-04-14"),
    ],
)
def test_deadlines_count_vietnams_working_days(
    client: TestClient,
    admitted: str,
    ceremony: str,
    ceremony_due: str,
    probation_ends: str,
    recognition_due: str,
) -> None:
    world = make_tree(client)
    steps = (("complete_course", "2023-06-01"), ("apply", "2023-07-03"), ("verify", "2023-09-01"))
    candidate = follow(client, world["cell_a"], "2023-01-10", *steps, ("admit", admitted))
    # The hand-listed dates agree with a walk over the holidays library's days off.
    decided = date.fromisoformat(admitted)
    assert str(walk_working_days(decided, 30)) == ceremony_due
    assert str(walk_working_days(date.fromisoformat(probation_ends), 30)) == recognition_due
    assert candidate["ceremony_due_on"] == ceremony_due
    candidate = step(client, candidate, "hold_ceremony", ceremony)
    assert (
        candidate["ceremony_due_on"],
        candidate["probation_ends_on"],
        candidate["recognition_due_on"],
    ) == (ceremony_due, probation_ends, recognition_due)
    assert ok(client.get(curl(candidate)))["recognition_due_on"] == recognition_due


def test_ceremony_alerts_flip_on_the_due_day(client: TestClient, clock: Clock) -> None:
    world = make_tree(client)
    clock.day = date(2025, 1, 20)
    candidate = follow(client, world["cell_a"], SINCE, *PATHS["admitted"])
    quiet = at(client, world["cell_b"], "verified")

    def seen_on(day: str) -> tuple[list[str], list[int], list[int]]:
        clock.day = date.fromisoformat(day)
        return (
            alerts_of(client, candidate),
            with_alert(client, "ceremony_due"),
            with_alert(client, "ceremony_overdue"),
        )

    mine = [candidate["id"]]
    assert seen_on("2025-01-20") == (["ceremony_due"], mine, [])
    # Thirty weekdays after the decision, were Tết not skipped: still due.
    assert seen_on("2025-03-03") == (["ceremony_due"], mine, [])
    assert seen_on("2025-03-10") == (["ceremony_due"], mine, [])
    assert seen_on("2025-03-11") == (["ceremony_overdue"], [], mine)
    assert alerts_of(client, quiet) == []
    step(client, candidate, "hold_ceremony", "2025-03-11")
    assert seen_on("2025-03-11") == ([], [], [])


def test_recognition_alerts_flip_on_the_due_days(client: TestClient, clock: Clock) -> None:
    """The cell considers recognition within 30 working days after probation (Tết 2026 in
    between), then the committee decides within 30 working days of the cell's proposal."""
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "ceremony_held")  # held on 2025-02-10

    def seen_on(day: str) -> tuple[list[str], list[int], list[int]]:
        clock.day = date.fromisoformat(day)
        return (
            alerts_of(client, candidate),
            with_alert(client, "recognition_due"),
            with_alert(client, "recognition_overdue"),
        )

    mine = [candidate["id"]]
    assert str(walk_working_days(date(2026, 2, 10), 30)) == "2026-03-31"
    assert seen_on("2026-02-09") == ([], [], [])
    assert seen_on("2026-02-10") == (["recognition_due"], mine, [])
    assert seen_on("2026-03-31") == (["recognition_due"], mine, [])
    assert seen_on("2026-04-01") == (["recognition_overdue"], [], mine)
    # The cell's proposal, late: the committee's 30 working days run from it.
    candidate = step(client, candidate, "propose_recognition", "2026-04-01")
    committee_due = walk_working_days(date(2026, 4, 1), 30)
    assert candidate["recognition_due_on"] == str(committee_due)
    assert seen_on("2026-04-01") == (["recognition_due"], mine, [])
    assert seen_on(str(committee_due)) == (["recognition_due"], mine, [])
    after = str(committee_due + timedelta(days=1))
    assert seen_on(after) == (["recognition_overdue"], [], mine)
    official = step(client, candidate, "recognise", after)
    assert official["official_on"] == "2026-02-10"
    assert seen_on(after) == ([], [], [])


def test_the_course_expired_alert(client: TestClient, clock: Clock) -> None:
    world = make_tree(client)
    clock.day = date(2024, 3, 1)
    candidate = follow(client, world["cell_a"], "2018-01-10", ("complete_course", "2019-03-01"))
    applied = follow(
        client,
        world["cell_a"],
        "2018-01-10",
        ("complete_course", "2019-03-01"),
        ("apply", "2024-03-01"),
    )
    assert alerts_of(client, candidate) == []
    assert with_alert(client, "course_expired") == []
    clock.day = date(2024, 3, 2)
    assert alerts_of(client, candidate) == ["course_expired"]
    assert with_alert(client, "course_expired") == [candidate["id"]]
    assert alerts_of(client, applied) == []  # applied in time: the certificate served
    clock.day = date(2024, 3, 5)
    step(client, candidate, "complete_course", "2024-03-05")
    assert alerts_of(client, candidate) == []
    assert with_alert(client, "course_expired") == []


def test_the_alert_filter_holds_each_alert(client: TestClient, clock: Clock) -> None:
    world = make_tree(client)
    clock.day = date(2026, 3, 11)
    cell = world["cell_a"]
    before_admission = (
        ("complete_course", "2023-06-01"),
        ("apply", "2023-07-03"),
        ("verify", "2023-09-01"),
    )
    born = {"birth_date": "1990-05-01"}
    made = {
        "course_expired": follow(client, cell, "2020-06-01", ("complete_course", "2021-01-05")),
        "decision_due": follow(
            client, cell, "2023-01-10", *before_admission, ("propose", "2026-03-02"), **born
        ),
        "decision_overdue": follow(
            client, cell, "2023-01-10", *before_admission, ("propose", "2025-06-02"), **born
        ),
        "referred": follow(
            client,
            cell,
            "2023-01-10",
            *before_admission,
            *(("record_failed_vote", day) for day in ("2023-10-02", "2023-11-02", "2023-12-01")),
        ),
        "ceremony_due": follow(
            client, cell, "2023-01-10", *before_admission, ("admit", "2026-03-02")
        ),
        "ceremony_overdue": follow(
            client, cell, "2023-01-10", *before_admission, ("admit", "2025-12-01")
        ),
        "recognition_due": follow(
            client,
            cell,
            "2023-01-10",
            *before_admission,
            ("admit", "2025-02-20"),
            ("hold_ceremony", "2025-03-01"),
        ),
        "recognition_overdue": follow(
            client,
            cell,
            "2023-01-10",
            *before_admission,
            ("admit", "2024-11-01"),
            ("hold_ceremony", "2024-12-02"),
        ),
    }
    quiet = [
        make_candidate(client, cell, SINCE),
        follow(client, cell, "2023-01-10", *before_admission),
        follow(client, cell, "2023-01-10", ("drop", "2024-01-01"), full_name="Dừng"),
    ]
    for alert in ALERTS:
        assert with_alert(client, alert) == [made[alert]["id"]], alert
        assert alerts_of(client, made[alert]) == [alert]
    for candidate in quiet:
        assert alerts_of(client, candidate) == []
    listed = ok(client.get(CANDIDATES))["items"]
    assert {c["id"]: c["alerts"] for c in listed} == {made[a]["id"]: [a] for a in ALERTS} | {
        c["id"]: [] for c in quiet
    }


# --- personal data --------------------------------------------------------------------------


def test_candidates_are_seen_only_within_ones_grants(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    other = make_unit(client, kind="commune_committee", parent_id=world["district"]["id"])
    make_unit(client, kind="party_cell", parent_id=other["id"])
    a = at(client, world["cell_a"], "admitted")
    b = at(client, world["cell_b"], "source")
    everyone = sorted([a["id"], b["id"]])

    stranger = login("viewer", other["id"])
    listed = ok(stranger.get(CANDIDATES, params={"count": "exact"}))
    assert (listed["items"], listed["total"]) == ([], 0)
    assert ids(stranger.get(CANDIDATES, params={"root_id": world["commune"]["id"]})) == []
    assert ids(stranger.get(CANDIDATES, params={"unit_id": world["cell_a"]["id"]})) == []
    assert ids(stranger.get(CANDIDATES, params={"alert": "ceremony_overdue"})) == []
    for candidate in (a, b):
        assert_problem(stranger.get(curl(candidate)), 404)
        assert_problem(stranger.get(curl(candidate, "/history")), 404)

    neighbour = login("viewer", world["commune"]["id"])
    assert sorted(ids(neighbour.get(CANDIDATES))) == everyone
    assert total(neighbour, CANDIDATES) == 2
    assert ok(neighbour.get(curl(a)))["full_name"] == a["full_name"]
    assert len(ok(neighbour.get(curl(a, "/history")))) == len(PATHS["admitted"])
    assert sorted(ids(login("viewer", world["district"]["id"]).get(CANDIDATES))) == everyone

    cell_viewer = login("viewer", world["cell_a"]["id"])
    assert ids(cell_viewer.get(CANDIDATES)) == [a["id"]]
    assert ids(cell_viewer.get(CANDIDATES, params={"root_id": world["commune"]["id"]})) == [a["id"]]
    assert_problem(cell_viewer.get(curl(b)), 404)
    assert_problem(cell_viewer.get(curl(b, "/history")), 404)

    # Nor do the audit rows, which hold the candidate's details, leave the grants.
    def audited(caller: TestClient) -> list[int]:
        rows = ok(caller.get(AUDIT, params={"entity_type": "candidate", "limit": 500}))["items"]
        return sorted({row["entity_id"] for row in rows})

    assert audited(stranger) == []
    assert audited(cell_viewer) == [a["id"]]
    assert audited(neighbour) == everyone


def test_reporters_follow_the_candidates_of_their_cell(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    theirs = at(client, world["cell_b"], "source")
    reporter = login("reporter", world["cell_a"]["id"])

    mine = make_candidate(reporter, world["cell_a"], SINCE)
    assert step(reporter, mine, "complete_course", "2024-03-01")["stage"] == "awareness_course"
    assert (
        ok(reporter.patch(curl(mine), json={"occupation": "Nông dân"}))["occupation"] == "Nông dân"
    )

    before = cand_state(client, theirs)
    body = {"unit_id": world["cell_b"]["id"], "full_name": "Lê Văn Khác", "source_since": SINCE}
    assert_problem(reporter.post(CANDIDATES, json=body), 403)
    # A candidate of another cell is not even seen.
    assert_problem(act(reporter, theirs, "complete_course", "2024-03-01"), 404)
    assert_problem(reporter.patch(curl(theirs), json={"occupation": "Khác"}), 404)
    assert cand_state(client, theirs) == before
    assert total(client, CANDIDATES) == 2


def test_a_closed_unit_takes_no_new_candidate(client: TestClient) -> None:
    world = make_tree(client)
    close(client, world["cell_b"])
    body = {"unit_id": world["cell_b"]["id"], "full_name": "Lê Văn Muộn", "source_since": SINCE}
    assert_problem(client.post(CANDIDATES, json=body), 409)
    assert total(client, CANDIDATES) == 0
    assert audit(client, "candidate") == []


@pytest.mark.parametrize("grant", ["cell_a", "commune"])
def test_viewers_read_candidates_but_move_none(client: TestClient, login: Any, grant: str) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "source")
    viewer = login("viewer", world[grant]["id"])
    assert ok(viewer.get(curl(candidate)))["id"] == candidate["id"]
    before = cand_state(client, candidate)
    body = {"unit_id": world["cell_a"]["id"], "full_name": "Lê Văn Xem", "source_since": SINCE}
    assert_problem(viewer.post(CANDIDATES, json=body), 403)
    assert_problem(act(viewer, candidate, "complete_course", "2024-03-01"), 403)
    assert_problem(viewer.patch(curl(candidate), json={"occupation": "Khác"}), 403)
    assert cand_state(client, candidate) == before
    assert total(client, CANDIDATES) == 1


def test_unit_progress_shows_counts_only(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    other = make_unit(client, kind="commune_committee", parent_id=world["district"]["id"])
    candidate = at(client, world["cell_a"], "admitted")
    viewer = login("viewer", world["commune"]["id"])
    response = progress(viewer, world["commune"], from_year=2025, to_year=2025)
    body = ok(response)
    assert candidate["full_name"] not in response.text
    assert "Nguyễn Thị Nguồn" not in response.text
    assert set(body) == {"from_year", "to_year", "period", "unit", "children"}
    assert set(body["unit"]) == {
        "unit_id",
        "code",
        "name",
        "candidates_by_stage",
        "structure",
        *FIGURES,
    }
    assert body["unit"]["admitted_individual"] == 1
    assert_problem(progress(login("viewer", other["id"]), world["commune"]), 404)
    assert_problem(progress(login("viewer", world["cell_b"]["id"]), world["commune"]), 404)


# --- progress of a unit ---------------------------------------------------------------------


def make_history(client: TestClient) -> dict[str, Any]:
    """Targets, candidates and outcomes over 2024–2026, today being 2026-06-30.

    - cell A: a1 admitted 2025-01-20, official 2026-01-20; a2 admitted 2025-11-03, no ceremony
      (overdue since 2025-12-15); a3 dropped 2025-08-01; a4 a source since 2026-02-02.
    - cell B: b1 admitted 2024-12-20, ceremony 2025-01-10, not recognised (recognition overdue
      since 2026-02-02); b2 verified 2025-09-01; an outcome of 2 over 2025-01-01 – 2025-06-30.
    - the commune itself: c1 applied 2025-03-03.
    - the department: outcomes of 1 over 2024 and of 4 over 2025-10-01 – 2026-03-31.
    - targets: commune 10 (2025) and 4 (2024); cell A 6, cell B 3 (2025) and 5 (2026).
    """
    world = make_tree(client)
    cell_a, cell_b, commune = world["cell_a"], world["cell_b"], world["commune"]
    world["a1"] = follow(client, cell_a, SINCE, *PIPELINE)
    world["a2"] = follow(
        client,
        cell_a,
        "2024-05-01",
        ("complete_course", "2024-06-03"),
        ("apply", "2024-09-03"),
        ("verify", "2025-03-03"),
        ("admit", "2025-11-03"),
    )
    world["a3"] = follow(
        client, cell_a, "2025-05-01", ("complete_course", "2025-06-02"), ("drop", "2025-08-01")
    )
    world["a4"] = follow(client, cell_a, "2026-02-02")
    world["b1"] = follow(
        client,
        cell_b,
        "2023-03-01",
        ("complete_course", "2023-04-03"),
        ("apply", "2023-06-01"),
        ("verify", "2023-09-01"),
        ("admit", "2024-12-20"),
        ("hold_ceremony", "2025-01-10"),
    )
    world["b2"] = follow(
        client,
        cell_b,
        "2024-10-01",
        ("complete_course", "2024-11-01"),
        ("apply", "2025-02-03"),
        ("verify", "2025-09-01"),
    )
    world["c1"] = follow(
        client, commune, "2024-10-01", ("complete_course", "2024-12-02"), ("apply", "2025-03-03")
    )
    make_outcome(client, cell_b, "2025-01-01", "2025-06-30", admitted=2)
    make_outcome(client, world["department"], "2024-01-01", "2024-12-31", admitted=1)
    make_outcome(client, world["department"], "2025-10-01", "2026-03-31", admitted=4)
    make_target(client, commune, year=2025, target=10)
    make_target(client, commune, year=2024, target=4)
    make_target(client, cell_a, year=2025, target=6)
    make_target(client, cell_b, year=2025, target=3)
    make_target(client, cell_b, year=2026, target=5)
    return world


def test_the_progress_of_a_commune_and_its_cells(client: TestClient) -> None:
    world = make_history(client)
    commune, cell_a, cell_b = (world[k]["id"] for k in ("commune", "cell_a", "cell_b"))

    body = ok(progress(client, world["commune"], from_year=2025, to_year=2025))
    assert (body["from_year"], body["to_year"]) == (2025, 2025)
    assert body["unit"]["unit_id"] == commune
    assert (body["unit"]["code"], body["unit"]["name"]) == (
        world["commune"]["code"],
        world["commune"]["name"],
    )
    assert [c["unit_id"] for c in body["children"]] == [cell_a, cell_b]
    # Stages at the end of 2025: a1 still on probation, a4 not yet a source.
    assert figures_by_unit(body) == {
        commune: expected(
            10, 2, 2, 40.0, {"applied": 1, "verified": 1, "admitted": 3, "dropped": 1}, overdue=2
        ),
        cell_a: expected(6, 2, 0, 33.3, {"admitted": 2, "dropped": 1}, overdue=1),
        cell_b: expected(3, 0, 2, 66.7, {"verified": 1, "admitted": 1}, overdue=1),
    }

    both = figures_by_unit(ok(progress(client, world["commune"], from_year=2024, to_year=2025)))
    assert both[commune] == expected(
        14, 3, 2, 35.7, {"applied": 1, "verified": 1, "admitted": 3, "dropped": 1}, overdue=2
    )
    assert both[cell_a] == expected(6, 2, 0, 33.3, {"admitted": 2, "dropped": 1}, overdue=1)
    assert both[cell_b] == expected(3, 1, 2, 100.0, {"verified": 1, "admitted": 1}, overdue=1)


def test_the_progress_of_a_past_year(client: TestClient) -> None:
    world = make_history(client)
    district, department, commune = (world[k]["id"] for k in ("district", "department", "commune"))
    body = figures_by_unit(ok(progress(client, world["district"], from_year=2024, to_year=2024)))
    # Stages at the end of 2024: a1 verified, a2 applied, b1 admitted, b2 and c1 after the course.
    stages = {"awareness_course": 2, "applied": 1, "verified": 1, "admitted": 1}
    assert body == {
        district: expected(None, 1, 1, None, stages, overdue=2),
        department: expected(None, 0, 1, None, {}),
        commune: expected(4, 1, 0, 25.0, stages, overdue=2),
    }


def test_the_progress_of_a_district_counts_its_whole_subtree(client: TestClient) -> None:
    world = make_history(client)
    district, department, commune = (world[k]["id"] for k in ("district", "department", "commune"))
    stages = {"applied": 1, "verified": 1, "admitted": 3, "dropped": 1}
    body = figures_by_unit(ok(progress(client, world["district"], from_year=2025, to_year=2025)))
    # The department's 2025-10 – 2026-03 outcome straddles the year: not counted, but shown.
    assert body == {
        district: expected(None, 2, 2, None, stages, overdue=2, straddling=1),
        department: expected(None, 0, 0, None, {}, straddling=1),
        commune: expected(10, 2, 2, 40.0, stages, overdue=2),
    }
    body = figures_by_unit(ok(progress(client, world["district"], from_year=2024, to_year=2025)))
    assert body[district] == expected(None, 3, 3, None, stages, overdue=2, straddling=1)
    assert body[department] == expected(None, 0, 1, None, {}, straddling=1)
    body = figures_by_unit(ok(progress(client, world["province"], from_year=2024, to_year=2026)))
    everyone = {
        "source": 1,
        "applied": 1,
        "verified": 1,
        "admitted": 2,
        "official": 1,
        "dropped": 1,
    }
    assert body[world["province"]["id"]] == expected(None, 3, 7, None, everyone, overdue=2)


def test_the_progress_defaults_to_the_current_year(client: TestClient, clock: Clock) -> None:
    world = make_history(client)
    commune, cell_a, cell_b = (world[k]["id"] for k in ("commune", "cell_a", "cell_b"))
    body = ok(progress(client, world["commune"]))
    assert (body["from_year"], body["to_year"]) == (2026, 2026)
    assert body == ok(progress(client, world["commune"], from_year=2026, to_year=2026))
    # Stages today, the period's end being later.
    assert figures_by_unit(body) == {
        commune: expected(
            None,
            0,
            0,
            None,
            {
                "source": 1,
                "applied": 1,
                "verified": 1,
                "admitted": 2,
                "official": 1,
                "dropped": 1,
            },
            overdue=2,
        ),
        cell_a: expected(
            None, 0, 0, None, {"source": 1, "admitted": 1, "official": 1, "dropped": 1}, overdue=1
        ),
        cell_b: expected(5, 0, 0, 0.0, {"verified": 1, "admitted": 1}, overdue=1),
    }
    # One year given: the other is the same.
    assert ok(progress(client, world["commune"], from_year=2025))["to_year"] == 2025
    assert ok(progress(client, world["commune"], to_year=2024))["from_year"] == 2024
    clock.day = date(2027, 1, 5)
    assert ok(progress(client, world["commune"]))["from_year"] == 2027


@pytest.mark.parametrize(
    "params",
    [
        {"from_year": 2026, "to_year": 2025},
        {"from_year": 1989},
        {"to_year": 2101},
    ],
)
def test_invalid_progress_periods_are_422(client: TestClient, params: dict[str, Any]) -> None:
    world = make_tree(client)
    assert_problem(progress(client, world["commune"], **params), 422)


def test_an_outcome_standing_for_individual_admissions_is_not_counted_twice(
    client: TestClient,
) -> None:
    world = make_tree(client)
    commune, cell_a = world["commune"]["id"], world["cell_a"]["id"]
    follow(client, world["cell_a"], SINCE, *PATHS["admitted"])  # admitted 2025-01-20
    make_target(client, world["cell_a"], year=2025, target=4)

    def figures() -> dict[int, dict[str, Any]]:
        return figures_by_unit(ok(progress(client, world["commune"], from_year=2025)))

    stages = {"admitted": 1}
    assert figures()[cell_a] == expected(4, 1, 0, 25.0, stages, overdue=1)
    replacing = make_outcome(
        client, world["cell_a"], "2025-01-01", "2025-03-31", admitted=3, replaces_individual=True
    )
    assert figures()[cell_a] == expected(4, 0, 3, 75.0, stages, overdue=1)
    assert figures()[commune] == expected(None, 0, 3, None, stages, overdue=1)
    # Withdrawn, the individual admission counts again.
    assert client.delete(ourl(replacing)).status_code == 204
    assert figures()[cell_a] == expected(4, 1, 0, 25.0, stages, overdue=1)


def test_a_closed_child_still_counts(client: TestClient) -> None:
    world = make_tree(client)
    follow(client, world["cell_b"], SINCE, *PATHS["official"])  # admitted 2025-01-20
    close(client, world["cell_b"], "2026-03-05")
    body = ok(progress(client, world["commune"], from_year=2025))
    figures = figures_by_unit(body)
    assert [c["unit_id"] for c in body["children"]] == [
        world["cell_a"]["id"],
        world["cell_b"]["id"],
    ]
    assert figures[world["cell_b"]["id"]] == expected(None, 1, 0, None, {"admitted": 1})
    assert figures[world["commune"]["id"]] == expected(None, 1, 0, None, {"admitted": 1})


def test_stage_counts_of_a_past_year_survive_a_retaken_course(client: TestClient) -> None:
    """Retaking an expired course does not rewrite where the candidate stood years before."""
    world = make_tree(client)
    candidate = follow(
        client,
        world["cell_a"],
        "2017-01-10",
        ("complete_course", "2018-03-01"),
        ("complete_course", "2024-05-02"),  # the certificate expired on 2023-03-01
    )
    history = ok(client.get(curl(candidate, "/history")))
    assert [e["on"] for e in history] == ["2018-03-01", "2024-05-02"]
    body = ok(progress(client, world["cell_a"], from_year=2020, to_year=2020))
    assert numbers(body["unit"])["stages"] == {"awareness_course": 1}


# --- outcomes -------------------------------------------------------------------------------


def test_report_admissions_as_a_count(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    reporter = login("reporter", world["commune"]["id"], "van-phong")
    body = outcome_body(
        world["commune"],
        "2021-01-01",
        "2022-12-31",
        admitted=15,
        source="Báo cáo tổng kết",
        note="  Số liệu lịch sử  ",
    )
    response = reporter.post(OUTCOMES, json=body)
    created = ok(response, 201)
    assert response.headers["location"].endswith(ourl(created))
    assert response.headers["etag"] == '"1"'
    assert created["admitted"] == 15
    assert created["replaces_individual"] is False
    assert created["note"] == "Số liệu lịch sử"
    got = client.get(ourl(created))
    assert (ok(got), got.headers["etag"]) == (created, '"1"')
    (row,) = audit(client, "recruitment_outcome", created["id"])
    assert (row["action"], row["unit_id"], row["actor"]) == (
        "create",
        world["commune"]["id"],
        "van-phong",
    )


@pytest.mark.parametrize(
    ("unit", "status"),
    [
        ("cell_a", 409),  # the candidate's own unit
        ("commune", 409),  # a unit above it
        ("district", 409),
        ("cell_b", 201),  # a sibling: not its subtree
        ("department", 201),
    ],
)
def test_an_outcome_over_individual_admissions(client: TestClient, unit: str, status: int) -> None:
    world = make_tree(client)
    at(client, world["cell_a"], "admitted")  # admitted 2025-01-20
    response = report(client, world[unit], "2025-01-01", "2025-06-30")
    if status == 409:
        problem = assert_problem(response, 409)
        assert "replaces_individual" in problem["detail"]
        assert outcome_state(client) == ([], [], [])
        # Standing for them, it is taken.
        replacing = make_outcome(
            client, world[unit], "2025-01-01", "2025-06-30", replaces_individual=True
        )
        assert replacing["replaces_individual"] is True
    else:
        ok(response, 201)


def test_an_outcome_next_to_individual_admissions(client: TestClient) -> None:
    world = make_tree(client)
    at(client, world["cell_a"], "admitted")  # admitted 2025-01-20
    make_outcome(client, world["commune"], "2024-01-01", "2025-01-19")
    make_outcome(client, world["cell_a"], "2025-01-21", "2025-06-30")
    assert_problem(report(client, world["district"], "2025-01-20", "2025-01-20"), 409)


@pytest.mark.parametrize(
    ("holder", "status"),
    [
        ("cell_a", 409),  # the candidate's unit
        ("commune", 409),  # a unit above
        ("district", 409),
        ("cell_b", 200),  # a sibling
    ],
)
def test_admitting_into_a_period_reported_as_a_count(
    client: TestClient, holder: str, status: int
) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "verified")
    outcome = make_outcome(client, world[holder], "2025-01-01", "2025-06-30")
    before = cand_state(client, candidate)
    response = act(client, candidate, "admit", "2025-06-30", **REQUIRED)  # the period's last day
    if status == 409:
        problem = assert_problem(response, 409)
        assert str(outcome["id"]) in problem["detail"]
        assert cand_state(client, candidate) == before
        # Outside the period it is fine.
        assert step(client, candidate, "admit", "2025-07-01")["admitted_on"] == "2025-07-01"
    else:
        assert ok(response)["admitted_on"] == "2025-06-30"


def test_admitting_into_a_period_an_outcome_stands_for(client: TestClient) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "verified")
    make_outcome(client, world["commune"], "2025-01-01", "2025-06-30", replaces_individual=True)
    assert step(client, candidate, "admit", "2025-03-01")["stage"] == "admitted"
    # A candidate of the commune itself, below which a cell reported: not covered.
    own = at(client, world["commune"], "verified")
    make_outcome(client, world["cell_b"], "2025-07-01", "2025-12-31")
    assert step(client, own, "admit", "2025-08-01")["stage"] == "admitted"


@pytest.mark.parametrize(
    ("unit", "start", "end", "status"),
    [
        ("commune", "2024-12-31", "2025-03-31", 409),  # the same unit, one day shared
        ("commune", "2023-01-01", "2025-12-31", 409),  # around
        ("district", "2024-06-01", "2024-06-30", 409),  # a unit above
        ("province", "2020-01-01", "2024-01-01", 409),
        ("cell_a", "2024-03-01", "2025-02-01", 409),  # a unit below
        ("commune", "2025-01-01", "2025-12-31", 201),  # the next period
        ("cell_b", "2025-01-01", "2025-06-30", 201),
        ("department", "2024-01-01", "2024-12-31", 201),  # a sibling, the same days
    ],
)
def test_outcomes_of_one_line_of_units_do_not_overlap(
    client: TestClient, unit: str, start: str, end: str, status: int
) -> None:
    world = make_tree(client)
    first = make_outcome(client, world["commune"], "2024-01-01", "2024-12-31")
    before = outcome_state(client)
    response = report(client, world[unit], start, end, replaces_individual=True)
    if status == 409:
        problem = assert_problem(response, 409)
        assert str(first["id"]) in problem["detail"]
        assert outcome_state(client) == before
    else:
        ok(response, 201)


def test_a_period_ends_after_it_starts_and_has_begun(client: TestClient) -> None:
    world = make_tree(client)
    assert_problem(report(client, world["commune"], "2025-06-30", "2025-01-01"), 422)
    tomorrow = str(TODAY + timedelta(days=1))
    problem = assert_problem(report(client, world["commune"], tomorrow, "2026-12-31"), 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "period_start"]]
    assert outcome_state(client) == ([], [], [])
    # A period that has begun may end later; a single day is a period.
    make_outcome(client, world["commune"], "2026-01-01", "2026-12-31")
    make_outcome(client, world["department"], str(TODAY), str(TODAY))

    outcome = make_outcome(client, world["department"], "2025-01-01", "2025-06-30")
    before = outcome_state(client)
    only_end = client.patch(ourl(outcome), json={"period_end": "2024-12-31"})
    problem = assert_problem(only_end, 422)
    assert [e["loc"] for e in problem["errors"]] == [["body", "period_end"]]
    both = {"period_start": "2025-06-01", "period_end": "2025-05-31"}
    assert_problem(client.patch(ourl(outcome), json=both), 422)
    assert outcome_state(client) == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("admitted", -1), ("admitted", None), ("unit_id", 999_999), ("period_start", "2025-02-30")],
)
def test_invalid_outcomes_are_422(client: TestClient, field: str, value: Any) -> None:
    world = make_tree(client)
    body = outcome_body(world["commune"], "2025-01-01", "2025-06-30") | {field: value}
    problem = assert_problem(client.post(OUTCOMES, json=body), 422)
    assert all(e["loc"][:2] == ["body", field] for e in problem["errors"]), problem["errors"]
    assert outcome_state(client) == ([], [], [])


def test_correct_an_outcome_with_if_match(client: TestClient) -> None:
    world = make_tree(client)
    outcome = make_outcome(client, world["commune"], "2024-01-01", "2024-12-31", admitted=5)
    make_outcome(client, world["cell_a"], "2025-01-01", "2025-06-30", admitted=1)

    response = client.patch(ourl(outcome), json={"admitted": 6}, headers={"If-Match": '"1"'})
    assert (ok(response)["admitted"], response.headers["etag"]) == (6, '"2"')

    before = outcome_state(client)
    stale = client.patch(ourl(outcome), json={"admitted": 7}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    # Stretched over the cell's period: the same admissions twice.
    overlapping = client.patch(ourl(outcome), json={"period_end": "2025-03-31"})
    assert_problem(overlapping, 409)
    assert outcome_state(client) == before
    # Moved clear of it, it is fine.
    moved = ok(client.patch(ourl(outcome), json={"period_start": "2023-01-01"}))
    assert moved["period_start"] == "2023-01-01"
    assert actions(client, "recruitment_outcome", outcome["id"]) == ["create", "update", "update"]


def test_an_outcome_stops_standing_for_individual_admissions_only_when_none_remain(
    client: TestClient,
) -> None:
    world = make_tree(client)
    candidate = at(client, world["cell_a"], "admitted")
    outcome = make_outcome(
        client, world["commune"], "2025-01-01", "2025-06-30", admitted=4, replaces_individual=True
    )
    before = outcome_state(client)
    assert_problem(client.patch(ourl(outcome), json={"replaces_individual": False}), 409)
    assert outcome_state(client) == before
    # Dropping the candidate keeps the admission: it happened.
    step(client, candidate, "drop", TODAY)
    assert_problem(client.patch(ourl(outcome), json={"replaces_individual": False}), 409)
    moved = client.patch(
        ourl(outcome), json={"period_start": "2025-02-01", "replaces_individual": False}
    )
    assert ok(moved)["replaces_individual"] is False


def test_withdraw_an_outcome(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    reporter = login("reporter", world["commune"]["id"])
    outcome = make_outcome(reporter, world["commune"], "2024-01-01", "2024-12-31")
    ok(reporter.patch(ourl(outcome), json={"admitted": 2}))
    before = outcome_state(client)
    assert_problem(reporter.delete(ourl(outcome), headers={"If-Match": '"1"'}), 412)
    assert outcome_state(client) == before
    response = reporter.delete(ourl(outcome), headers={"If-Match": '"2"'})
    assert response.status_code == 204, response.text
    assert_problem(client.get(ourl(outcome)), 404)
    assert actions(client, "recruitment_outcome", outcome["id"]) == ["create", "update", "delete"]
    # The period is free again.
    make_outcome(client, world["district"], "2024-01-01", "2024-12-31")


def test_outcomes_within_ones_scope(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    other = make_unit(client, kind="commune_committee", parent_id=world["district"]["id"])
    outcome = make_outcome(client, world["commune"], "2024-01-01", "2024-12-31")
    before = outcome_state(client)

    for caller in (
        login("viewer", world["commune"]["id"]),
        login("viewer", world["district"]["id"]),
    ):
        assert ids(caller.get(OUTCOMES)) == [outcome["id"]]
        assert_problem(report(caller, world["commune"], "2023-01-01", "2023-12-31"), 403)
        assert_problem(caller.patch(ourl(outcome), json={"admitted": 9}), 403)
        assert_problem(caller.delete(ourl(outcome)), 403)
    for caller in (login("manager", other["id"]), login("reporter", world["cell_a"]["id"])):
        assert ids(caller.get(OUTCOMES)) == []
        assert_problem(caller.get(ourl(outcome)), 404)
        assert_problem(caller.patch(ourl(outcome), json={"admitted": 9}), 404)
        assert_problem(caller.delete(ourl(outcome)), 404)
        assert_problem(report(caller, world["commune"], "2023-01-01", "2023-12-31"), 403)
    assert outcome_state(client) == before

    # A reporter reports for the units below it too.
    reporter = login("reporter", world["commune"]["id"])
    make_outcome(reporter, world["cell_a"], "2025-01-01", "2025-06-30")


def test_outcome_filters(client: TestClient) -> None:
    world = make_tree(client)
    mine = {
        "commune_2024": make_outcome(client, world["commune"], "2024-01-01", "2024-12-31"),
        "cell_a_2025": make_outcome(client, world["cell_a"], "2025-01-01", "2025-06-30"),
        "department_long": make_outcome(client, world["department"], "2023-07-01", "2025-06-30"),
    }

    def find(**params: Any) -> list[str]:
        found = ids(client.get(OUTCOMES, params=params))
        return [k for i in found for k, o in mine.items() if o["id"] == i]

    # By period.
    assert find() == ["department_long", "commune_2024", "cell_a_2025"]
    assert find(root_id=world["commune"]["id"]) == ["commune_2024", "cell_a_2025"]
    assert find(root_id=world["cell_b"]["id"]) == []
    assert find(unit_id=world["department"]["id"]) == ["department_long"]
    assert find(year=2023) == ["department_long"]
    assert find(year=2025) == ["department_long", "cell_a_2025"]
    assert find(year=2026) == []
    assert find(year=2024, root_id=world["commune"]["id"]) == ["commune_2024"]


def test_the_member_in_charge_must_follow_the_unit(client: TestClient) -> None:
    """In charge of the unit or above it, or sitting in a committee above it, today; once
    recorded, a later edit that keeps the same member is not refused because their charge
    has ended since."""
    world = make_tree(client)
    member = make_person(client)
    stranger = make_person(client)
    charge = ok(
        client.post(
            "/api/v1/areas-of-charge",
            json={"person_id": member["id"], "unit_id": world["commune"]["id"],
                  "start_on": "2025-01-01"},
        ),
        201,
    )  # fmt: skip
    candidate = make_candidate(client, world["cell_a"], SINCE, in_charge_person_id=member["id"])
    assert candidate["in_charge_person_id"] == member["id"]
    refused = client.post(
        CANDIDATES,
        json={"unit_id": world["cell_a"]["id"], "full_name": "Trần Văn Ngoài",
              "source_since": SINCE, "in_charge_person_id": stranger["id"]},
    )  # fmt: skip
    assert "neither" in assert_problem(refused, 409)["detail"]

    ended = client.patch(
        f"/api/v1/areas-of-charge/{charge['id']}",
        json={"end_on": "2026-01-01"},
        headers={"If-Match": '"1"'},
    )
    assert ended.status_code == 200, ended.text
    kept = client.patch(
        curl(candidate), json={"in_charge_person_id": member["id"], "note": "Đã gặp gia đình"}
    )
    assert kept.status_code == 200, kept.text
    assert kept.json()["note"] == "Đã gặp gia đình"
    before = cand_state(client, kept.json())
    assert_problem(client.patch(curl(candidate), json={"in_charge_person_id": stranger["id"]}), 409)
    assert cand_state(client, kept.json()) == before
