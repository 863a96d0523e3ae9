"""Evaluation under Regulation 366-QĐ/TW, through the API: scores per criterion on the criteria
set in force, points on the proposal and the decision, grades derived from the points, the
period's tasks and disciplines; periods of a year, a quarter or a term; criteria sets versioned
by year; and periods ending before the regulation keeping their rules.

The tree is make_tree's: province → district → (department, commune → cells A and B); the
commune is evaluated, the district is its superior.
"""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.factories import (
    assert_problem,
    make_commitment,
    make_directive,
    make_discipline,
    make_outcome,
    make_person,
    make_target,
    make_tree,
)
from tests.helpers import AUDIT, Clock, ok, total

EVALUATIONS = "/api/v1/evaluations"
SETS = "/api/v1/criteria-sets"
SUGGESTION = f"{EVALUATIONS}/suggestion"
YEAR = 2026
TODAY = date(YEAR + 1, 3, 1)
# Cam Kết's default criteria: commitments 30, recruitment 20, the committee's 50.
MAXIMA = {"commitments": 30, "recruitment": 20, "other_tasks": 50}
ALL_ON_TIME = {"total": 10, "on_time": 10, "exceeded": 3, "behind": 0}


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def scores(points: float) -> list[dict[str, Any]]:
    """Scores on the default criteria adding up to `points`, the committee's criterion last."""
    left, out = points, []
    for code in ("commitments", "recruitment", "other_tasks"):
        given = min(left, MAXIMA[code])
        out.append({"criterion": code, "points": given, "evidence": f"Minh chứng {code}"})
        left = round(left - given, 2)
    assert left == 0
    return out


def assess(
    client: TestClient,
    unit: dict[str, Any],
    points: float,
    tasks: dict[str, int] | None = None,
    **fields: Any,
) -> Any:
    body = {
        "unit_id": unit["id"],
        "year": YEAR,
        "scores": scores(points),
        "tasks": tasks or ALL_ON_TIME,
    } | fields
    return client.post(EVALUATIONS, json=body)


def state(client: TestClient) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was."""
    listed = ok(client.get(EVALUATIONS, params={"limit": 500}))
    return listed, total(client, AUDIT, entity_type="evaluation")


# --- grades from points ---------------------------------------------------------------------

BANDS: list[tuple[float, dict[str, int], str]] = [
    (95, ALL_ON_TIME, "excellent"),
    (90, ALL_ON_TIME, "excellent"),
    (89.5, ALL_ON_TIME, "good"),
    (95, {"total": 10, "on_time": 9, "exceeded": 3, "behind": 1}, "good"),
    (95, {"total": 10, "on_time": 10, "exceeded": 2, "behind": 0}, "good"),
    (70, {"total": 10, "on_time": 0, "exceeded": 0, "behind": 10}, "good"),
    (69.75, {"total": 10, "on_time": 8, "exceeded": 0, "behind": 2}, "completed"),
    (50, ALL_ON_TIME, "completed"),
    (60, {"total": 10, "on_time": 7, "exceeded": 0, "behind": 3}, "not_completed"),
    (49.5, ALL_ON_TIME, "not_completed"),
]


@pytest.mark.parametrize(
    ("points", "tasks", "grade"),
    BANDS,
    ids=[f"{p}-{t['on_time']}-{t['exceeded']}" for p, t, _ in BANDS],
)
def test_a_self_assessment_has_the_grade_of_its_points(
    client: TestClient, points: float, tasks: dict[str, int], grade: str
) -> None:
    world = make_tree(client)
    response = assess(client, world["commune"], points, tasks, note="Tự chấm")
    assert response.status_code == 201, response.text
    created = response.json()
    assert (created["self_grade"], created["grade"]) == (grade, grade)
    assert created["self_points"] == created["points"] == points
    assert created["rule_set"] == "evaluation-366"
    assert (created["period_kind"], created["period"]) == ("year", str(YEAR))
    assert created["period_kind_label"] == "Năm"
    assert (created["period_start"], created["period_end"]) == (f"{YEAR}-01-01", f"{YEAR}-12-31")
    assert [s["criterion"] for s in created["scores"]] == list(MAXIMA)
    assert [s["max_points"] for s in created["scores"]] == list(MAXIMA.values())
    assert created["scores"][0]["evidence"] == "Minh chứng commitments"
    assert created["tasks_total"] == tasks["total"]
    assert created["grade_reasons"][0] == f"Tổng điểm: {points:g}/100."
    assert ok(client.get(f"{EVALUATIONS}/{created['id']}")) == created


def test_a_disciplined_subordinate_organisation_blocks_excellent(client: TestClient) -> None:
    world = make_tree(client)
    # A decision of the year before, and one against the commune's superior, do not count.
    make_discipline(client, world["cell_a"], world["district"], decided_on=f"{YEAR - 1}-12-31")
    make_discipline(client, world["department"], world["district"], decided_on=f"{YEAR}-03-01")
    assert ok(assess(client, world["cell_b"], 95), 201)["grade"] == "excellent"
    make_discipline(client, world["cell_a"], world["district"], form="reprimand")

    created = ok(assess(client, world["commune"], 95), 201)
    assert (created["grade"], created["points"]) == ("good", 95)
    assert any("kỷ luật" in r and "không xếp loại" in r for r in created["grade_reasons"])
    # Sent with the grade it cannot have: 409, and nothing is written.
    world_state = state(client)
    again = assess(
        client, world["commune"], 95, grade="excellent", quarter=2, period_kind="quarter"
    )
    body = assert_problem(again, 409)
    assert "good" in body["detail"]
    assert state(client) == world_state


def test_a_disciplined_leadership_member_blocks_excellent(client: TestClient) -> None:
    world = make_tree(client)
    secretary, member = make_person(client), make_person(client)
    client.post(
        "/api/v1/positions",
        json={
            "person_id": secretary["id"],
            "unit_id": world["commune"]["id"],
            "post": "secretary",
            "start_on": f"{YEAR - 2}-01-01",
        },
    )
    # A member of a cell with no post in the commune is no leader of it.
    make_discipline(
        client, world["cell_a"], world["commune"], person_id=member["id"], form="expulsion"
    )
    assert ok(assess(client, world["commune"], 92), 201)["grade"] == "excellent"

    evaluation = ok(assess(client, world["commune"], 92, period_kind="quarter", quarter=4), 201)
    assert evaluation["grade"] == "excellent"
    make_discipline(
        client,
        world["commune"],
        world["district"],
        person_id=secretary["id"],
        form="warning",
        decided_on=f"{YEAR}-11-20",
    )
    # The superior's proposal counts it: good, whatever the points.
    proposed = ok(client.post(f"{EVALUATIONS}/{evaluation['id']}/proposal", json={"points": 93}))
    assert (proposed["proposed_grade"], proposed["proposed_points"]) == ("good", 93)
    assert (proposed["self_grade"], proposed["points"], proposed["grade"]) == (
        "excellent",
        93,
        "good",
    )


def test_points_flow_through_the_proposal_and_the_decision(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    evaluation = ok(assess(client, world["commune"], 80), 201)
    reporter = login("reporter", world["district"]["id"])
    manager = login("manager", world["district"]["id"])
    proposed = ok(
        reporter.post(
            f"{EVALUATIONS}/{evaluation['id']}/proposal",
            json={"points": 65, "tasks": {"total": 10, "on_time": 5, "exceeded": 0, "behind": 5}},
        )
    )
    assert (proposed["proposed_grade"], proposed["tasks_behind"]) == ("not_completed", 5)
    decided = ok(
        manager.post(
            f"{EVALUATIONS}/{evaluation['id']}/decision",
            json={"points": 75, "grade": "good", "note": "Quyết định"},
        )
    )
    assert (decided["decided_grade"], decided["decided_points"], decided["points"]) == (
        "good",
        75,
        75,
    )
    # A decision by grade alone, as before the regulation, is still taken.
    other = ok(assess(client, world["cell_a"], 80), 201)
    ok(client.post(f"{EVALUATIONS}/{other['id']}/proposal", json={"grade": "good"}))
    decided = ok(client.post(f"{EVALUATIONS}/{other['id']}/decision", json={"grade": "completed"}))
    assert (decided["grade"], decided["decided_points"], decided["points"]) == (
        "completed",
        None,
        None,
    )


def test_a_self_assessment_with_scores_is_rescored_on_change(client: TestClient) -> None:
    world = make_tree(client)
    evaluation = ok(assess(client, world["commune"], 95), 201)
    path = f"{EVALUATIONS}/{evaluation['id']}"
    changed = ok(client.patch(path, json={"scores": scores(72)}))
    assert (changed["self_points"], changed["grade"]) == (72, "good")
    changed = ok(
        client.patch(path, json={"tasks": {"total": 4, "on_time": 1, "exceeded": 0, "behind": 3}})
    )
    assert (changed["self_points"], changed["grade"]) == (72, "good")
    before = state(client)
    assert_problem(client.patch(path, json={"grade": "excellent"}), 409)
    assert_problem(client.patch(path, json={"scores": scores(72)[:2]}), 422)
    assert state(client) == before


INVALID: list[tuple[str, Any, list[Any]]] = [
    (
        "over its max",
        {"scores": [*scores(50)[:2], {"criterion": "other_tasks", "points": 51}]},
        ["body", "scores", 2, "points"],
    ),
    ("over 100", {"scores": [{"criterion": "other_tasks", "points": 100.5}]}, None),
    ("negative", {"scores": [{"criterion": "other_tasks", "points": -1}]}, None),
    (
        "unknown criterion",
        {"scores": [*scores(50), {"criterion": "culture", "points": 0}]},
        ["body", "scores", 3, "criterion"],
    ),
    (
        "twice",
        {"scores": [*scores(50), {"criterion": "recruitment", "points": 0}]},
        ["body", "scores", 3, "criterion"],
    ),
    ("one missing", {"scores": scores(50)[:2]}, ["body", "scores"]),
    ("no tasks", {"tasks": None}, ["body", "tasks"]),
    (
        "tasks over the total",
        {"tasks": {"total": 2, "on_time": 2, "exceeded": 0, "behind": 1}},
        None,
    ),
    ("neither grade nor scores", {"scores": None, "tasks": None}, ["body", "grade"]),
    ("a quarter without its number", {"period_kind": "quarter"}, None),
    ("a quarter of a year", {"quarter": 2}, None),
    ("a term ending before it starts", {"period_kind": "term", "term_from_year": YEAR}, None),
    ("scores before 366", {"year": 2024}, ["body", "scores"]),
    (
        "a quarter before 366",
        {"period_kind": "quarter", "quarter": 2, "year": 2025},
        ["body", "scores"],
    ),
]


@pytest.mark.parametrize(("case", "change", "loc"), INVALID, ids=[c[0] for c in INVALID])
def test_bad_scores_are_422_and_change_nothing(
    client: TestClient, case: str, change: dict[str, Any], loc: list[Any] | None
) -> None:
    world = make_tree(client)
    before = state(client)
    body = {
        "unit_id": world["commune"]["id"],
        "year": YEAR,
        "scores": scores(50),
        "tasks": ALL_ON_TIME,
    }
    problem = assert_problem(client.post(EVALUATIONS, json=body | change), 422)
    if loc is not None:
        assert loc in [e["loc"] for e in problem["errors"]], problem["errors"]
    assert state(client) == before


def test_points_on_a_proposal_are_checked(client: TestClient) -> None:
    world = make_tree(client)
    old = ok(
        client.post(
            EVALUATIONS, json={"unit_id": world["commune"]["id"], "year": 2024, "grade": "good"}
        ),
        201,
    )
    new = ok(
        client.post(
            EVALUATIONS, json={"unit_id": world["cell_a"]["id"], "year": YEAR, "grade": "good"}
        ),
        201,
    )
    before = state(client)
    for evaluation, payload, loc in [
        (old, {"points": 80}, ["body", "points"]),  # 2024 grades without points
        (new, {"points": 80}, ["body", "tasks"]),  # no tasks anywhere
        (new, {"points": 100.5}, ["body", "points"]),
        (new, {}, ["body", "grade"]),
        (new, {"points": "80"}, ["body", "points"]),
    ]:
        problem = assert_problem(
            client.post(f"{EVALUATIONS}/{evaluation['id']}/proposal", json=payload), 422
        )
        assert loc in [e["loc"][:2] for e in problem["errors"]], problem["errors"]
    assert state(client) == before


# --- periods before the regulation -----------------------------------------------------------


def test_earlier_periods_keep_their_rules(client: TestClient) -> None:
    """A 2023 evaluation is graded as given, without points, under the rules of its day; its
    rule set says so, and the suggestion for 2023 is the old one."""
    world = make_tree(client)
    make_directive(client)
    evaluation = ok(
        client.post(
            EVALUATIONS,
            json={"unit_id": world["commune"]["id"], "year": 2023, "grade": "excellent"},
        ),
        201,
    )
    assert (evaluation["rule_set"], evaluation["points"], evaluation["scores"]) == (
        "evaluation-124",
        None,
        None,
    )
    ok(client.post(f"{EVALUATIONS}/{evaluation['id']}/proposal", json={"grade": "excellent"}))
    decided = ok(
        client.post(f"{EVALUATIONS}/{evaluation['id']}/decision", json={"grade": "excellent"})
    )
    assert decided["grade"] == "excellent"  # no default cap before the regulation
    got = ok(client.get(SUGGESTION, params={"unit_id": world["commune"]["id"], "year": 2023}))
    assert (got["rule_set"], got["points"], got["criteria"]) == ("evaluation-124", None, [])
    got = ok(client.get(SUGGESTION, params={"unit_id": world["commune"]["id"], "year": 2022}))
    assert got["rule_set"] == "evaluation-before-124"
    rules = ok(client.get("/api/v1/rules", params={"domain": "evaluation", "on": "2023-12-31"}))
    assert [r["code"] for r in rules] == ["evaluation-124"]
    assert all(not rule["verified"] for rule in rules[0]["rules"])
    assert "Không chấm điểm" in rules[0]["note"]


def test_the_rules_of_366_are_served_with_the_unverified_cap(client: TestClient) -> None:
    (rules,) = ok(client.get("/api/v1/rules", params={"domain": "evaluation", "on": "2026-01-01"}))
    assert rules["code"] == "evaluation-366"
    assert any("366-QĐ/TW" in s for s in rules["sources"])
    by_name = {r["name"]: r for r in rules["rules"]}
    assert {
        n: by_name[n]["value"]
        for n in ("excellent_min_points", "good_min_points", "completed_min_points")
    } == {
        "excellent_min_points": 90,
        "good_min_points": 70,
        "completed_min_points": 50,
    }
    cap = by_name["excellent_cap_percent"]
    assert (cap["value"], cap["verified"], cap["setting"]) == (
        20,
        False,
        "CAMKET_EVALUATION_EXCELLENT_CAP_PERCENT",
    )


# --- periods ----------------------------------------------------------------------------------


def test_a_year_its_quarters_and_a_term_are_evaluated_apart(client: TestClient) -> None:
    world = make_tree(client)
    unit = world["commune"]["id"]
    year = ok(client.post(EVALUATIONS, json={"unit_id": unit, "year": YEAR, "grade": "good"}), 201)
    q2 = ok(
        client.post(
            EVALUATIONS,
            json={
                "unit_id": unit,
                "year": YEAR,
                "grade": "good",
                "period_kind": "quarter",
                "quarter": 2,
            },
        ),
        201,
    )
    term = ok(
        client.post(
            EVALUATIONS,
            json={
                "unit_id": unit,
                "year": 2025,
                "period_kind": "term",
                "term_from_year": 2021,
                "grade": "good",
            },
        ),
        201,
    )
    q2_2025 = ok(
        client.post(
            EVALUATIONS,
            json={
                "unit_id": unit,
                "year": 2025,
                "grade": "good",
                "period_kind": "quarter",
                "quarter": 2,
            },
        ),
        201,
    )
    assert (q2["period"], q2["period_start"], q2["period_end"]) == (
        f"{YEAR}-Q2",
        f"{YEAR}-04-01",
        f"{YEAR}-06-30",
    )
    assert (term["period"], term["period_start"], term["period_end"], term["rule_set"]) == (
        "2021-2025",
        "2021-01-01",
        "2025-12-31",
        "evaluation-366",
    )
    # The second quarter of 2025 ended before 30 August 2025.
    assert q2_2025["rule_set"] == "evaluation-124"
    assert year["period"] == str(YEAR)
    assert_problem(
        client.post(
            EVALUATIONS,
            json={
                "unit_id": unit,
                "year": YEAR,
                "grade": "good",
                "period_kind": "quarter",
                "quarter": 2,
            },
        ),
        409,
    )
    listed = ok(client.get(EVALUATIONS, params={"period_kind": "quarter"}))["items"]
    assert [e["id"] for e in listed] == [q2_2025["id"], q2["id"]]
    got = ok(
        client.get(
            SUGGESTION,
            params={"unit_id": unit, "year": YEAR, "period_kind": "quarter", "quarter": 3},
        )
    )
    assert (got["period"], got["rule_set"]) == (f"{YEAR}-Q3", "evaluation-366")
    for params in (
        {"period_kind": "quarter"},
        {"quarter": 1},
        {"period_kind": "term", "term_from_year": YEAR},
        {"period_kind": "decade"},
    ):
        assert_problem(client.get(SUGGESTION, params={"unit_id": unit, "year": YEAR} | params), 422)


# --- the suggestion -----------------------------------------------------------------------------


def test_the_suggestion_shows_points_per_criterion_with_their_figures(client: TestClient) -> None:
    world = make_tree(client) | {"directive": make_directive(client)}
    commune = world["commune"]
    make_target(client, commune, year=YEAR, target=10)
    make_outcome(client, commune, f"{YEAR}-01-01", f"{YEAR}-12-31", admitted=8)
    make_commitment(client, world, "completed", year=YEAR)
    make_commitment(client, world, "in_progress", year=YEAR)  # its deadline passed: behind

    got = ok(client.get(SUGGESTION, params={"unit_id": commune["id"], "year": YEAR}))
    assert got["rule_set"] == "evaluation-366"
    assert got["criteria_set_id"] is None  # Cam Kết's default
    by_code = {c["criterion"]: c for c in got["criteria"]}
    assert by_code["recruitment"]["points"] == 16  # 80% of 20
    assert by_code["recruitment"]["figures"] == {
        "target": 10,
        "admitted": 8,
        "achievement_percent": 80.0,
    }
    assert by_code["recruitment"]["measure"] == "recruitment_achievement"
    assert by_code["commitments"]["points"] == 15  # 1 of 2 on time, of 30
    assert by_code["commitments"]["figures"] == {"commitments": 2, "on_time": 1, "behind": 1}
    assert by_code["other_tasks"]["points"] is None
    assert got["points"] == 31
    assert got["tasks"] == {"total": 2, "on_time": 1, "exceeded": 0, "behind": 1}
    assert (got["grade"], got["disciplined"]) == ("not_completed", 0)
    assert any("Chưa có điểm: tính 0" in r for r in got["reasons"])
    assert any("mức thấp nhất" in r for r in got["reasons"])
    # The legacy figures are still there.
    assert (got["achievement_percent"], got["commitments"], got["commitments_completed"]) == (
        80.0,
        2,
        1,
    )

    # Once the unit scores the committee's criterion and its tasks, the suggestion reads them.
    ok(
        assess(
            client,
            commune,
            80,
            {"total": 2, "on_time": 2, "exceeded": 1, "behind": 0},
        ),
        201,
    )
    got = ok(client.get(SUGGESTION, params={"unit_id": commune["id"], "year": YEAR}))
    assert {c["criterion"]: c["points"] for c in got["criteria"]}["other_tasks"] == 30
    assert got["points"] == 61
    assert got["tasks"]["exceeded"] == 1
    assert got["grade"] == "not_completed"  # 61 points with half the tasks behind


# --- criteria sets --------------------------------------------------------------------------

CRITERIA = [
    {"code": "ideology", "name": "Công tác chính trị, tư tưởng", "max_points": 40},
    {
        "code": "recruitment",
        "name": "Phát triển đảng viên",
        "max_points": 30,
        "measure": "recruitment_achievement",
    },
    {"code": "tasks", "name": "Thực hiện nhiệm vụ", "max_points": 30},
]


def test_criteria_sets_are_versioned_by_year(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    default = ok(client.get(f"{SETS}/in-force", params={"year": YEAR}))
    assert default["id"] is None
    assert sum(c["max_points"] for c in default["criteria"]) == 100
    scored_2026 = ok(assess(client, world["commune"], 95), 201)

    response = client.post(
        SETS, json={"year": YEAR + 1, "name": "Bộ tiêu chí 2027", "criteria": CRITERIA}
    )
    assert response.status_code == 201, response.text
    v2027 = response.json()
    assert response.headers["location"].endswith(f"{SETS}/{v2027['id']}")
    assert (
        v2027["criteria"][1]["measure_label"] == "Tỷ lệ kết nạp đảng viên so với chỉ tiêu được giao"
    )
    # 2026 keeps the default; 2027 and later read the new version.
    assert ok(client.get(f"{SETS}/in-force", params={"year": YEAR}))["id"] is None
    assert ok(client.get(f"{SETS}/in-force", params={"year": YEAR + 3}))["id"] == v2027["id"]
    assert ok(client.get(f"{EVALUATIONS}/{scored_2026['id']}")) == scored_2026

    # An evaluation of 2027 is scored on it.
    body = {
        "unit_id": world["cell_a"]["id"],
        "year": YEAR + 1,
        "scores": [{"criterion": c["code"], "points": c["max_points"]} for c in CRITERIA],
        "tasks": ALL_ON_TIME,
    }
    scored_2027 = ok(client.post(EVALUATIONS, json=body), 201)
    assert (scored_2027["criteria_set_id"], scored_2027["points"]) == (v2027["id"], 100)
    assert_problem(
        client.post(
            EVALUATIONS, json=body | {"unit_id": world["cell_b"]["id"], "scores": scores(50)}
        ),
        422,
    )

    # A later version leaves 2027's as it was; 2027's criteria no longer change.
    ok(
        client.post(
            SETS, json={"year": YEAR + 2, "name": "Bộ tiêu chí 2028", "criteria": CRITERIA[::-1]}
        ),
        201,
    )
    assert ok(client.get(f"{SETS}/{v2027['id']}")) == v2027
    refused = client.patch(f"{SETS}/{v2027['id']}", json={"criteria": CRITERIA[::-1]})
    assert "later year" in assert_problem(refused, 409)["detail"]
    renamed = client.patch(
        f"{SETS}/{v2027['id']}", json={"name": "Bộ tiêu chí năm 2027"}, headers={"If-Match": '"1"'}
    )
    assert ok(renamed)["name"] == "Bộ tiêu chí năm 2027"
    assert renamed.headers["etag"] == '"2"'
    assert_problem(
        client.patch(f"{SETS}/{v2027['id']}", json={"name": "X"}, headers={"If-Match": '"1"'}), 412
    )
    assert [s["year"] for s in ok(client.get(SETS))["items"]] == [YEAR + 1, YEAR + 2]

    # One version a year; only admins write; every signed-in caller reads.
    assert_problem(
        client.post(SETS, json={"year": YEAR + 1, "name": "Lại", "criteria": CRITERIA}), 409
    )
    viewer = login("viewer", world["cell_a"]["id"])
    manager = login("manager", world["province"]["id"])
    assert ok(viewer.get(f"{SETS}/{v2027['id']}"))["id"] == v2027["id"]
    assert_problem(
        manager.post(SETS, json={"year": YEAR + 5, "name": "X", "criteria": CRITERIA}), 403
    )
    assert_problem(manager.patch(f"{SETS}/{v2027['id']}", json={"name": "X"}), 403)
    assert_problem(client.get(f"{SETS}/99999"), 404)
    assert total(client, AUDIT, entity_type="criteria_set") == 3


BAD_SETS: list[tuple[str, dict[str, Any]]] = [
    ("not 100", {"criteria": CRITERIA[:2]}),
    ("a code twice", {"criteria": [*CRITERIA[:2], CRITERIA[0] | {"max_points": 30}]}),
    (
        "a measure twice",
        {
            "criteria": [
                CRITERIA[0] | {"max_points": 70},
                CRITERIA[1] | {"code": "r2", "max_points": 0},
                CRITERIA[1],
            ]
        },
    ),
    ("no criteria", {"criteria": []}),
    ("a bad code", {"criteria": [CRITERIA[0] | {"code": "Chính trị"}, *CRITERIA[1:]]}),
    ("an unknown measure", {"criteria": [CRITERIA[0] | {"measure": "mood"}, *CRITERIA[1:]]}),
    ("no name", {"name": ""}),
]


@pytest.mark.parametrize(("case", "change"), BAD_SETS, ids=[c[0] for c in BAD_SETS])
def test_bad_criteria_sets_are_422(client: TestClient, case: str, change: dict[str, Any]) -> None:
    body = {"year": YEAR, "name": "Bộ tiêu chí", "criteria": CRITERIA} | change
    assert_problem(client.post(SETS, json=body), 422)
    assert ok(client.get(SETS))["total"] == 0
    assert total(client, AUDIT, entity_type="criteria_set") == 0


# --- the cap --------------------------------------------------------------------------------------


def test_under_366_the_cap_is_of_those_rated_good_or_better(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No cap recorded: the default of 20% of the children rated good or better (unverified);
    one recorded: its percentage of them."""
    world = make_tree(client)
    a = ok(assess(client, world["cell_a"], 95), 201)
    b = ok(assess(client, world["cell_b"], 95), 201)
    for evaluation in (a, b):
        ok(client.post(f"{EVALUATIONS}/{evaluation['id']}/proposal", json={"points": 95}))
    ok(client.post(f"{EVALUATIONS}/{a['id']}/decision", json={"grade": "good"}))
    before = state(client)
    body = assert_problem(
        client.post(f"{EVALUATIONS}/{b['id']}/decision", json={"points": 95}), 409
    )
    assert "20%" in body["detail"]
    assert "good or better" in body["detail"]
    assert state(client) == before
    cap = ok(
        client.post(
            f"{EVALUATIONS}/caps",
            json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 50},
        ),
        201,
    )
    assert (
        cap["rule_set"],
        cap["children"],
        cap["rated_good_or_better"],
        cap["max_excellent"],
    ) == (
        "evaluation-366",
        2,
        1,
        0,
    )
    assert (
        ok(client.post(f"{EVALUATIONS}/{b['id']}/decision", json={"points": 95}))["grade"]
        == "excellent"
    )
    cap = ok(client.get(f"{EVALUATIONS}/caps/{cap['id']}"))
    assert (cap["rated_good_or_better"], cap["max_excellent"], cap["excellent"]) == (2, 1, 1)
    # A cap recorded without a percentage takes the setting's.
    monkeypatch.setattr("app.core.config.settings.evaluation_excellent_cap_percent", 40)
    made = ok(
        client.post(f"{EVALUATIONS}/caps", json={"unit_id": world["district"]["id"], "year": YEAR}),
        201,
    )
    assert made["max_percent"] == 40
