"""Closing a unit never orphans its later records, and a closed unit takes no record dated after
its closing (issue 12, item 3): both refusals are 409 problems that change nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    assert_problem,
    make_candidate,
    make_commitment,
    make_directive,
    make_outcome,
    make_person,
    make_target,
    make_tree,
    make_unit,
    outcome_body,
)
from tests.helpers import Clock, actions, ok

API = "/api/v1"
UNITS = f"{API}/units"
CANDIDATES = f"{API}/recruitment/candidates"

World = dict[str, Any]


@pytest.fixture
def world(client: TestClient, clock: Clock) -> World:
    """make_tree's units, a commune with nothing below it (the one closed) and a directive."""
    clock.day = date(2026, 12, 1)
    world: World = make_tree(client)
    world["leaf"] = make_unit(client, kind="commune_committee", parent_id=world["district"]["id"])
    world["directive"] = make_directive(client)
    return world


def close(client: TestClient, unit: dict[str, Any], day: str) -> Any:
    return client.post(f"{UNITS}/{unit['id']}/close", json={"valid_to": day})


def walk(client: TestClient, candidate: dict[str, Any], *steps: tuple[str, str]) -> dict[str, Any]:
    """The candidate moved through (action, day) steps."""
    path = f"{CANDIDATES}/{candidate['id']}/transitions"
    extra = {"decision_number": "123-QĐ/ĐU", "reason": "Chuyển nơi cư trú"}
    for action, day in steps:
        candidate = ok(client.post(path, json={"action": action, "on": day} | extra))
    return candidate


# A record of the leaf unit, made by `make`, that a close on `blocked` must not orphan while a
# close on `allowed` leaves it in the unit's past.
Make = Callable[[TestClient, World], str]


@dataclass(frozen=True)
class Case:
    kind: str
    make: Make  # returns the record's path
    blocked: str
    allowed: str


def _dropped_candidate(client: TestClient, w: World) -> str:
    candidate = make_candidate(client, w["leaf"], "2026-02-01")
    walk(client, candidate, ("drop", "2026-03-10"))
    return f"{CANDIDATES}/{candidate['id']}"


def _candidate_in_pipeline(client: TestClient, w: World) -> str:
    return f"{CANDIDATES}/{make_candidate(client, w['leaf'], '2020-02-01')['id']}"


def _outcome(client: TestClient, w: World) -> str:
    outcome = make_outcome(client, w["leaf"], "2026-01-01", "2026-03-10")
    return f"{API}/recruitment/outcomes/{outcome['id']}"


def _target(client: TestClient, w: World) -> str:
    return f"{API}/recruitment/targets/{make_target(client, w['leaf'], year=2026, target=3)['id']}"


def _commitment(status: str, year: int) -> Make:
    def make(client: TestClient, w: World) -> str:
        commitment = make_commitment(client, w, status, unit="leaf", year=year)
        return f"{API}/commitments/{commitment['id']}"

    return make


def _evaluation(client: TestClient, w: World) -> str:
    body = {"unit_id": w["leaf"]["id"], "year": 2026, "grade": "good"}
    return f"{API}/evaluations/{ok(client.post(f'{API}/evaluations', json=body), 201)['id']}"


def _term(path: str, **fields: Any) -> Make:
    def make(client: TestClient, w: World) -> str:
        body = {"person_id": make_person(client)["id"], "unit_id": w["leaf"]["id"]} | fields
        return f"{path}/{ok(client.post(path, json=body), 201)['id']}"

    return make


CASES = [
    Case("candidates", _dropped_candidate, blocked="2026-03-10", allowed="2026-03-11"),
    Case("candidates", _candidate_in_pipeline, blocked="2026-11-01", allowed="never"),
    Case("recruitment outcomes", _outcome, blocked="2026-03-10", allowed="2026-03-11"),
    # A target of the year the unit closes in is allowed: the unit lived part of that year.
    Case("recruitment targets", _target, blocked="2026-01-01", allowed="2026-01-02"),
    Case("commitments", _commitment("completed", 2026), blocked="2026-01-01", allowed="2026-07-01"),
    Case("commitments", _commitment("in_progress", 2020), blocked="2026-11-01", allowed="never"),
    Case("commitments", _commitment("cancelled", 2020), blocked="never", allowed="2020-06-01"),
    Case("evaluations", _evaluation, blocked="2026-01-01", allowed="2026-12-01"),
    Case(
        "positions",
        _term(f"{API}/positions", post="secretary", start_on="2026-03-10"),
        blocked="2026-03-10",
        allowed="2026-03-11",
    ),
    Case(
        "areas of charge",
        _term(f"{API}/areas-of-charge", start_on="2026-03-10"),
        blocked="2026-03-10",
        allowed="2026-03-11",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.kind}-{c.make.__name__}")
def test_a_close_never_orphans_later_records(client: TestClient, world: World, case: Case) -> None:
    leaf = world["leaf"]
    path = case.make(client, world)
    record = ok(client.get(path))
    if case.blocked != "never":
        problem = assert_problem(close(client, leaf, case.blocked), 409)
        assert f"{case.kind} (ids {record['id']})" in problem["detail"]
        # Nothing changed: the unit, the record, the trail.
        assert ok(client.get(f"{UNITS}/{leaf['id']}"))["valid_to"] is None
        assert ok(client.get(path)) == record
        assert "close" not in actions(client, "unit", leaf["id"])
    if case.allowed != "never":
        assert ok(close(client, leaf, case.allowed))["valid_to"] == case.allowed
        assert "close" in actions(client, "unit", leaf["id"])


def test_a_refusal_counts_and_names_the_first_few(client: TestClient, world: World) -> None:
    made = [make_candidate(client, world["leaf"], "2026-01-05")["id"] for _ in range(7)]
    make_target(client, world["leaf"], year=2027, target=1)
    detail = assert_problem(close(client, world["leaf"], "2026-01-01"), 409)["detail"]
    assert f"7 candidates (ids {', '.join(str(i) for i in made[:5])}, …)" in detail
    assert "1 recruitment targets" in detail


def test_posts_and_areas_open_on_the_closing_day_end_then(client: TestClient, world: World) -> None:
    leaf = world["leaf"]["id"]
    person = make_person(client)["id"]
    term = {"person_id": person, "unit_id": leaf}
    positions, areas = f"{API}/positions", f"{API}/areas-of-charge"
    open_post = ok(client.post(positions, json=term | {"post": "secretary"}), 201)
    later_end = ok(
        client.post(
            positions,
            json=term
            | {"post": "deputy_secretary", "start_on": "2020-01-01", "end_on": "2030-01-01"},
        ),
        201,
    )
    ended = ok(
        client.post(
            positions,
            json=term | {"post": "standing_committee_member", "end_on": "2024-01-01"},
        ),
        201,
    )
    area = ok(client.post(areas, json=term | {"start_on": "2021-01-01"}), 201)
    ok(close(client, world["leaf"], "2025-07-01"))
    for path, record in [(positions, open_post), (positions, later_end), (areas, area)]:
        assert ok(client.get(f"{path}/{record['id']}"))["end_on"] == "2025-07-01"
    assert ok(client.get(f"{positions}/{ended['id']}"))["end_on"] == "2024-01-01"
    # Each ending is audited, under the unit; the term that had ended is left alone.
    assert actions(client, "position", open_post["id"]) == ["create", "update"]
    assert actions(client, "area_of_charge", area["id"]) == ["create", "update"]
    assert actions(client, "position", ended["id"]) == ["create"]


# Writes to a unit closed on 2025-07-01: (method, path, body) refused, then one allowed, its day
# before the closing. Made by functions of the world and the records made before the close.
Write = tuple[str, str, dict[str, Any]]


def _writes(w: World, before: dict[str, Any]) -> list[tuple[Write, Write | None]]:
    leaf = w["leaf"]["id"]
    person = before["person"]
    outcome = f"{API}/recruitment/outcomes/{before['outcome']}"
    position = f"{API}/positions/{before['position']}"
    commitment = {
        "unit_id": leaf,
        "registered_with_id": w["district"]["id"],
        "directive_id": w["directive"]["id"],
        "year": 2024,
        "kind": "difficult_task",
        "category": "party_recruitment",
        "title": "Việc khó",
    }
    return [
        (
            ("POST", CANDIDATES, {"unit_id": leaf, "full_name": "A", "source_since": "2025-01-01"}),
            None,
        ),
        (
            (
                "POST",
                f"{API}/recruitment/outcomes",
                outcome_body(w["leaf"], "2025-06-01", "2025-07-01"),
            ),
            (
                "POST",
                f"{API}/recruitment/outcomes",
                outcome_body(w["leaf"], "2025-06-01", "2025-06-30"),
            ),
        ),
        (("PATCH", outcome, {"period_end": "2025-08-01"}), ("PATCH", outcome, {"admitted": 9})),
        (
            ("POST", f"{API}/recruitment/targets", {"unit_id": leaf, "year": 2026, "target": 2}),
            ("POST", f"{API}/recruitment/targets", {"unit_id": leaf, "year": 2025, "target": 2}),
        ),
        (("POST", f"{API}/commitments", commitment), None),
        (
            ("POST", f"{API}/evaluations", {"unit_id": leaf, "year": 2026, "grade": "good"}),
            ("POST", f"{API}/evaluations", {"unit_id": leaf, "year": 2025, "grade": "good"}),
        ),
        (
            (
                "POST",
                f"{API}/positions",
                {
                    "person_id": person,
                    "unit_id": leaf,
                    "post": "secretary",
                    "start_on": "2025-07-01",
                },
            ),
            (
                "POST",
                f"{API}/positions",
                {
                    "person_id": person,
                    "unit_id": leaf,
                    "post": "secretary",
                    "start_on": "2025-06-01",
                    "end_on": "2025-06-30",
                },
            ),
        ),
        (
            ("PATCH", position, {"start_on": "2025-08-01", "end_on": "2025-09-01"}),
            ("PATCH", position, {"note": "Ghi chú"}),
        ),
        (
            (
                "POST",
                f"{API}/areas-of-charge",
                {"person_id": person, "unit_id": leaf, "start_on": "2025-09-01"},
            ),
            (
                "POST",
                f"{API}/areas-of-charge",
                {
                    "person_id": person,
                    "unit_id": leaf,
                    "start_on": "2025-01-01",
                    "end_on": "2025-02-01",
                },
            ),
        ),
    ]


def test_a_closed_unit_takes_no_record_dated_after_its_closing(
    client: TestClient, world: World
) -> None:
    leaf = world["leaf"]
    person = make_person(client)["id"]
    outcome = make_outcome(client, leaf, "2025-01-01", "2025-03-31")["id"]
    body = {"person_id": person, "unit_id": leaf["id"], "post": "deputy_secretary"}
    position = ok(
        client.post(
            f"{API}/positions", json=body | {"start_on": "2024-01-01", "end_on": "2025-01-01"}
        ),
        201,
    )["id"]
    ok(close(client, leaf, "2025-07-01"))
    trail = ok(client.get(f"{API}/audit-events", params={"limit": 500, "count": "exact"}))["total"]
    for refused, allowed in _writes(
        world, {"person": person, "outcome": outcome, "position": position}
    ):
        method, path, payload = refused
        before = ok(client.get(path)) if method == "PATCH" else None
        problem = assert_problem(client.request(method, path, json=payload), 409)
        assert problem["detail"].startswith(f"Unit {leaf['code']} closed on 2025-07-01"), problem
        if before is not None:
            assert ok(client.get(path)) == before
        assert (
            ok(client.get(f"{API}/audit-events", params={"limit": 500, "count": "exact"}))["total"]
            == trail
        )
        if allowed is not None:
            method, path, payload = allowed
            assert client.request(method, path, json=payload).status_code in (200, 201), payload
            trail += 1


def test_the_issue_back_dated_close_is_refused(client: TestClient, world: World) -> None:
    """Issue 12: Hương Sơn closed back-dated to 2025-07-01 though it had a 2026 admission and a
    2026 target, after which the province's 2026 target read null."""
    province, leaf = world["province"], world["leaf"]
    make_target(client, world["district"], year=2026, target=10)
    make_target(client, leaf, year=2026, target=4)
    candidate = make_candidate(client, leaf, "2025-01-10")
    walk(
        client,
        candidate,
        ("complete_course", "2025-03-01"),
        ("apply", "2025-09-01"),
        ("verify", "2025-12-01"),
        ("admit", "2026-02-10"),
    )
    report = f"{API}/reports/recruitment"
    params = {"root_id": province["id"], "from_year": 2026, "to_year": 2026, "depth": 3}
    before = ok(client.get(report, params=params))
    detail = assert_problem(close(client, leaf, "2025-07-01"), 409)["detail"]
    assert f"1 candidates (ids {candidate['id']})" in detail
    assert "1 recruitment targets" in detail
    assert ok(client.get(report, params=params)) == before
    assert ok(client.get(f"{UNITS}/{leaf['id']}"))["valid_to"] is None
