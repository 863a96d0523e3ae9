"""Year-end evaluations: the unit's self-assessment, the superior's proposal and decision, the cap
on excellent grades among a superior's children, and the suggested grade.

Everything goes through the HTTP API, as a client would. The tree is make_tree's: province →
district → (department, commune → cells A and B); most evaluations are the commune's, whose
superior is the district. "Nothing changed" is checked on the record (its body and ETag) and its
audit rows.
"""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from app.core.config import settings
from tests.factories import assert_problem, make_directive, make_tree, make_unit

EVALUATIONS = "/api/v1/evaluations"
CAPS = f"{EVALUATIONS}/caps"
SUGGESTION = f"{EVALUATIONS}/suggestion"
AUDIT = "/api/v1/audit-events"
TARGETS = "/api/v1/recruitment/targets"
OUTCOMES = "/api/v1/recruitment/outcomes"
COMMITMENTS = "/api/v1/commitments"
YEAR = 2022
TODAY = date(YEAR + 1, 3, 1)  # the year under evaluation is over

LABELS = {
    "self_assessed": "Đã tự đánh giá",
    "proposed": "Cấp trên đã đề xuất",
    "decided": "Cấp trên đã quyết định",
}
GRADE_LABELS = {
    "excellent": "Hoàn thành xuất sắc nhiệm vụ",
    "good": "Hoàn thành tốt nhiệm vụ",
    "completed": "Hoàn thành nhiệm vụ",
    "not_completed": "Không hoàn thành nhiệm vụ",
}
# Commitment actions leading from a new draft to each status (see test_commitments.py).
COMMITMENT_PATHS: dict[str, list[str]] = {
    "draft": [],
    "in_progress": ["register", "accept", "start"],
    "completed": ["register", "accept", "start", "complete"],
    "not_completed": ["register", "accept", "start", "report_not_completed"],
    "escalated": ["register", "accept", "start", "escalate"],
    "cancelled": ["cancel"],
}
COMMITMENT_FIELDS = {
    "note": "Ghi chú",
    "result_summary": "Kết nạp 15 đảng viên mới",
    "escalated_to": "Thanh tra huyện Bình Xuyên",
}


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recruitment figures and reported outcomes depend on today: keep it fixed."""
    monkeypatch.setattr(clock, "today", lambda: TODAY)


# --- helpers --------------------------------------------------------------------------------


def url(evaluation: dict[str, Any], suffix: str = "") -> str:
    return f"{EVALUATIONS}/{evaluation['id']}{suffix}"


def assess(
    client: TestClient, unit: dict[str, Any], grade: str = "good", year: int = YEAR, **fields: Any
) -> dict[str, Any]:
    body = {"unit_id": unit["id"], "year": year, "grade": grade} | fields
    response = client.post(EVALUATIONS, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def propose(
    client: TestClient,
    evaluation: dict[str, Any],
    grade: str = "good",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    body = {"grade": grade} | fields
    return client.post(url(evaluation, "/proposal"), json=body, headers=headers)


def decide(
    client: TestClient,
    evaluation: dict[str, Any],
    grade: str = "good",
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    body = {"grade": grade} | fields
    return client.post(url(evaluation, "/decision"), json=body, headers=headers)


def ok(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def proposed(
    client: TestClient, unit: dict[str, Any], grade: str = "good", self_grade: str = "good"
) -> dict[str, Any]:
    return ok(propose(client, assess(client, unit, self_grade), grade))


def decided(
    client: TestClient, unit: dict[str, Any], grade: str = "good", year: int = YEAR
) -> dict[str, Any]:
    evaluation = assess(client, unit, "good", year)
    ok(propose(client, evaluation, grade))
    return ok(decide(client, evaluation, grade))


def audit(client: TestClient, entity_id: int, entity_type: str = "evaluation") -> list[Any]:
    """The entity's audit rows, oldest first (read by the admin)."""
    params = {"entity_type": entity_type, "entity_id": entity_id, "limit": 500}
    response = client.get(AUDIT, params=params)
    assert response.status_code == 200, response.text
    return list(reversed(response.json()["items"]))


def actions(client: TestClient, entity_id: int, entity_type: str = "evaluation") -> list[str]:
    return [row["action"] for row in audit(client, entity_id, entity_type)]


def audit_total(client: TestClient, entity_type: str = "evaluation") -> int:
    response = client.get(AUDIT, params={"entity_type": entity_type})
    assert response.status_code == 200, response.text
    return response.json()["total"]  # type: ignore[no-any-return]


def evaluation_total(client: TestClient) -> int:
    return ok(client.get(EVALUATIONS))["total"]  # type: ignore[no-any-return]


def state(client: TestClient, evaluation: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was (read by the admin)."""
    got = client.get(url(evaluation))
    assert got.status_code == 200, got.text
    return got.json(), got.headers["etag"], audit(client, evaluation["id"])


def make_cap(
    client: TestClient, unit: dict[str, Any], max_percent: int, year: int = YEAR
) -> dict[str, Any]:
    response = client.post(
        CAPS, json={"unit_id": unit["id"], "year": year, "max_percent": max_percent}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def caps_state(client: TestClient) -> tuple[Any, ...]:
    response = client.get(CAPS)
    assert response.status_code == 200, response.text
    return response.json()["items"], audit_total(client, "excellence_cap")


def set_target(client: TestClient, unit: dict[str, Any], target: int, year: int = YEAR) -> None:
    response = client.post(TARGETS, json={"unit_id": unit["id"], "year": year, "target": target})
    assert response.status_code == 201, response.text


def report_admitted(
    client: TestClient, unit: dict[str, Any], admitted: int, year: int = YEAR
) -> None:
    body = {
        "unit_id": unit["id"],
        "period_start": f"{year}-01-01",
        "period_end": f"{year}-12-31",
        "admitted": admitted,
    }
    response = client.post(OUTCOMES, json=body)
    assert response.status_code == 201, response.text


def commitment_at(
    client: TestClient,
    world: dict[str, Any],
    status: str,
    unit: str = "commune",
    superior: str = "district",
    year: int = YEAR,
) -> dict[str, Any]:
    """A commitment of `unit` registered with `superior`, walked to `status` by the admin."""
    body = {
        "unit_id": world[unit]["id"],
        "registered_with_id": world[superior]["id"],
        "directive_id": world["directive"]["id"],
        "year": year,
        "kind": "difficult_task",
        "category": "party_recruitment",
        "title": "Tháo gỡ khó khăn trong tạo nguồn phát triển đảng viên",
        "success_criteria": ["Mỗi chi bộ kết nạp ít nhất 1 đảng viên"],
        "deadline": f"{year}-12-31",
    }
    response = client.post(COMMITMENTS, json=body)
    assert response.status_code == 201, response.text
    commitment: dict[str, Any] = response.json()
    for action in COMMITMENT_PATHS[status]:
        moved = client.post(
            f"{COMMITMENTS}/{commitment['id']}/transitions",
            json={"action": action} | COMMITMENT_FIELDS,
        )
        assert moved.status_code == 200, moved.text
        commitment = moved.json()
    assert commitment["status"] == status
    return commitment


def make_world(client: TestClient) -> dict[str, Any]:
    world: dict[str, Any] = make_tree(client)
    world["directive"] = make_directive(client)
    return world


def suggestion(client: TestClient, unit: dict[str, Any], year: int = YEAR) -> dict[str, Any]:
    return ok(client.get(SUGGESTION, params={"unit_id": unit["id"], "year": year}))


# --- self-assessment ------------------------------------------------------------------------


def test_self_assess_a_year(client: TestClient) -> None:
    world = make_tree(client)
    body = {"unit_id": world["commune"]["id"], "year": YEAR, "grade": "good", "note": "  Tốt  "}
    response = client.post(EVALUATIONS, json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"].endswith(url(created))
    assert response.headers["etag"] == '"1"'
    assert created["unit_id"] == world["commune"]["id"]
    assert created["year"] == YEAR
    assert (created["status"], created["status_label"]) == ("self_assessed", "Đã tự đánh giá")
    assert (created["self_grade"], created["self_note"]) == ("good", "Tốt")
    assert created["self_assessed_by"] == "admin"
    assert (created["grade"], created["grade_label"]) == ("good", GRADE_LABELS["good"])
    for step in ("proposed_grade", "proposal_note", "proposed_by"):
        assert created[step] is None
    for step in ("decided_grade", "decision_note", "decided_by"):
        assert created[step] is None

    got = client.get(response.headers["location"])
    assert got.status_code == 200
    assert got.json() == created
    assert got.headers["etag"] == '"1"'
    (row,) = audit(client, created["id"])
    assert (row["action"], row["entity_type"], row["unit_id"], row["actor"]) == (
        "create",
        "evaluation",
        world["commune"]["id"],
        "admin",
    )


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("manager", "commune", 201),
        ("manager", "district", 201),  # the parent's grant covers its subtree
        ("manager", "province", 201),
        ("reporter", "commune", 403),
        ("viewer", "commune", 403),
        ("manager", "department", 403),  # a sibling
        ("manager", "cell_a", 403),  # a child
    ],
)
def test_who_self_assesses(
    client: TestClient, login: Any, role: str, unit: str, status: int
) -> None:
    world = make_tree(client)
    caller = login(role, world[unit]["id"], username=f"{role}-{unit}")
    body = {"unit_id": world["commune"]["id"], "year": YEAR, "grade": "good"}
    response = caller.post(EVALUATIONS, json=body)
    if status == 201:
        assert response.status_code == 201, response.text
        created = response.json()
        assert created["self_assessed_by"] == f"{role}-{unit}"
        (row,) = audit(client, created["id"])
        assert (row["action"], row["actor"]) == ("create", f"{role}-{unit}")
    else:
        assert_problem(response, status)
        assert evaluation_total(client) == 0
        assert audit_total(client) == 0


def test_one_evaluation_per_unit_and_year(client: TestClient) -> None:
    world = make_tree(client)
    first = assess(client, world["commune"], "good")
    before = state(client, first)
    again = client.post(
        EVALUATIONS, json={"unit_id": world["commune"]["id"], "year": YEAR, "grade": "excellent"}
    )
    body = assert_problem(again, 409)
    assert str(first["id"]) in body["detail"]
    assert state(client, first) == before
    assert evaluation_total(client) == 1
    # Another year, or another unit, is another evaluation.
    assess(client, world["commune"], "good", YEAR + 1)
    assess(client, world["cell_a"], "good", YEAR)
    assert evaluation_total(client) == 3


def test_an_unknown_unit_is_422(client: TestClient) -> None:
    response = client.post(EVALUATIONS, json={"unit_id": 99999, "year": YEAR, "grade": "good"})
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "unit_id"]]
    assert evaluation_total(client) == 0
    assert audit_total(client) == 0


INVALID: list[tuple[str, Any]] = [
    ("grade", "perfect"),
    ("grade", None),
    ("year", 1989),
    ("year", 2101),
    ("unit_id", 0),
    ("note", "x" * 5001),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v!r:.12}" for f, v in INVALID])
def test_invalid_self_assessments_are_422(client: TestClient, field: str, value: Any) -> None:
    world = make_tree(client)
    payload = {"unit_id": world["commune"]["id"], "year": YEAR, "grade": "good"} | {field: value}
    body = assert_problem(client.post(EVALUATIONS, json=payload), 422)
    assert all(e["loc"][:2] == ["body", field] for e in body["errors"]), body["errors"]
    assert evaluation_total(client) == 0


def test_change_a_self_assessment(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good", note="Tốt")
    manager = login("manager", world["commune"]["id"], username="bi-thu-xa")

    response = manager.patch(
        url(evaluation),
        json={"grade": "excellent", "note": "Xuất sắc"},
        headers={"If-Match": '"1"'},
    )
    changed = ok(response)
    assert response.headers["etag"] == '"2"'
    assert (changed["self_grade"], changed["self_note"]) == ("excellent", "Xuất sắc")
    assert (changed["grade"], changed["status"]) == ("excellent", "self_assessed")
    # Only the note.
    changed = ok(manager.patch(url(evaluation), json={"note": "Sửa lại"}))
    assert (changed["self_grade"], changed["self_note"]) == ("excellent", "Sửa lại")
    rows = audit(client, evaluation["id"])
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("create", "admin"),
        ("update", "bi-thu-xa"),
        ("update", "bi-thu-xa"),
    ]
    assert rows[1]["before"]["self_grade"] == "good"
    assert rows[1]["after"]["self_grade"] == "excellent"


def test_a_stale_if_match_changes_nothing(client: TestClient) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    ok(client.patch(url(evaluation), json={"grade": "completed"}))
    before = state(client, evaluation)
    stale = client.patch(url(evaluation), json={"grade": "excellent"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert state(client, evaluation) == before
    # The proposal and the decision check it too.
    stale_tag = {"If-Match": '"1"'}
    assert_problem(propose(client, evaluation, headers=stale_tag), 412)
    assert state(client, evaluation) == before
    ok(propose(client, evaluation, headers={"If-Match": before[1]}))
    before = state(client, evaluation)
    assert_problem(decide(client, evaluation, headers=stale_tag), 412)
    assert state(client, evaluation) == before


def test_a_patch_moves_no_unit_year_or_step(client: TestClient) -> None:
    """Only the grade and the note are taken by a PATCH (other fields are refused, each named);
    one that changes nothing writes nothing."""
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    before = state(client, evaluation)
    sneaky = {
        "unit_id": world["cell_a"]["id"],
        "year": YEAR + 1,
        "status": "decided",
        "decided_grade": "excellent",
        "self_assessed_by": "someone",
    }
    body = assert_problem(client.patch(url(evaluation), json=sneaky), 422)
    assert [e["loc"][1] for e in body["errors"]] == list(sneaky)
    assert ok(client.patch(url(evaluation), json={"grade": "good"})) == before[0]
    assert state(client, evaluation) == before
    assert_problem(client.patch(url(evaluation), json={"grade": None}), 422)
    assert state(client, evaluation) == before


@pytest.mark.parametrize(("role", "unit"), [("reporter", "commune"), ("viewer", "commune")])
def test_only_managers_change_a_self_assessment(
    client: TestClient, login: Any, role: str, unit: str
) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    before = state(client, evaluation)
    caller = login(role, world[unit]["id"])
    assert_problem(caller.patch(url(evaluation), json={"grade": "excellent"}), 403)
    assert state(client, evaluation) == before


def test_an_outsider_does_not_see_an_evaluation(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    before = state(client, evaluation)
    outsider = login("manager", world["department"]["id"])
    assert_problem(outsider.get(url(evaluation)), 404)
    assert_problem(outsider.patch(url(evaluation), json={"grade": "excellent"}), 404)
    assert_problem(propose(outsider, evaluation), 404)
    assert outsider.get(EVALUATIONS).json()["total"] == 0
    assert state(client, evaluation) == before
    assert_problem(client.get(f"{EVALUATIONS}/99999"), 404)


@pytest.mark.parametrize("status", ["proposed", "decided"])
def test_a_self_assessment_is_frozen_once_taken_up(client: TestClient, status: str) -> None:
    world = make_tree(client)
    evaluation = (
        proposed(client, world["commune"])
        if status == "proposed"
        else decided(client, world["commune"])
    )
    before = state(client, evaluation)
    assert_problem(client.patch(url(evaluation), json={"grade": "excellent"}), 409)
    assert state(client, evaluation) == before


# --- proposal and decision ------------------------------------------------------------------


def test_the_whole_way(client: TestClient, login: Any) -> None:
    """Self-assessed, proposed, decided: each step keeps its grade, note and author, and `grade`
    is the one that stands."""
    world = make_tree(client)
    commune_manager = login("manager", world["commune"]["id"], username="bi-thu-xa")
    district_reporter = login("reporter", world["district"]["id"], username="ban-to-chuc")
    district_manager = login("manager", world["district"]["id"], username="bi-thu-huyen")

    evaluation = assess(commune_manager, world["commune"], "excellent", note="Tự đánh giá")

    response = propose(district_reporter, evaluation, "good", note="Đề xuất")
    assert response.headers["etag"] == '"2"'
    after_proposal = ok(response)
    assert (after_proposal["status"], after_proposal["status_label"]) == (
        "proposed",
        LABELS["proposed"],
    )
    assert (after_proposal["grade"], after_proposal["grade_label"]) == (
        "good",
        GRADE_LABELS["good"],
    )
    assert after_proposal["self_grade"] == "excellent"
    assert (
        after_proposal["proposed_grade"],
        after_proposal["proposal_note"],
        after_proposal["proposed_by"],
    ) == ("good", "Đề xuất", "ban-to-chuc")
    assert after_proposal["decided_grade"] is None

    response = decide(district_manager, evaluation, "completed", note="Quyết định")
    assert response.headers["etag"] == '"3"'
    after_decision = ok(response)
    assert (after_decision["status"], after_decision["status_label"]) == (
        "decided",
        LABELS["decided"],
    )
    assert (after_decision["grade"], after_decision["grade_label"]) == (
        "completed",
        GRADE_LABELS["completed"],
    )
    assert (
        after_decision["decided_grade"],
        after_decision["decision_note"],
        after_decision["decided_by"],
    ) == ("completed", "Quyết định", "bi-thu-huyen")
    assert (after_decision["self_grade"], after_decision["proposed_grade"]) == ("excellent", "good")
    assert ok(commune_manager.get(url(evaluation))) == after_decision

    rows = audit(client, evaluation["id"])
    assert [(r["action"], r["actor"], r["unit_id"]) for r in rows] == [
        ("create", "bi-thu-xa", world["commune"]["id"]),
        ("propose", "ban-to-chuc", world["commune"]["id"]),
        ("decide", "bi-thu-huyen", world["commune"]["id"]),
    ]
    assert rows[2]["before"]["status"] == "proposed"
    assert rows[2]["after"]["decided_grade"] == "completed"


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("manager", "district", 200),  # the parent
        ("reporter", "district", 200),
        ("manager", "province", 200),  # its grant covers the parent
        ("viewer", "district", 403),
        ("manager", "commune", 403),  # the unit itself
        ("reporter", "commune", 403),
        ("manager", "department", 404),  # a sibling does not see it
    ],
)
def test_who_proposes(client: TestClient, login: Any, role: str, unit: str, status: int) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    before = state(client, evaluation)
    response = propose(login(role, world[unit]["id"]), evaluation, "excellent")
    if status == 200:
        assert ok(response)["status"] == "proposed"
        assert actions(client, evaluation["id"]) == ["create", "propose"]
    else:
        assert_problem(response, status)
        assert state(client, evaluation) == before


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("manager", "district", 200),
        ("manager", "province", 200),
        ("reporter", "district", 403),  # proposes, does not decide
        ("viewer", "district", 403),
        ("manager", "commune", 403),
    ],
)
def test_who_decides(client: TestClient, login: Any, role: str, unit: str, status: int) -> None:
    world = make_tree(client)
    evaluation = proposed(client, world["commune"], "good")
    before = state(client, evaluation)
    response = decide(login(role, world[unit]["id"]), evaluation, "good")
    if status == 200:
        assert ok(response)["status"] == "decided"
        assert actions(client, evaluation["id"]) == ["create", "propose", "decide"]
    else:
        assert_problem(response, status)
        assert state(client, evaluation) == before


def test_a_proposal_changes_until_decided(client: TestClient) -> None:
    world = make_tree(client)
    evaluation = proposed(client, world["commune"], "good")
    again = ok(propose(client, evaluation, "completed", note="Xem lại"))
    assert (again["status"], again["proposed_grade"], again["proposal_note"]) == (
        "proposed",
        "completed",
        "Xem lại",
    )
    assert again["grade"] == "completed"
    assert actions(client, evaluation["id"]) == ["create", "propose", "propose"]

    ok(decide(client, evaluation, "completed"))
    before = state(client, evaluation)
    assert_problem(propose(client, evaluation, "excellent"), 409)
    assert state(client, evaluation) == before


def test_a_decision_needs_a_proposal_and_is_final(client: TestClient) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "good")
    before = state(client, evaluation)
    body = assert_problem(decide(client, evaluation, "good"), 409)
    assert "self_assessed" in body["detail"]
    assert state(client, evaluation) == before

    ok(propose(client, evaluation, "good"))
    ok(decide(client, evaluation, "good"))
    before = state(client, evaluation)
    assert_problem(decide(client, evaluation, "completed"), 409)
    assert state(client, evaluation) == before


def test_a_root_units_grade_is_the_admins(client: TestClient, login: Any) -> None:
    """The province has no superior: only an admin proposes and decides its grade."""
    world = make_tree(client)
    evaluation = assess(client, world["province"], "good")
    manager = login("manager", world["province"]["id"])
    before = state(client, evaluation)
    assert_problem(propose(manager, evaluation), 403)
    assert state(client, evaluation) == before
    ok(propose(client, evaluation, "good"))
    ok(decide(client, evaluation, "excellent"))  # no cap above a root
    assert actions(client, evaluation["id"]) == ["create", "propose", "decide"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [("self_assessed", "self_grade"), ("proposed", "proposed_grade"), ("decided", "decided_grade")],
)
def test_the_grade_that_stands(client: TestClient, status: str, expected: str) -> None:
    world = make_tree(client)
    evaluation = assess(client, world["commune"], "excellent")
    if status != "self_assessed":
        evaluation = ok(propose(client, evaluation, "good"))
    if status == "decided":
        evaluation = ok(decide(client, evaluation, "not_completed"))
    got = ok(client.get(url(evaluation)))
    assert got["status"] == status
    assert got["status_label"] == LABELS[status]
    assert got["grade"] == got[expected]
    assert got["grade_label"] == GRADE_LABELS[got[expected]]


def test_list_evaluations_by_scope_and_filters(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    on_commune = assess(client, world["commune"], "good")
    on_cell = assess(client, world["cell_a"], "good")
    on_department = decided(client, world["department"], "good")
    ids = lambda response: [e["id"] for e in ok(response)["items"]]  # noqa: E731
    # By year, then unit: the department was made before the commune, the commune before cell A.
    assert ids(client.get(EVALUATIONS)) == [on_department["id"], on_commune["id"], on_cell["id"]]
    viewer = login("viewer", world["commune"]["id"])
    assert ids(viewer.get(EVALUATIONS)) == [on_commune["id"], on_cell["id"]]
    assert ids(client.get(EVALUATIONS, params={"status": "decided"})) == [on_department["id"]]
    assert ids(client.get(EVALUATIONS, params={"root_id": world["commune"]["id"]})) == [
        on_commune["id"],
        on_cell["id"],
    ]
    assert ids(client.get(EVALUATIONS, params={"year": YEAR + 1})) == []


# --- caps on excellent grades ---------------------------------------------------------------


def test_create_a_cap(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    manager = login("manager", world["commune"]["id"], username="bi-thu-xa")
    response = manager.post(
        CAPS, json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 50}
    )
    assert response.status_code == 201, response.text
    cap = response.json()
    assert response.headers["etag"] == '"1"'
    assert {k: cap[k] for k in ("unit_id", "year", "max_percent")} == {
        "unit_id": world["commune"]["id"],
        "year": YEAR,
        "max_percent": 50,
    }
    assert (cap["children"], cap["max_excellent"], cap["excellent"]) == (2, 1, 0)
    assert ok(manager.get(CAPS))["items"] == [cap]
    rows = audit(client, cap["id"], "excellence_cap")
    assert [(r["action"], r["actor"], r["unit_id"]) for r in rows] == [
        ("create", "bi-thu-xa", world["commune"]["id"])
    ]

    # One per unit and year.
    before = caps_state(client)
    again = manager.post(
        CAPS, json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 100}
    )
    assert_problem(again, 409)
    assert caps_state(client) == before
    make_cap(client, world["commune"], 100, YEAR + 1)


@pytest.mark.parametrize(
    ("role", "unit", "status"),
    [
        ("manager", "district", 201),
        ("reporter", "commune", 403),
        ("viewer", "commune", 403),
        ("manager", "cell_a", 403),
        ("manager", "department", 403),
    ],
)
def test_who_caps(client: TestClient, login: Any, role: str, unit: str, status: int) -> None:
    world = make_tree(client)
    caller = login(role, world[unit]["id"])
    response = caller.post(
        CAPS, json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 50}
    )
    if status == 201:
        assert response.status_code == 201, response.text
        assert audit_total(client, "excellence_cap") == 1
    else:
        assert_problem(response, status)
        assert caps_state(client) == ([], 0)


def test_invalid_caps_are_422(client: TestClient) -> None:
    world = make_tree(client)
    body = assert_problem(
        client.post(CAPS, json={"unit_id": 99999, "year": YEAR, "max_percent": 50}), 422
    )
    assert [e["loc"] for e in body["errors"]] == [["body", "unit_id"]]
    for max_percent in (-1, 101, None):
        payload = {"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": max_percent}
        body = assert_problem(client.post(CAPS, json=payload), 422)
        assert [e["loc"] for e in body["errors"]] == [["body", "max_percent"]]
    assert caps_state(client) == ([], 0)


@pytest.mark.parametrize(
    ("max_percent", "max_excellent"), [(0, 0), (33, 0), (34, 1), (66, 1), (67, 2), (100, 3)]
)
def test_children_are_those_open_during_the_year(
    client: TestClient, max_percent: int, max_excellent: int
) -> None:
    """Cells A and B, one closed mid-year: three children; one closed before the year and one
    opened after it do not count. The cap allows floor(max_percent × children / 100)."""
    world = make_tree(client)
    commune = world["commune"]["id"]
    closed_mid_year = make_unit(client, kind="party_cell", parent_id=commune)
    closed_before = make_unit(client, kind="party_cell", parent_id=commune)
    make_unit(client, kind="party_cell", parent_id=commune, valid_from=f"{YEAR + 1}-01-01")
    for unit, day in ((closed_mid_year, f"{YEAR}-06-01"), (closed_before, f"{YEAR}-01-01")):
        closed = client.post(f"/api/v1/units/{unit['id']}/close", json={"valid_to": day})
        assert closed.status_code == 200, closed.text

    cap = make_cap(client, world["commune"], max_percent)
    assert (cap["children"], cap["max_excellent"], cap["excellent"]) == (3, max_excellent, 0)
    (listed,) = ok(client.get(CAPS, params={"unit_id": commune, "year": YEAR}))["items"]
    assert listed == cap


def test_a_decision_beyond_the_cap_is_refused(client: TestClient) -> None:
    world = make_tree(client)
    cap = make_cap(client, world["commune"], 50)  # 1 of the 2 cells
    decided(client, world["cell_a"], "excellent")
    assert ok(client.get(CAPS))["items"][0]["excellent"] == 1

    evaluation = proposed(client, world["cell_b"], "excellent")
    before, caps_before = state(client, evaluation), caps_state(client)
    body = assert_problem(decide(client, evaluation, "excellent"), 409)
    assert "50%" in body["detail"]
    assert state(client, evaluation) == before
    assert caps_state(client) == caps_before
    # Any other grade is not capped.
    assert ok(decide(client, evaluation, "good"))["grade"] == "good"
    (listed,) = ok(client.get(CAPS))["items"]
    assert (listed["id"], listed["excellent"]) == (cap["id"], 1)


def test_a_cap_applies_to_its_unit_and_year_only(client: TestClient) -> None:
    world = make_tree(client)
    make_cap(client, world["commune"], 0, YEAR + 1)  # another year
    make_cap(client, world["district"], 0)  # the grandparent
    decided(client, world["cell_a"], "excellent")
    decided(client, world["cell_b"], "excellent")
    assert [c["excellent"] for c in ok(client.get(CAPS))["items"]] == [0, 0]


def test_no_cap_no_limit(client: TestClient) -> None:
    world = make_tree(client)
    for cell in ("cell_a", "cell_b"):
        assert decided(client, world[cell], "excellent")["grade"] == "excellent"


def test_a_cap_is_not_set_below_the_excellent_grades_decided(client: TestClient) -> None:
    world = make_tree(client)
    decided(client, world["cell_a"], "excellent")
    decided(client, world["cell_b"], "excellent")
    assert_problem(
        client.post(
            CAPS, json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 50}
        ),
        409,
    )
    assert caps_state(client) == ([], 0)

    cap = make_cap(client, world["commune"], 100)
    before = caps_state(client)
    body = assert_problem(client.patch(f"{CAPS}/{cap['id']}", json={"max_percent": 99}), 409)
    assert "2" in body["detail"]
    assert caps_state(client) == before


def test_change_a_cap(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    decided(client, world["cell_a"], "excellent")
    cap = make_cap(client, world["commune"], 100)
    manager = login("manager", world["commune"]["id"], username="bi-thu-xa")

    response = manager.patch(
        f"{CAPS}/{cap['id']}", json={"max_percent": 50}, headers={"If-Match": '"1"'}
    )
    changed = ok(response)
    assert response.headers["etag"] == '"2"'
    assert (changed["max_percent"], changed["max_excellent"], changed["excellent"]) == (50, 1, 1)
    assert [(r["action"], r["actor"]) for r in audit(client, cap["id"], "excellence_cap")] == [
        ("create", "admin"),
        ("update", "bi-thu-xa"),
    ]

    before = caps_state(client)
    stale = manager.patch(
        f"{CAPS}/{cap['id']}", json={"max_percent": 100}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    reporter = login("reporter", world["commune"]["id"])
    assert_problem(reporter.patch(f"{CAPS}/{cap['id']}", json={"max_percent": 100}), 403)
    assert_problem(client.patch(f"{CAPS}/99999", json={"max_percent": 100}), 404)
    assert caps_state(client) == before


# --- the suggested grade --------------------------------------------------------------------

# (target, admitted, commitment statuses) -> (grade, score, achievement, commitments, completed)
CASES: list[tuple[int | None, int, list[str], str, float | None, float | None, int, int]] = [
    # A commitment not completed outweighs anything.
    (10, 12, ["completed", "not_completed"], "not_completed", 75.0, 120.0, 2, 1),
    (None, 0, ["not_completed"], "not_completed", 0.0, None, 1, 0),
    # Under 50%.
    (10, 4, [], "not_completed", 40.0, 40.0, 0, 0),
    (10, 4, ["completed"], "not_completed", 70.0, 40.0, 1, 1),
    (10, 0, [], "not_completed", 0.0, 0.0, 0, 0),
    # 100% and every commitment completed (at least one).
    (10, 10, ["completed"], "excellent", 100.0, 100.0, 1, 1),
    (10, 12, ["completed", "completed"], "excellent", 100.0, 120.0, 2, 2),
    (10, 10, ["completed", "cancelled"], "excellent", 100.0, 100.0, 1, 1),  # cancelled ignored
    # 80% (or no target), nothing unfinished.
    (10, 10, [], "good", 100.0, 100.0, 0, 0),
    (10, 10, ["completed", "escalated"], "good", 75.0, 100.0, 2, 1),
    (10, 9, ["completed"], "good", 95.0, 90.0, 1, 1),
    (10, 8, [], "good", 80.0, 80.0, 0, 0),
    (None, 0, [], "good", None, None, 0, 0),
    (None, 0, ["completed", "completed"], "good", 100.0, None, 2, 2),
    (None, 0, ["cancelled"], "good", None, None, 0, 0),
    # Anything else.
    (10, 5, [], "completed", 50.0, 50.0, 0, 0),
    (10, 7, ["completed"], "completed", 85.0, 70.0, 1, 1),
    (3, 2, [], "completed", 66.7, 66.7, 0, 0),
    (10, 10, ["completed", "in_progress"], "completed", 75.0, 100.0, 2, 1),
    (None, 0, ["in_progress"], "completed", 0.0, None, 1, 0),
    (None, 0, ["draft", "completed"], "completed", 50.0, None, 2, 1),
]


@pytest.mark.parametrize(
    ("target", "admitted", "statuses", "grade", "score", "achievement", "count", "completed"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{'+'.join(c[2]) or 'none'}" for c in CASES],
)
def test_the_suggested_grade(
    client: TestClient,
    target: int | None,
    admitted: int,
    statuses: list[str],
    grade: str,
    score: float | None,
    achievement: float | None,
    count: int,
    completed: int,
) -> None:
    world = make_world(client)
    if target is not None:
        set_target(client, world["commune"], target)
    if admitted:
        report_admitted(client, world["commune"], admitted)
    for status in statuses:
        commitment_at(client, world, status)

    got = suggestion(client, world["commune"])
    assert got["unit_id"] == world["commune"]["id"]
    assert got["year"] == YEAR
    assert (got["grade"], got["grade_label"]) == (grade, GRADE_LABELS[grade])
    assert got["score"] == score
    assert got["achievement_percent"] == achievement
    assert (got["commitments"], got["commitments_completed"]) == (count, completed)
    assert len(got["reasons"]) >= 3
    assert all(isinstance(r, str) and r for r in got["reasons"])
    if target is None:
        assert "không có chỉ tiêu" in got["reasons"][0]
    else:
        assert f"{admitted}/{target}" in got["reasons"][0]


@pytest.mark.parametrize(
    ("admitted", "grade"),
    [
        (4996, "not_completed"),  # 49.96%: under 50%
        (7996, "completed"),  # 79.96%: under 80%
        (9996, "good"),  # 99.96%: under 100%
    ],
)
def test_the_thresholds_compare_the_exact_achievement_not_the_rounded_one(
    client: TestClient, admitted: int, grade: str
) -> None:
    """achievement_percent is shown to one decimal; a unit just under a threshold is still under
    it."""
    world = make_world(client)
    set_target(client, world["commune"], 10_000)
    report_admitted(client, world["commune"], admitted)
    commitment_at(client, world, "completed")
    assert suggestion(client, world["commune"])["grade"] == grade


def test_the_suggestion_counts_the_subtree_admissions_and_the_units_own_commitments(
    client: TestClient,
) -> None:
    """Admissions reported by a cell count for the commune; commitments of a cell, or of another
    year, do not."""
    world = make_world(client)
    set_target(client, world["commune"], 4)
    report_admitted(client, world["cell_a"], 4)
    report_admitted(client, world["commune"], 9, YEAR - 1)
    commitment_at(client, world, "completed")
    commitment_at(client, world, "not_completed", unit="cell_a", superior="commune")
    commitment_at(client, world, "not_completed", year=YEAR - 1)

    got = suggestion(client, world["commune"])
    assert (got["grade"], got["score"], got["achievement_percent"]) == ("excellent", 100.0, 100.0)
    assert (got["commitments"], got["commitments_completed"]) == (1, 1)
    # The cell's own view: no target of its own, its commitment not completed.
    cell = suggestion(client, world["cell_a"])
    assert (cell["grade"], cell["achievement_percent"], cell["commitments"]) == (
        "not_completed",
        None,
        1,
    )


@pytest.mark.parametrize(
    ("setting", "value", "admitted", "statuses", "default", "changed"),
    [
        ("grade_good_min_achievement", 90.0, 8, [], "good", "completed"),
        ("grade_good_min_achievement", 70.0, 7, [], "completed", "good"),
        ("grade_excellent_min_achievement", 90.0, 9, ["completed"], "good", "excellent"),
        ("grade_completed_min_achievement", 60.0, 5, [], "completed", "not_completed"),
        ("grade_completed_min_achievement", 30.0, 4, [], "not_completed", "completed"),
    ],
)
def test_the_thresholds_are_settings(
    client: TestClient,
    monkeypatch: pytest.MonkeyPatch,
    setting: str,
    value: float,
    admitted: int,
    statuses: list[str],
    default: str,
    changed: str,
) -> None:
    world = make_world(client)
    set_target(client, world["commune"], 10)
    report_admitted(client, world["commune"], admitted)
    for status in statuses:
        commitment_at(client, world, status)
    assert suggestion(client, world["commune"])["grade"] == default
    monkeypatch.setattr(settings, setting, value)
    got = suggestion(client, world["commune"])
    assert got["grade"] == changed
    if changed != "completed":  # the reason for the grade names the threshold that gave it
        assert any(f"{value:g}%" in r for r in got["reasons"]), got["reasons"]


def test_the_suggestion_is_read_within_scope(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    params = {"unit_id": world["commune"]["id"], "year": YEAR}
    assert ok(login("viewer", world["commune"]["id"]).get(SUGGESTION, params=params))
    assert ok(login("viewer", world["district"]["id"]).get(SUGGESTION, params=params))
    for outsider in ("cell_a", "department"):
        assert_problem(login("viewer", world[outsider]["id"]).get(SUGGESTION, params=params), 404)
    assert_problem(client.get(SUGGESTION, params={"unit_id": 99999, "year": YEAR}), 404)
    assert_problem(client.get(SUGGESTION, params={"unit_id": world["commune"]["id"]}), 422)
    assert_problem(client.get(SUGGESTION, params=params | {"year": 1989}), 422)
    # Reading writes nothing.
    assert audit_total(client) == 0


def test_a_target_of_zero_is_met(client: TestClient) -> None:
    """Nothing to admit is not the same as no target: the year counts as met."""
    world = make_world(client)
    set_target(client, world["commune"], 0)
    commitment_at(client, world, "completed")
    found = suggestion(client, world["commune"])
    assert found["grade"] == "excellent"
    assert found["score"] == 100.0
    assert found["achievement_percent"] is None  # shown as absent: 0 of 0 is no ratio
    assert any("là 0" in reason for reason in found["reasons"])


def test_a_cap_has_its_own_address(client: TestClient) -> None:
    world = make_world(client)
    created = client.post(
        CAPS, json={"unit_id": world["commune"]["id"], "year": YEAR, "max_percent": 50}
    )
    assert created.status_code == 201, created.text
    fetched = client.get(created.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == created.json()
    assert fetched.headers["etag"] == created.headers["etag"]
    assert_problem(client.get(f"{CAPS}/99999"), 404)
