"""Commitments: a unit's difficult task registered with its superior committee, the workflow that
moves it, its progress timeline and the lists that find it.

Everything goes through the HTTP API, as a client would. The tree is make_tree's: province →
district → (department, commune → cells A and B); most commitments are the commune's, registered
with the district. "Nothing changed" is checked on the record (its body and ETag), its history and
its audit rows.
"""

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core import clock
from tests.factories import (
    COMMITMENT_FIELDS,
    COMMITMENT_PATHS,
    assert_problem,
    commitment_body,
    make_commitment,
    make_directive,
    make_person,
    make_tree,
    make_unit,
)
from tests.helpers import AUDIT, actions, audit, ids, total

COMMITMENTS = "/api/v1/commitments"
WORKFLOW = f"{COMMITMENTS}/workflow"
POSITIONS = "/api/v1/positions"
AREAS = "/api/v1/areas-of-charge"
YEAR = 2022

# The workflow as issue 4 states it: action -> (from, to, whose managers take it, requires).
SPEC: dict[str, tuple[list[str], str, str, list[str]]] = {
    "register": (["draft"], "registered", "unit", []),
    "accept": (["registered"], "accepted", "superior", []),
    "return": (["registered"], "draft", "superior", ["note"]),
    "start": (["accepted"], "in_progress", "unit", []),
    "complete": (["in_progress"], "completed", "unit", ["result_summary"]),
    "report_not_completed": (["in_progress"], "not_completed", "unit", ["result_summary"]),
    "escalate": (["in_progress"], "escalated", "unit", ["escalated_to"]),
    "cancel": (["draft", "registered"], "cancelled", "unit", []),
}


# --- helpers --------------------------------------------------------------------------------


def make_world(client: TestClient) -> dict[str, Any]:
    world: dict[str, Any] = make_tree(client)
    world["directive"] = make_directive(client, code="05-CT/TW")
    return world


def url(commitment: dict[str, Any], suffix: str = "") -> str:
    return f"{COMMITMENTS}/{commitment['id']}{suffix}"


def act(client: TestClient, commitment: dict[str, Any], action: str, **fields: Any) -> Any:
    return client.post(url(commitment, "/transitions"), json={"action": action} | fields)


def move(client: TestClient, commitment: dict[str, Any], *actions: str) -> dict[str, Any]:
    for action in actions:
        response = act(client, commitment, action, **COMMITMENT_FIELDS)
        assert response.status_code == 200, response.text
        commitment = response.json()
    return commitment


def state(client: TestClient, commitment: dict[str, Any]) -> tuple[Any, ...]:
    """Everything a refused write must leave as it was."""
    got = client.get(url(commitment))
    assert got.status_code == 200, got.text
    history = client.get(url(commitment, "/history")).json()
    progress = client.get(url(commitment, "/progress-updates")).json()
    return (
        got.json(),
        got.headers["etag"],
        history,
        progress,
        audit(client, "commitment", commitment["id"]),
    )


def term(
    client: TestClient, path: str, person: dict[str, Any], unit: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    body = {"person_id": person["id"], "unit_id": unit["id"]} | fields
    response = client.post(path, json=body)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


# --- drafts ---------------------------------------------------------------------------------


def test_create_a_draft(client: TestClient) -> None:
    world = make_world(client)
    body = commitment_body(world, title="  Tháo gỡ khó khăn  ")
    response = client.post(COMMITMENTS, json=body)

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"].endswith(f"{COMMITMENTS}/{created['id']}")
    assert response.headers["etag"] == '"1"'
    assert created["title"] == "Tháo gỡ khó khăn"  # trimmed
    for key in ("unit_id", "registered_with_id", "directive_id", "year", "kind", "category"):
        assert created[key] == body[key]
    assert created["success_criteria"] == body["success_criteria"]
    assert created["deadline"] == f"{YEAR}-12-31"
    assert created["status"] == "draft"
    assert created["status_label"] == "Dự thảo"
    assert created["kind_label"] == "Việc khó"
    assert created["category_label"] == "Tạo nguồn phát triển đảng viên"
    assert created["progress_percent"] == 0
    assert created["result_summary"] is None
    assert created["escalated_to"] is None
    assert "search_key" not in created

    got = client.get(response.headers["location"])
    assert got.status_code == 200
    assert got.json() == created
    assert got.headers["etag"] == '"1"'
    (row,) = audit(client, "commitment", created["id"])
    assert (row["action"], row["entity_type"], row["unit_id"]) == (
        "create",
        "commitment",
        world["commune"]["id"],
    )


def test_a_create_sets_no_status_progress_or_result(client: TestClient) -> None:
    world = make_world(client)
    sneaky = {
        "status": "completed",
        "progress_percent": 100,
        "result_summary": "Xong",
        "escalated_to": "Tỉnh",
        "version": 7,
    }
    body = assert_problem(client.post(COMMITMENTS, json=commitment_body(world, **sneaky)), 422)
    assert [e["loc"][1] for e in body["errors"]] == list(sneaky)
    assert total(client, COMMITMENTS) == 0
    created = make_commitment(client, world)
    assert created["status"] == "draft"
    assert created["progress_percent"] == 0
    assert created["result_summary"] is None
    assert created["escalated_to"] is None
    assert client.get(url(created)).headers["etag"] == '"1"'


def test_edit_a_draft_with_if_match(client: TestClient) -> None:
    world = make_world(client)
    created = make_commitment(client, world)
    person = make_person(client)

    changes = {
        "title": "Nâng cao chất lượng nguồn kết nạp",
        "kind": "weak_link",
        "category": "other",
        "success_criteria": ["Một", "Hai"],
        "registered_with_id": world["province"]["id"],
        "responsible_person_id": person["id"],
    }
    response = client.patch(url(created), json=changes, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.headers["etag"] == '"2"'
    edited = response.json()
    for key, value in changes.items():
        assert edited[key] == value
    assert edited["kind_label"] == "Khâu yếu"
    assert edited["category_label"] == "Khác"
    # The search follows the new title.
    assert ids(client.get(COMMITMENTS, params={"q": "nang cao chat luong"})) == [created["id"]]
    assert ids(client.get(COMMITMENTS, params={"q": "thao go"})) == []

    # A stale ETag changes nothing.
    before = state(client, created)
    stale = client.patch(url(created), json={"title": "Khác"}, headers={"If-Match": '"1"'})
    assert_problem(stale, 412)
    assert state(client, created) == before
    assert actions(client, "commitment", created["id"]) == ["create", "update"]


def test_a_patch_moves_no_unit_and_skips_the_workflow(client: TestClient) -> None:
    """Fields outside the draft's editable ones are refused by a PATCH, each named."""
    world = make_world(client)
    created = make_commitment(client, world)
    before = state(client, created)
    sneaky = {
        "unit_id": world["department"]["id"],
        "status": "completed",
        "progress_percent": 100,
        "result_summary": "Xong",
    }
    body = assert_problem(client.patch(url(created), json=sneaky), 422)
    assert [e["loc"][1] for e in body["errors"]] == list(sneaky)
    assert state(client, created) == before


@pytest.mark.parametrize("status", [s for s in COMMITMENT_PATHS if s != "draft"])
def test_only_a_draft_is_edited(client: TestClient, status: str) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, status)
    before = state(client, commitment)
    body = assert_problem(client.patch(url(commitment), json={"title": "Sửa"}), 409)
    assert status in body["detail"]
    assert state(client, commitment) == before


def test_a_returned_commitment_is_a_draft_again_and_editable(client: TestClient) -> None:
    world = make_world(client)
    commitment = move(client, make_commitment(client, world), "register", "return")
    assert commitment["status"] == "draft"
    response = client.patch(url(commitment), json={"title": "Sửa theo ý kiến cấp trên"})
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "Sửa theo ý kiến cấp trên"


# --- the unit it is registered with -----------------------------------------------------------


@pytest.mark.parametrize(
    ("unit", "superior"),
    [
        ("commune", "department"),  # a sibling
        ("cell_a", "cell_b"),  # a sibling
        ("commune", "commune"),  # itself
        ("commune", "cell_a"),  # a descendant
        ("district", "commune"),  # a descendant
        ("province", "district"),  # a descendant, from the root
    ],
)
def test_registered_with_must_be_an_ancestor(client: TestClient, unit: str, superior: str) -> None:
    world = make_world(client)
    response = client.post(COMMITMENTS, json=commitment_body(world, unit=unit, superior=superior))
    assert_problem(response, 409)
    assert total(client, COMMITMENTS) == 0
    assert total(client, AUDIT, entity_type="commitment") == 0


def test_registered_with_may_be_any_ancestor(client: TestClient) -> None:
    world = make_world(client)
    for unit, superior in (("cell_a", "commune"), ("cell_a", "district"), ("cell_a", "province")):
        created = make_commitment(client, world, unit=unit, superior=superior)
        assert created["registered_with_id"] == world[superior]["id"]


def test_registered_with_in_another_tree_is_refused(client: TestClient) -> None:
    world = make_world(client)
    other_root = make_unit(client, kind="province_committee")
    assert_problem(
        client.post(
            COMMITMENTS, json=commitment_body(world) | {"registered_with_id": other_root["id"]}
        ),
        409,
    )
    assert total(client, COMMITMENTS) == 0


@pytest.mark.parametrize("superior", ["commune", "cell_b", "department"])
def test_a_patch_to_a_non_ancestor_is_refused(client: TestClient, superior: str) -> None:
    world = make_world(client)
    created = make_commitment(client, world)
    before = state(client, created)
    patched = client.patch(url(created), json={"registered_with_id": world[superior]["id"]})
    assert_problem(patched, 409)
    assert state(client, created) == before


# --- payloads -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    [
        "unit_id",
        "registered_with_id",
        "directive_id",
        "responsible_person_id",
        "directing_person_id",
    ],
)
def test_unknown_references_are_422(client: TestClient, field: str) -> None:
    world = make_world(client)
    response = client.post(COMMITMENTS, json=commitment_body(world) | {field: 99999})
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", field]]
    assert total(client, COMMITMENTS) == 0


@pytest.mark.parametrize(
    "field", ["registered_with_id", "directive_id", "responsible_person_id", "directing_person_id"]
)
def test_a_patch_to_unknown_references_is_422(client: TestClient, field: str) -> None:
    world = make_world(client)
    created = make_commitment(client, world)
    before = state(client, created)
    response = client.patch(url(created), json={field: 99999})
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", field]]
    assert state(client, created) == before


INVALID: list[tuple[str, Any]] = [
    ("kind", "hard_task"),
    ("kind", None),
    ("category", "PARTY_RECRUITMENT"),
    ("year", 1989),
    ("year", 2101),
    ("year", "năm nay"),
    ("title", ""),
    ("title", "   "),
    ("title", "x" * 501),
    ("title", None),
    ("title", "a\x00b"),
    ("description", "x" * 10_001),
    ("success_criteria", "Mỗi chi bộ kết nạp 1 đảng viên"),
    ("success_criteria", {"a": "b"}),
    ("success_criteria", [1]),
    ("success_criteria", [None]),
    ("success_criteria", [""]),
    ("success_criteria", ["x" * 501]),
    ("success_criteria", ["x"] * 31),
    ("deadline", "2022-02-30"),
    ("unit_id", 0),
    ("registered_with_id", 2**31),
    ("directive_id", "một"),
]


@pytest.mark.parametrize(("field", "value"), INVALID, ids=[f"{f}={v!r:.20}" for f, v in INVALID])
def test_invalid_payloads_are_422(client: TestClient, field: str, value: Any) -> None:
    world = make_world(client)
    body = assert_problem(
        client.post(COMMITMENTS, json=commitment_body(world) | {field: value}), 422
    )
    assert body["errors"]
    assert all(e["loc"][:2] == ["body", field] for e in body["errors"]), body["errors"]
    assert total(client, COMMITMENTS) == 0


@pytest.mark.parametrize("field", ["unit_id", "directive_id", "year", "kind", "category", "title"])
def test_required_fields_are_422(client: TestClient, field: str) -> None:
    world = make_world(client)
    payload = commitment_body(world)
    del payload[field]
    body = assert_problem(client.post(COMMITMENTS, json=payload), 422)
    assert [e["loc"] for e in body["errors"]] == [["body", field]]
    assert total(client, COMMITMENTS) == 0


def test_a_deadline_before_the_year_is_422(client: TestClient) -> None:
    world = make_world(client)
    response = client.post(COMMITMENTS, json=commitment_body(world, deadline=f"{YEAR - 1}-12-31"))
    body = assert_problem(response, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "deadline"]]
    assert total(client, COMMITMENTS) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("year", 2101),
        ("kind", "hard_task"),
        ("title", ""),
        ("title", None),
        ("success_criteria", "một"),
        ("deadline", f"{YEAR - 1}-06-30"),
    ],
)
def test_invalid_patches_are_422(client: TestClient, field: str, value: Any) -> None:
    world = make_world(client)
    created = make_commitment(client, world)
    before = state(client, created)
    body = assert_problem(client.patch(url(created), json={field: value}), 422)
    assert all(e["loc"][:2] == ["body", field] for e in body["errors"]), body["errors"]
    assert state(client, created) == before


# --- the person directing it ----------------------------------------------------------------


def _directing(client: TestClient, world: dict[str, Any], person: dict[str, Any]) -> Any:
    return client.post(COMMITMENTS, json=commitment_body(world, directing_person_id=person["id"]))


@pytest.mark.parametrize(
    ("path", "unit", "dates"),
    [
        (AREAS, "commune", {}),
        (AREAS, "commune", {"start_on": f"{YEAR}-12-31"}),
        (AREAS, "commune", {"end_on": f"{YEAR}-01-02"}),
        (AREAS, "commune", {"start_on": f"{YEAR - 5}-01-01", "end_on": f"{YEAR + 5}-01-01"}),
        (AREAS, "district", {}),  # in charge of a unit above it
        (AREAS, "province", {"start_on": f"{YEAR}-06-01", "end_on": f"{YEAR}-07-01"}),
        (POSITIONS, "district", {"post": "committee_member"}),
        (POSITIONS, "district", {"post": "secretary", "start_on": f"{YEAR}-12-31"}),
        (POSITIONS, "district", {"post": "deputy_secretary", "end_on": f"{YEAR}-01-02"}),
    ],
)
def test_a_directing_person_in_charge_or_in_the_superior_committee(
    client: TestClient, path: str, unit: str, dates: dict[str, str]
) -> None:
    world = make_world(client)
    person = make_person(client)
    term(client, path, person, world[unit], **dates)
    response = _directing(client, world, person)
    assert response.status_code == 201, response.text
    assert response.json()["directing_person_id"] == person["id"]


@pytest.mark.parametrize(
    ("path", "unit", "dates"),
    [
        (None, None, {}),  # no term at all
        (AREAS, "commune", {"end_on": f"{YEAR}-01-01"}),  # ended (exclusive) as the year began
        (AREAS, "commune", {"start_on": f"{YEAR + 1}-01-01"}),
        (AREAS, "commune", {"start_on": f"{YEAR - 3}-01-01", "end_on": f"{YEAR - 1}-06-01"}),
        (AREAS, "cell_a", {}),  # in charge of a unit below it, not of it
        (AREAS, "department", {}),  # in charge of a sibling
        (POSITIONS, "district", {"post": "secretary", "end_on": f"{YEAR}-01-01"}),
        (POSITIONS, "district", {"post": "secretary", "start_on": f"{YEAR + 1}-01-01"}),
        (POSITIONS, "department", {"post": "department_head"}),  # not the superior committee
        (POSITIONS, "cell_a", {"post": "cell_secretary"}),
    ],
)
def test_a_directing_person_without_charge_is_409(
    client: TestClient, path: str | None, unit: str | None, dates: dict[str, str]
) -> None:
    world = make_world(client)
    person = make_person(client)
    if path is not None and unit is not None:
        term(client, path, person, world[unit], **dates)
    body = assert_problem(_directing(client, world, person), 409)
    assert str(person["id"]) in body["detail"]
    assert total(client, COMMITMENTS) == 0


def test_a_patch_keeps_the_directing_person_in_charge(client: TestClient) -> None:
    world = make_world(client)
    person = make_person(client)
    term(
        client,
        AREAS,
        person,
        world["commune"],
        start_on=f"{YEAR}-01-01",
        end_on=f"{YEAR + 1}-01-01",
    )
    created = make_commitment(client, world, directing_person_id=person["id"])
    before = state(client, created)
    # Another year, when the person was no longer in charge.
    assert_problem(client.patch(url(created), json={"year": YEAR + 1}), 409)
    assert state(client, created) == before
    # Someone without charge.
    stranger = make_person(client)
    assert_problem(client.patch(url(created), json={"directing_person_id": stranger["id"]}), 409)
    assert state(client, created) == before
    # Nobody is fine.
    response = client.patch(url(created), json={"directing_person_id": None})
    assert response.status_code == 200, response.text
    assert response.json()["directing_person_id"] is None


def test_referenced_directives_and_people_are_not_deleted(client: TestClient) -> None:
    world = make_world(client)
    director = make_person(client)
    responsible = make_person(client)
    term(client, AREAS, director, world["commune"])
    commitment = make_commitment(
        client,
        world,
        directing_person_id=director["id"],
        responsible_person_id=responsible["id"],
    )
    before = state(client, commitment)
    assert_problem(client.delete(f"/api/v1/directives/{world['directive']['id']}"), 409)
    assert_problem(client.delete(f"/api/v1/people/{responsible['id']}"), 409)
    assert state(client, commitment) == before
    assert client.get(f"/api/v1/people/{responsible['id']}").status_code == 200


# --- the workflow ---------------------------------------------------------------------------


def test_the_workflow_is_served_as_data(client: TestClient, login: Any) -> None:
    viewer = login("viewer", make_world(client)["cell_a"]["id"])
    response = viewer.get(WORKFLOW)
    assert response.status_code == 200, response.text
    served = response.json()
    assert [t["action"] for t in served] == list(SPEC)
    for transition in served:
        sources, target, side, requires = SPEC[transition["action"]]
        assert transition["from_statuses"] == sources
        assert transition["to_status"] == target
        assert transition["taken_by"] == side
        assert transition["requires"] == requires
        assert transition["action_label"]
    labels = {t["action"]: t["action_label"] for t in served}
    assert labels["return"] == "Trả lại"


def test_the_workflow_is_in_the_openapi_description(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    description = schema["paths"][f"{COMMITMENTS}/{{commitment_id}}/transitions"]["post"][
        "description"
    ]
    for action, (sources, target, side, _) in SPEC.items():
        row = next(line for line in description.splitlines() if line.startswith(f"| `{action}`"))
        assert f"`{target}`" in row
        assert side in row
        assert all(f"`{s}`" in row for s in sources)


@pytest.mark.parametrize("status", list(COMMITMENT_PATHS))
def test_each_action_from_each_status_follows_the_served_workflow(
    client: TestClient, status: str
) -> None:
    """Allowed actions lead where the workflow says; the others answer 409 naming the allowed
    ones and change nothing."""
    world = make_world(client)
    served = {t["action"]: t for t in client.get(WORKFLOW).json()}
    allowed = [a for a, t in served.items() if status in t["from_statuses"]]
    assert allowed == [a for a, spec in SPEC.items() if status in spec[0]]

    stuck = make_commitment(client, world, status)
    assert stuck["status"] == status
    before = state(client, stuck)
    for action in SPEC:
        if action in allowed:
            fresh = make_commitment(client, world, status)
            etag = client.get(url(fresh)).headers["etag"]
            response = act(client, fresh, action, **COMMITMENT_FIELDS)
            assert response.status_code == 200, response.text
            assert response.json()["status"] == served[action]["to_status"]
            assert response.headers["etag"] == f'"{int(etag.strip(chr(34))) + 1}"'
        else:
            body = assert_problem(act(client, stuck, action, **COMMITMENT_FIELDS), 409)
            assert status in body["detail"]
            for name in allowed:
                assert name in body["detail"], (action, body["detail"])
            if not allowed:
                assert "none" in body["detail"]
            assert state(client, stuck) == before, action


@pytest.mark.parametrize(
    ("status", "action"),
    [(s, a) for a, spec in SPEC.items() if spec[3] for s in spec[0]],
)
def test_a_required_field_is_422(client: TestClient, status: str, action: str) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, status)
    before = state(client, commitment)
    (field,) = SPEC[action][3]
    others = {k: v for k, v in COMMITMENT_FIELDS.items() if k != field}
    for missing in ({}, {field: None}, {field: "   "}):
        body = assert_problem(act(client, commitment, action, **others, **missing), 422)
        assert all(e["loc"][:2] == ["body", field] for e in body["errors"]), body
    assert state(client, commitment) == before


def test_unknown_actions_are_422(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world)
    before = state(client, commitment)
    for action in ("approve", "REGISTER", "", None):
        body = assert_problem(act(client, commitment, action), 422)
        assert body["errors"][0]["loc"] == ["body", "action"]
    assert state(client, commitment) == before


def test_a_stale_etag_moves_nothing(client: TestClient) -> None:
    world = make_world(client)
    commitment = move(client, make_commitment(client, world), "register")
    before = state(client, commitment)
    stale = client.post(
        url(commitment, "/transitions"), json={"action": "accept"}, headers={"If-Match": '"1"'}
    )
    assert_problem(stale, 412)
    assert state(client, commitment) == before
    fresh = client.post(
        url(commitment, "/transitions"),
        json={"action": "accept"},
        headers={"If-Match": before[1]},
    )
    assert fresh.status_code == 200, fresh.text


def test_a_retried_transition_is_taken_once(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world)
    key = {"Idempotency-Key": "dang-ky-1"}
    body = {"action": "register", "note": "Đăng ký"}
    first = client.post(url(commitment, "/transitions"), json=body, headers=key)
    assert first.status_code == 200, first.text
    again = client.post(url(commitment, "/transitions"), json=body, headers=key)
    assert again.status_code == 200, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert again.headers["etag"] == first.headers["etag"] == '"2"'
    assert len(client.get(url(commitment, "/history")).json()) == 1
    assert actions(client, "commitment", commitment["id"]) == ["create", "register"]
    # Without the key, a second register is an illegal transition.
    assert_problem(client.post(url(commitment, "/transitions"), json=body), 409)


def test_the_full_lifecycle_with_history_and_audit(client: TestClient, login: Any) -> None:
    world = make_world(client)
    unit_manager = login("manager", world["commune"]["id"], "bt-huong-son")
    superior = login("manager", world["district"]["id"], "hu-binh-xuyen")

    created = unit_manager.post(COMMITMENTS, json=commitment_body(world))
    assert created.status_code == 201, created.text
    commitment = created.json()
    cid = commitment["id"]

    def take(caller: TestClient, action: str, status: str, **fields: Any) -> dict[str, Any]:
        response = act(caller, commitment, action, **fields)
        assert response.status_code == 200, response.text
        moved = response.json()
        assert moved["status"] == status
        assert caller.get(url(commitment)).json() == moved
        return moved  # type: ignore[no-any-return]

    take(unit_manager, "register", "registered", note="Đăng ký việc khó năm 2022")
    # Returning needs a reason.
    before = state(client, commitment)
    assert_problem(act(superior, commitment, "return"), 422)
    assert state(client, commitment) == before
    take(superior, "return", "draft", note="Bổ sung tiêu chí đo được")
    patched = unit_manager.patch(url(commitment), json={"success_criteria": ["Kết nạp 15"]})
    assert patched.status_code == 200, patched.text
    take(unit_manager, "register", "registered")
    take(superior, "accept", "accepted", note="Đồng ý")
    take(unit_manager, "start", "in_progress")

    for day, percent in (("2022-03-31", 30), ("2022-09-30", 70)):
        report = {"reported_on": day, "progress_percent": percent, "note": f"Đạt {percent}%"}
        added = unit_manager.post(url(commitment, "/progress-updates"), json=report)
        assert added.status_code == 201, added.text
    assert unit_manager.get(url(commitment)).json()["progress_percent"] == 70

    before = state(client, commitment)
    assert_problem(act(unit_manager, commitment, "complete", note="Xong"), 422)
    assert state(client, commitment) == before
    done = take(unit_manager, "complete", "completed", result_summary="Kết nạp 15 đảng viên mới")
    assert done["result_summary"] == "Kết nạp 15 đảng viên mới"
    assert done["status_label"] == "Hoàn thành"
    assert done["progress_percent"] == 70
    assert client.get(url(commitment)).headers["etag"] == '"10"'  # 6 moves, an edit, 2 reports

    history = client.get(url(commitment, "/history"))
    assert history.status_code == 200
    steps = [
        (e["action"], e["from_status"], e["to_status"], e["note"], e["actor"])
        for e in history.json()
    ]
    assert steps == [
        ("register", "draft", "registered", "Đăng ký việc khó năm 2022", "bt-huong-son"),
        ("return", "registered", "draft", "Bổ sung tiêu chí đo được", "hu-binh-xuyen"),
        ("register", "draft", "registered", None, "bt-huong-son"),
        ("accept", "registered", "accepted", "Đồng ý", "hu-binh-xuyen"),
        ("start", "accepted", "in_progress", None, "bt-huong-son"),
        ("complete", "in_progress", "completed", None, "bt-huong-son"),
    ]
    times = [e["at"] for e in history.json()]
    assert times == sorted(times)

    rows = audit(client, "commitment", cid)
    assert [(r["action"], r["actor"]) for r in rows] == [
        ("create", "bt-huong-son"),
        ("register", "bt-huong-son"),
        ("return", "hu-binh-xuyen"),
        ("update", "bt-huong-son"),
        ("register", "bt-huong-son"),
        ("accept", "hu-binh-xuyen"),
        ("start", "bt-huong-son"),
        ("complete", "bt-huong-son"),
    ]
    assert all(r["unit_id"] == world["commune"]["id"] for r in rows)
    transitions = [r for r in rows if r["action"] not in {"create", "update"}]
    for row, (_, source, target, _, _) in zip(transitions, steps, strict=True):
        assert (row["before"]["status"], row["after"]["status"]) == (source, target)
    assert rows[-1]["after"]["result_summary"] == "Kết nạp 15 đảng viên mới"
    updates = client.get(url(commitment, "/progress-updates")).json()
    for update in updates:
        (row,) = audit(client, "progress_update", update["id"])
        assert (row["action"], row["actor"]) == ("create", "bt-huong-son")

    # A unit's manager reads its own commitment's history; nothing more can happen to it.
    assert unit_manager.get(url(commitment, "/history")).json() == history.json()
    for action in SPEC:
        body = assert_problem(act(client, commitment, action, **COMMITMENT_FIELDS), 409)
        assert "none" in body["detail"]


def test_the_not_completed_path(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    response = act(client, commitment, "report_not_completed", result_summary="Chỉ kết nạp được 3")
    assert response.status_code == 200, response.text
    finished = response.json()
    assert finished["status"] == "not_completed"
    assert finished["status_label"] == "Không hoàn thành"
    assert finished["result_summary"] == "Chỉ kết nạp được 3"
    assert finished["escalated_to"] is None
    assert [e["action"] for e in client.get(url(commitment, "/history")).json()] == [
        "register",
        "accept",
        "start",
        "report_not_completed",
    ]
    assert audit(client, "commitment", commitment["id"])[-1]["action"] == "report_not_completed"


def test_the_escalate_path(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    response = act(
        client, commitment, "escalate", escalated_to="Ủy ban nhân dân huyện", note="Vượt thẩm quyền"
    )
    assert response.status_code == 200, response.text
    finished = response.json()
    assert finished["status"] == "escalated"
    assert finished["escalated_to"] == "Ủy ban nhân dân huyện"
    assert finished["result_summary"] is None
    last = client.get(url(commitment, "/history")).json()[-1]
    assert (last["action"], last["from_status"], last["to_status"], last["note"]) == (
        "escalate",
        "in_progress",
        "escalated",
        "Vượt thẩm quyền",
    )
    assert audit(client, "commitment", commitment["id"])[-1]["action"] == "escalate"


@pytest.mark.parametrize("status", ["draft", "registered"])
def test_cancel(client: TestClient, login: Any, status: str) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, status)
    unit_manager = login("manager", world["commune"]["id"])
    response = act(unit_manager, commitment, "cancel", note="Không còn phù hợp")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "cancelled"
    assert response.json()["status_label"] == "Đã hủy"
    last = client.get(url(commitment, "/history")).json()[-1]
    assert (last["action"], last["from_status"], last["note"]) == (
        "cancel",
        status,
        "Không còn phù hợp",
    )
    assert audit(client, "commitment", commitment["id"])[-1]["action"] == "cancel"


# --- who may take each action ---------------------------------------------------------------


@pytest.mark.parametrize("action", ["accept", "return"])
def test_a_unit_does_not_accept_or_return_its_own_registration(
    client: TestClient, login: Any, action: str
) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "registered")
    before = state(client, commitment)
    for role in ("manager", "reporter", "viewer"):
        caller = login(role, world["commune"]["id"])
        assert_problem(act(caller, commitment, action, **COMMITMENT_FIELDS), 403)
    # Nor does the superior's reporter.
    assert_problem(
        act(login("reporter", world["district"]["id"]), commitment, action, note="x"), 403
    )
    assert state(client, commitment) == before

    superior = login("manager", world["district"]["id"])
    response = act(superior, commitment, action, **COMMITMENT_FIELDS)
    assert response.status_code == 200, response.text
    # A manager above the superior may as well.
    other = make_commitment(client, world, "registered")
    province = login("manager", world["province"]["id"])
    assert act(province, other, action, **COMMITMENT_FIELDS).status_code == 200


def test_a_cell_registered_with_the_district_is_accepted_there_not_by_the_commune(
    client: TestClient, login: Any
) -> None:
    world = make_world(client)
    commitment = move(
        client, make_commitment(client, world, unit="cell_a", superior="district"), "register"
    )
    before = state(client, commitment)
    commune_manager = login("manager", world["commune"]["id"])
    assert_problem(act(commune_manager, commitment, "accept"), 403)
    assert state(client, commitment) == before
    district_manager = login("manager", world["district"]["id"])
    assert act(district_manager, commitment, "accept").status_code == 200


@pytest.mark.parametrize("role", ["viewer", "reporter"])
def test_a_viewer_or_reporter_creates_edits_and_moves_nothing(
    client: TestClient, login: Any, role: str
) -> None:
    world = make_world(client)
    caller = login(role, world["commune"]["id"])
    assert_problem(caller.post(COMMITMENTS, json=commitment_body(world)), 403)
    assert total(client, COMMITMENTS) == 0

    draft = make_commitment(client, world)
    before = state(client, draft)
    assert_problem(caller.patch(url(draft), json={"title": "x"}), 403)
    for action in ("register", "cancel"):
        assert_problem(act(caller, draft, action), 403)
    assert state(client, draft) == before

    running = make_commitment(client, world, "accepted")
    before = state(client, running)
    assert_problem(act(caller, running, "start"), 403)
    assert state(client, running) == before
    # The commitment is theirs to read.
    assert caller.get(url(running)).status_code == 200
    assert caller.get(url(running, "/history")).status_code == 200


def test_the_unit_side_actions_are_the_units(client: TestClient, login: Any) -> None:
    """A manager of the unit takes the unit's actions from register to complete."""
    world = make_world(client)
    unit_manager = login("manager", world["commune"]["id"])
    superior = login("manager", world["district"]["id"])
    commitment = make_commitment(unit_manager, world)
    for caller, action in (
        (unit_manager, "register"),
        (superior, "accept"),
        (unit_manager, "start"),
        (unit_manager, "escalate"),
    ):
        response = act(caller, commitment, action, **COMMITMENT_FIELDS)
        assert response.status_code == 200, (action, response.text)


def test_out_of_scope_is_404(client: TestClient, login: Any) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "accepted")
    before = state(client, commitment)
    for role, unit in (
        ("manager", "department"),
        ("manager", "cell_a"),
        ("viewer", "department"),
        ("reporter", "cell_b"),
    ):
        caller = login(role, world[unit]["id"])
        for response in (
            caller.get(url(commitment)),
            caller.get(url(commitment, "/history")),
            caller.get(url(commitment, "/progress-updates")),
            caller.patch(url(commitment), json={"title": "x"}),
            act(caller, commitment, "start"),
            act(caller, commitment, "cancel"),
            caller.post(
                url(commitment, "/progress-updates"),
                json={"reported_on": "2022-05-01", "progress_percent": 10, "note": "x"},
            ),
        ):
            body = assert_problem(response, 404)
            assert "does not exist" in body["detail"]
        assert commitment["id"] not in ids(caller.get(COMMITMENTS))
    assert state(client, commitment) == before
    # The same answer as for a commitment that does not exist.
    assert_problem(client.get(f"{COMMITMENTS}/99999"), 404)
    assert_problem(act(client, {"id": 99999}, "register"), 404)


def test_refusing_a_superior_reveals_nothing_outside_the_scope(
    client: TestClient, login: Any
) -> None:
    """Naming a unit outside one's subtree as the superior answers as for a unit that does not
    exist, and does not tell its code."""
    world = make_world(client)
    manager = login("manager", world["commune"]["id"])
    department = world["department"]
    existing = manager.post(COMMITMENTS, json=commitment_body(world, superior="department"))
    missing = manager.post(COMMITMENTS, json=commitment_body(world) | {"registered_with_id": 99999})
    assert existing.status_code == missing.status_code, (existing.text, missing.text)
    assert department["code"] not in existing.text
    assert total(client, COMMITMENTS) == 0


def test_a_manager_creates_only_in_its_subtree(client: TestClient, login: Any) -> None:
    world = make_world(client)
    manager = login("manager", world["commune"]["id"])
    for unit, superior in (("department", "district"), ("district", "province")):
        assert_problem(
            manager.post(COMMITMENTS, json=commitment_body(world, unit=unit, superior=superior)),
            403,
        )
    assert total(client, COMMITMENTS) == 0
    created = manager.post(
        COMMITMENTS, json=commitment_body(world, unit="cell_b", superior="commune")
    )
    assert created.status_code == 201, created.text


# --- progress updates -----------------------------------------------------------------------


def report(
    client: TestClient, commitment: dict[str, Any], day: str, percent: int | None, **extra: Any
) -> Any:
    body: dict[str, Any] = {"reported_on": day, "note": f"Báo cáo ngày {day}"} | extra
    if percent is not None:
        body["progress_percent"] = percent
    return client.post(url(commitment, "/progress-updates"), json=body)


def progress_of(client: TestClient, commitment: dict[str, Any]) -> int:
    return client.get(url(commitment)).json()["progress_percent"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("status", ["accepted", "in_progress"])
def test_progress_on_accepted_or_running_commitments(client: TestClient, status: str) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, status)
    links = ["https://huongson.binhxuyen.vinhphuc.gov.vn/tin-tuc/ket-nap-dang-vien"]
    response = report(client, commitment, "2022-06-30", 40, evidence_links=links)
    assert response.status_code == 201, response.text
    added = response.json()
    assert added["commitment_id"] == commitment["id"]
    assert added["reported_on"] == "2022-06-30"
    assert added["progress_percent"] == 40
    assert added["evidence_links"] == links
    assert added["actor"] == "admin"
    assert progress_of(client, commitment) == 40
    assert client.get(url(commitment)).json()["status"] == status
    assert client.get(url(commitment, "/progress-updates")).json() == [added]
    (row,) = audit(client, "progress_update", added["id"])
    assert row["action"] == "create"
    assert row["unit_id"] == world["commune"]["id"]


@pytest.mark.parametrize(
    "status", ["draft", "registered", "completed", "not_completed", "escalated", "cancelled"]
)
def test_no_progress_elsewhere(client: TestClient, status: str) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, status)
    before = state(client, commitment)
    body = assert_problem(report(client, commitment, "2022-06-30", 40), 409)
    assert status in body["detail"]
    assert state(client, commitment) == before


def test_the_latest_report_by_date_sets_the_progress(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    assert report(client, commitment, "2022-06-30", 60).status_code == 201
    assert progress_of(client, commitment) == 60
    # An older report arriving later does not set it back.
    assert report(client, commitment, "2022-03-31", 30).status_code == 201
    assert progress_of(client, commitment) == 60
    assert report(client, commitment, "2022-09-30", 80).status_code == 201
    assert progress_of(client, commitment) == 80
    # A lower assessment on a later date is the current one.
    assert report(client, commitment, "2022-10-31", 75).status_code == 201
    assert progress_of(client, commitment) == 75
    # Of two on the same day, the one reported last.
    assert report(client, commitment, "2022-10-31", 78).status_code == 201
    assert progress_of(client, commitment) == 78

    timeline = client.get(url(commitment, "/progress-updates")).json()
    assert [(u["reported_on"], u["progress_percent"]) for u in timeline] == [
        ("2022-03-31", 30),
        ("2022-06-30", 60),
        ("2022-09-30", 80),
        ("2022-10-31", 75),
        ("2022-10-31", 78),
    ]


def test_a_note_without_a_percent_leaves_the_progress(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    assert report(client, commitment, "2022-06-30", 45).status_code == 201
    response = report(client, commitment, "2022-12-31", None, note="Đã kết nạp 15 đảng viên")
    assert response.status_code == 201, response.text
    assert response.json()["progress_percent"] is None
    assert progress_of(client, commitment) == 45


def test_today_is_fine_tomorrow_is_422(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    today = clock.today()
    before = state(client, commitment)
    tomorrow = report(client, commitment, (today + timedelta(days=1)).isoformat(), 50)
    body = assert_problem(tomorrow, 422)
    assert [e["loc"] for e in body["errors"]] == [["body", "reported_on"]]
    assert state(client, commitment) == before
    assert report(client, commitment, today.isoformat(), 50).status_code == 201


BAD_REPORTS: list[tuple[str, dict[str, Any]]] = [
    ("progress_percent", {"progress_percent": 101}),
    ("progress_percent", {"progress_percent": -1}),
    ("progress_percent", {"progress_percent": "nhiều"}),
    ("evidence_links", {"evidence_links": ["không phải địa chỉ"]}),
    ("evidence_links", {"evidence_links": ["ftp://example.org/file.pdf"]}),
    ("evidence_links", {"evidence_links": ["javascript:alert(1)"]}),
    ("evidence_links", {"evidence_links": "https://example.org/a"}),
    ("evidence_links", {"evidence_links": ["https://example.org/a"] * 21}),
    ("note", {"note": ""}),
    ("note", {"note": "x" * 5001}),
    ("reported_on", {"reported_on": "hôm qua"}),
]


@pytest.mark.parametrize(("field", "change"), BAD_REPORTS, ids=[f for f, _ in BAD_REPORTS])
def test_invalid_reports_are_422(client: TestClient, field: str, change: dict[str, Any]) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    before = state(client, commitment)
    body = {"reported_on": "2022-06-30", "progress_percent": 50, "note": "Ghi chú"} | change
    problem = assert_problem(client.post(url(commitment, "/progress-updates"), json=body), 422)
    assert all(e["loc"][:2] == ["body", field] for e in problem["errors"]), problem["errors"]
    assert state(client, commitment) == before


def test_who_reports_progress(client: TestClient, login: Any) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    reporter = login("reporter", world["commune"]["id"], "thu-ky-xa")
    response = report(reporter, commitment, "2022-06-30", 20)
    assert response.status_code == 201, response.text
    assert response.json()["actor"] == "thu-ky-xa"
    assert progress_of(client, commitment) == 20

    viewer = login("viewer", world["commune"]["id"])
    before = state(client, commitment)
    assert_problem(report(viewer, commitment, "2022-07-31", 90), 403)
    # A reporter of a cell below the unit does not report for the unit: it cannot see it.
    cell_reporter = login("reporter", world["cell_a"]["id"])
    assert_problem(report(cell_reporter, commitment, "2022-07-31", 90), 404)
    assert state(client, commitment) == before
    # The viewer reads the timeline.
    assert len(viewer.get(url(commitment, "/progress-updates")).json()) == 1


def test_a_stale_etag_reports_nothing(client: TestClient) -> None:
    world = make_world(client)
    commitment = make_commitment(client, world, "in_progress")
    before = state(client, commitment)
    stale = client.post(
        url(commitment, "/progress-updates"),
        json={"reported_on": "2022-06-30", "progress_percent": 10, "note": "x"},
        headers={"If-Match": '"1"'},
    )
    assert_problem(stale, 412)
    assert state(client, commitment) == before


# --- lists ----------------------------------------------------------------------------------


def make_listed(client: TestClient) -> dict[str, Any]:
    """Three commitments that differ in every filtered field.

    - mine: the commune's, 2022, registered with the district, draft, deadline passed (overdue);
    - cell: cell A's, 2023, registered with the commune, in progress, deadline far ahead;
    - dept: the department's, 2021, registered with the district, completed, deadline passed.
    """
    world = make_world(client)
    other_directive = make_directive(client, code="35-CT/TW")
    director = make_person(client, full_name="Ngô Quốc Thể")
    responsible = make_person(client, full_name="Trần Văn Hùng")
    term(client, AREAS, director, world["commune"])
    world["director"], world["responsible"] = director, responsible
    world["other_directive"] = other_directive

    world["dept"] = make_commitment(
        client,
        world,
        "completed",
        unit_id=world["department"]["id"],
        year=2021,
        kind="weak_link",
        category="land_management",
        title="Chấn chỉnh quản lý đất công",
        description="Rà soát hồ sơ đất đai",
        deadline="2022-06-30",
    )
    world["cell"] = make_commitment(
        client,
        world,
        "in_progress",
        unit_id=world["cell_a"]["id"],
        registered_with_id=world["commune"]["id"],
        directive_id=other_directive["id"],
        year=2023,
        kind="pressing_issue",
        category="environment",
        title="Xử lý điểm tập kết rác",
        description="Rác thải ở thôn Đồng Tâm gây ô nhiễm",
        deadline="2035-12-31",
    )
    world["mine"] = make_commitment(
        client,
        world,
        directing_person_id=director["id"],
        responsible_person_id=responsible["id"],
        deadline="2022-12-31",
    )
    return world


def test_list_filters(client: TestClient) -> None:
    world = make_listed(client)
    mine, cell, dept = (world[k]["id"] for k in ("mine", "cell", "dept"))

    def find(**params: Any) -> list[int]:
        return sorted(ids(client.get(COMMITMENTS, params=params)))

    assert find() == sorted([mine, cell, dept])
    assert find(root_id=world["province"]["id"]) == sorted([mine, cell, dept])
    assert find(root_id=world["commune"]["id"]) == sorted([mine, cell])
    assert find(root_id=world["cell_a"]["id"]) == [cell]
    assert find(root_id=world["cell_b"]["id"]) == []
    assert find(root_id=world["department"]["id"]) == [dept]
    assert find(registered_with_id=world["district"]["id"]) == sorted([mine, dept])
    assert find(registered_with_id=world["commune"]["id"]) == [cell]
    assert find(year=2022) == [mine]
    assert find(year=2023) == [cell]
    assert find(year=2030) == []
    assert find(status="draft") == [mine]
    assert find(status="in_progress") == [cell]
    assert find(status="completed") == [dept]
    assert find(status="accepted") == []
    assert find(kind="pressing_issue") == [cell]
    assert find(kind="difficult_task") == [mine]
    assert find(category="land_management") == [dept]
    assert find(category="party_recruitment") == [mine]
    assert find(directive_id=world["other_directive"]["id"]) == [cell]
    assert find(directive_id=world["directive"]["id"]) == sorted([mine, dept])
    assert find(directing_person_id=world["director"]["id"]) == [mine]
    assert find(directing_person_id=world["responsible"]["id"]) == []
    assert find(responsible_person_id=world["responsible"]["id"]) == [mine]
    assert find(overdue=True) == [mine]
    assert find(overdue=False) == sorted([cell, dept])
    assert find(root_id=world["district"]["id"], year=2022, category="party_recruitment") == [mine]
    assert find(root_id=world["commune"]["id"], status="completed") == []


def test_search_ignores_accents_and_case(client: TestClient) -> None:
    world = make_listed(client)
    mine, cell, dept = (world[k]["id"] for k in ("mine", "cell", "dept"))

    def search(q: str) -> list[int]:
        return sorted(ids(client.get(COMMITMENTS, params={"q": q})))

    assert search("tao nguon phat trien") == [mine]
    assert search("TẠO NGUỒN") == [mine]
    assert search("Tạo nguồn") == [mine]
    assert search("rac thai") == [cell]  # in the description
    assert search("dong tam") == [cell]
    assert search("ĐẤT") == [dept]
    assert search("dang vien") == [mine]
    assert search("kết nạp") == [mine]
    assert search("không có") == []
    assert search("%") == sorted([mine, cell, dept])  # no wildcard: matches like an empty query
    body = assert_problem(client.get(COMMITMENTS, params={"q": ""}), 422)
    assert body["errors"][0]["loc"] == ["query", "q"]


def test_list_sorts(client: TestClient) -> None:
    world = make_listed(client)
    mine, cell, dept = (world[k]["id"] for k in ("mine", "cell", "dept"))

    def order(sort: str | None = None, descending: bool | None = None) -> list[int]:
        params: dict[str, Any] = {}
        if sort is not None:
            params["sort"] = sort
        if descending is not None:
            params["descending"] = descending
        return ids(client.get(COMMITMENTS, params=params))

    assert order("deadline") == [dept, mine, cell]
    assert order("deadline", True) == [cell, mine, dept]
    assert order("year") == [dept, mine, cell]
    assert order("year", True) == [cell, mine, dept]
    # Three different statuses: whatever their order, descending reverses it.
    assert sorted(order("status")) == sorted([mine, cell, dept])
    assert order("status", True) == list(reversed(order("status")))
    # updated_at: the default. The draft changed last.
    assert client.patch(url(world["mine"]), json={"title": "Sửa lần cuối"}).status_code == 200
    assert order() == order("updated_at") == [dept, cell, mine]
    assert order("updated_at", True) == [mine, cell, dept]


def test_list_pages(client: TestClient) -> None:
    world = make_listed(client)
    first = client.get(COMMITMENTS, params={"sort": "year", "limit": 2, "count": "exact"}).json()
    second = client.get(
        COMMITMENTS, params={"sort": "year", "limit": 2, "offset": 2, "count": "exact"}
    ).json()
    assert first["total"] == second["total"] == 3
    assert [c["id"] for c in first["items"] + second["items"]] == [
        world[k]["id"] for k in ("dept", "mine", "cell")
    ]
    assert first["items"][0]["status_label"] == "Hoàn thành"


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("status", "done"),
        ("kind", "hard"),
        ("category", "land"),
        ("year", 1989),
        ("year", 2101),
        ("sort", "title"),
        ("overdue", "maybe"),
        ("root_id", 0),
        ("directing_person_id", "x"),
        ("q", "x" * 101),
    ],
)
def test_invalid_list_parameters_are_422(client: TestClient, param: str, value: Any) -> None:
    body = assert_problem(client.get(COMMITMENTS, params={param: value}), 422)
    assert body["errors"][0]["loc"] == ["query", param]


def test_a_commitment_without_a_deadline_is_never_overdue(client: TestClient) -> None:
    world = make_world(client)
    open_ended = make_commitment(client, world, deadline=None)
    passed = make_commitment(client, world, deadline="2022-12-31")
    assert ids(client.get(COMMITMENTS, params={"overdue": True})) == [passed["id"]]
    assert ids(client.get(COMMITMENTS, params={"overdue": False})) == [open_ended["id"]]


def test_undated_commitments_sort_last_on_every_database(client: TestClient) -> None:
    """The answer does not depend on the database: PostgreSQL puts NULLs last when ascending,
    SQLite first; the API must pick one (undated last: the most urgent come first)."""
    world = make_world(client)
    undated = make_commitment(client, world, deadline=None)
    late = make_commitment(client, world, deadline="2023-06-30")
    early = make_commitment(client, world, deadline="2022-06-30")
    ascending = ids(client.get(COMMITMENTS, params={"sort": "deadline"}))
    assert ascending == [early["id"], late["id"], undated["id"]]
    descending = ids(client.get(COMMITMENTS, params={"sort": "deadline", "descending": True}))
    assert descending == list(reversed(ascending))


def test_lists_hold_only_the_callers_subtree(client: TestClient, login: Any) -> None:
    world = make_listed(client)
    mine, cell, dept = (world[k]["id"] for k in ("mine", "cell", "dept"))

    def seen(caller: TestClient, **params: Any) -> list[int]:
        response = caller.get(COMMITMENTS, params={"count": "exact", **params})
        assert response.json()["total"] == len(response.json()["items"])
        return sorted(ids(response))

    commune = login("manager", world["commune"]["id"])
    assert seen(commune) == sorted([mine, cell])
    assert seen(commune, root_id=world["district"]["id"]) == sorted([mine, cell])
    assert seen(commune, root_id=world["department"]["id"]) == []
    assert seen(commune, registered_with_id=world["district"]["id"]) == [mine]
    assert seen(commune, status="completed") == []
    assert seen(commune, q="dat cong") == []

    assert seen(login("manager", world["department"]["id"])) == [dept]
    assert seen(login("viewer", world["cell_a"]["id"])) == [cell]
    assert seen(login("reporter", world["cell_b"]["id"])) == []
    assert seen(login("viewer", world["district"]["id"])) == sorted([mine, cell, dept])
