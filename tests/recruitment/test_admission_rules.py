"""The admission rules in force (issue 13, item 2; FACTS-2025.md: the Party Charter, Regulation
294-QĐ/TW, Guidance 06-HD/TW): the cell's proposal and the committee's 60 working days, the age
rule counted in months at the proposal with its over-60 path, three failed votes referring the
case up, and each date computed under the rule set in force on the day it counts from. Through
the API, on both databases; deadlines against the walk over Vietnam's days off."""

from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.rules import registry
from app.rules.core import RuleDomain
from tests.factories import assert_problem, make_candidate, make_tree
from tests.helpers import Clock, ok
from tests.recruitment.test_recruitment import (
    CANDIDATES,
    act,
    alerts_of,
    cand_state,
    curl,
    follow,
    step,
    with_alert,
)
from tests.recruitment.test_recruitment_calendar import walk_working_days

TODAY = date(2026, 6, 30)
VERIFIED = (("complete_course", "2023-06-01"), ("apply", "2023-07-03"), ("verify", "2023-09-01"))


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def verified(client: TestClient, unit: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return follow(client, unit, "2023-01-10", *VERIFIED, **fields)


def test_the_committee_decides_within_60_working_days_of_the_cells_proposal(
    client: TestClient, clock: Clock
) -> None:
    world = make_tree(client)
    candidate = verified(client, world["cell_a"], birth_date="1990-05-01")
    # Proposed before Tết 2026 (16–20 February): the 60 working days step over it.
    candidate = step(client, candidate, "propose", "2026-01-05")
    due = walk_working_days(date(2026, 1, 5), 60)
    assert (candidate["proposed_on"], candidate["decision_due_on"]) == ("2026-01-05", str(due))
    assert candidate["stage"] == "verified"

    def seen_on(day: date) -> tuple[list[str], list[int], list[int], int]:
        clock.day = day
        report = ok(
            client.get(
                "/api/v1/reports/recruitment",
                params={"root_id": world["province"]["id"], "from_year": 2026, "to_year": 2026},
            )
        )
        return (
            alerts_of(client, candidate),
            with_alert(client, "decision_due"),
            with_alert(client, "decision_overdue"),
            report["totals"]["overdue_alerts"],
        )

    mine = [candidate["id"]]
    assert seen_on(date(2026, 1, 5)) == (["decision_due"], mine, [], 0)
    assert seen_on(due) == (["decision_due"], mine, [], 0)
    late = date.fromordinal(due.toordinal() + 1)
    assert seen_on(late) == (["decision_overdue"], [], mine, 1)
    candidate = step(client, candidate, "admit", late.isoformat(), decision_number="7-QĐ/ĐU")
    assert seen_on(late) == (["ceremony_due"], [], [], 0)
    # A second proposal is refused, and so is one after the admission.
    assert_problem(act(client, candidate, "propose", late.isoformat()), 409)


def test_the_age_rule_is_checked_in_months_on_the_cells_proposal(client: TestClient) -> None:
    world = make_tree(client)
    cell = world["cell_a"]
    unknown = verified(client, cell)
    before = cand_state(client, unknown)
    problem = assert_problem(act(client, unknown, "propose", "2025-03-14"), 409)
    assert "birth_date" in problem["detail"]
    assert cand_state(client, unknown) == before

    # 18 on 15 March 2025: a day short the day before.
    young = verified(client, cell, birth_date="2007-03-15")
    before = cand_state(client, young)
    problem = assert_problem(act(client, young, "propose", "2025-03-14"), 409)
    assert "17 years 11 months" in problem["detail"]
    assert cand_state(client, young) == before
    assert step(client, young, "propose", "2025-03-15")["proposed_on"] == "2025-03-15"

    # 60 and one month: only with the decision of the committee directly under the Central
    # Committee, which the candidate's record then keeps.
    old = verified(client, cell, birth_date="1965-07-31")
    before = cand_state(client, old)
    problem = assert_problem(act(client, old, "propose", "2025-08-31"), 409)
    assert "over_60_decision" in problem["detail"]
    assert cand_state(client, old) == before
    allowed = step(client, old, "propose", "2025-08-31", over_60_decision="15-QĐ/TU")
    assert allowed["over_60_decision"] == "15-QĐ/TU"
    sixty = verified(client, cell, birth_date="1965-07-31")
    assert step(client, sixty, "propose", "2025-07-31")["over_60_decision"] is None

    # Admitted without a recorded proposal: checked on the decision day when the birth date is
    # known; a candidate without one is admitted as before.
    too_young = verified(client, cell, birth_date="2008-01-01")
    assert_problem(act(client, too_young, "admit", "2025-06-02", decision_number="1-QĐ"), 409)
    assert step(client, unknown, "admit", "2025-06-02")["stage"] == "admitted"


def test_the_third_failed_vote_refers_the_case_to_the_superior_committee(
    client: TestClient,
) -> None:
    world = make_tree(client)
    candidate = verified(client, world["cell_a"], birth_date="1995-01-01")
    for n, day in enumerate(("2024-01-05", "2024-03-05"), start=1):
        candidate = step(client, candidate, "record_failed_vote", day)
        assert (candidate["failed_votes"], candidate["referred_on"]) == (n, None)
        assert candidate["stage"] == "verified"
        assert alerts_of(client, candidate) == []
    candidate = step(client, candidate, "record_failed_vote", "2024-05-06")
    assert (candidate["failed_votes"], candidate["referred_on"]) == (3, "2024-05-06")
    assert alerts_of(client, candidate) == ["referred"]
    before = cand_state(client, candidate)
    problem = assert_problem(act(client, candidate, "record_failed_vote", "2024-06-03"), 409)
    assert "superior committee" in problem["detail"]
    assert cand_state(client, candidate) == before
    history = ok(client.get(curl(candidate, "/history")))
    assert [(e["action"], e["to_stage"]) for e in history[-3:]] == [
        ("record_failed_vote", "verified")
    ] * 3
    # The superior committee admits: the cell's votes on the recognition count afresh.
    candidate = step(client, candidate, "admit", "2024-06-03")
    assert (candidate["failed_votes"], candidate["referred_on"]) == (0, None)
    candidate = step(client, candidate, "hold_ceremony", "2024-06-20")
    candidate = step(client, candidate, "record_failed_vote", "2025-06-23")
    assert (candidate["stage"], candidate["failed_votes"]) == ("admitted", 1)


def test_a_birth_date_sets_the_birth_year(client: TestClient) -> None:
    world = make_tree(client)
    body = {
        "unit_id": world["cell_a"]["id"],
        "full_name": "Lê Văn Tuổi",
        "source_since": "2024-01-02",
    }
    assert_problem(
        client.post(CANDIDATES, json=body | {"birth_date": "1990-05-01", "birth_year": 1991}), 422
    )
    assert ok(client.get(CANDIDATES, params={"q": "Tuổi", "count": "exact"}))["total"] == 0
    made = make_candidate(client, world["cell_a"], "2024-01-02", birth_date="1990-05-01")
    assert made["birth_year"] == 1990
    url = curl(made)
    etag = client.get(url).headers["etag"]
    changed = ok(client.patch(url, json={"birth_date": "1991-02-03"}, headers={"If-Match": etag}))
    assert (changed["birth_date"], changed["birth_year"]) == ("1991-02-03", 1991)
    etag = client.get(url).headers["etag"]
    assert_problem(client.patch(url, json={"birth_year": 1980}, headers={"If-Match": etag}), 422)


def test_each_date_is_computed_under_the_rules_in_force_on_its_day(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Were the rules before 1 July 2025 to give the ceremony 10 working days, a decision of
    30 June would be due under them and one of 1 July under Regulation 294-QĐ/TW."""
    earlier, current = registry.rule_sets(RuleDomain.admission)
    assert earlier.in_force_to == current.in_force_from == date(2025, 7, 1)
    shorter = tuple(
        replace(rule, fixed=10) if rule.name == "ceremony_working_days" else rule
        for rule in earlier.rules
    )
    patched = tuple(replace(s, rules=shorter) if s is earlier else s for s in registry.RULE_SETS)
    monkeypatch.setattr(registry, "RULE_SETS", patched)
    world = make_tree(client)
    due = {}
    for day in ("2025-06-30", "2025-07-01"):
        candidate = follow(client, world["cell_a"], "2023-01-10", *VERIFIED, ("admit", day))
        due[day] = candidate["ceremony_due_on"]
    assert due == {
        "2025-06-30": str(walk_working_days(date(2025, 6, 30), 10)),
        "2025-07-01": str(walk_working_days(date(2025, 7, 1), 30)),
    }
