"""Rule sets as data (issue 13, item 1): each domain's sets cover every day exactly once, and
clients read them with their sources; unverified values are settings, and say so."""

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from app.core.config import settings
from app.rules.core import RuleDomain
from app.rules.registry import RULE_SETS, rule_sets
from tests.factories import assert_problem
from tests.helpers import ok

RULES = "/api/v1/rules"


@pytest.mark.parametrize("domain", list(RuleDomain))
def test_each_domain_has_one_set_in_force_on_every_day(domain: RuleDomain) -> None:
    sets = rule_sets(domain)
    assert sets
    edges = {d for s in sets for d in (s.in_force_from, s.in_force_to) if d is not None}
    days = {date(1930, 2, 3), date(2100, 1, 1)} | {
        edge + timedelta(days=shift) for edge in edges for shift in (-1, 0)
    }
    for day in sorted(days):
        assert len(rule_sets(domain, day)) == 1, day


def test_codes_are_unique() -> None:
    codes = [s.code for s in RULE_SETS]
    assert len(codes) == len(set(codes))


def test_clients_read_the_rules_in_force_with_their_sources(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = ok(client.get(RULES, params={"domain": "admission", "on": "2025-07-01"}))
    assert [s["code"] for s in found] == ["admission-2025"]
    admission = found[0]
    assert any("294-QĐ/TW" in source for source in admission["sources"])
    rules = {rule["name"]: rule for rule in admission["rules"]}
    assert rules["probation_months"]["value"] == 12
    assert "Điều 5.1" in rules["probation_months"]["source"]
    assert rules["decision_working_days"]["value"] == 60
    course = rules["course_valid_years"]
    assert (course["verified"], course["setting"]) == (False, "CAMKET_COURSE_VALID_YEARS")
    monkeypatch.setattr(settings, "course_valid_years", 3)
    again = ok(client.get(f"{RULES}/admission-2025"))
    assert {r["name"]: r["value"] for r in again["rules"]}["course_valid_years"] == 3
    before = ok(client.get(RULES, params={"domain": "admission", "on": "2025-06-30"}))
    assert [s["code"] for s in before] == ["admission-before-2025-07"]
    assert_problem(client.get(f"{RULES}/no-such-set"), 404)
    assert_problem(client.get(RULES, params={"domain": "nothing"}), 422)


def test_rules_need_a_signed_in_caller(anon: TestClient) -> None:
    assert_problem(anon.get(RULES), 401)
