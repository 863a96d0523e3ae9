import pytest
from fastapi.testclient import TestClient

from tests.factories import assert_problem, make_person, make_tree, make_unit

PEOPLE = "/api/v1/people"
POSITIONS = "/api/v1/positions"
AREAS = "/api/v1/areas-of-charge"


def test_people_crud_and_accent_insensitive_search(client: TestClient) -> None:
    thoa = client.post(PEOPLE, json={"full_name": "  Trịnh Thị Kim Thoa "})
    assert thoa.status_code == 201
    assert thoa.json()["full_name"] == "Trịnh Thị Kim Thoa"
    the = make_person(client, full_name="Ngô Quốc Thể")
    for query in ("kim thoa", "TRỊNH", "trinh thi"):
        found = client.get(PEOPLE, params={"q": query}).json()
        assert [p["id"] for p in found["items"]] == [thoa.json()["id"]]
    assert client.get(PEOPLE, params={"q": "ngo quoc the"}).json()["items"][0]["id"] == the["id"]
    renamed = client.patch(
        f"{PEOPLE}/{the['id']}", json={"full_name": "Ngô Quốc Thể (Ban Tuyên giáo)"}
    )
    assert renamed.status_code == 200
    assert client.get(PEOPLE, params={"q": "tuyen giao"}).json()["total"] == 1
    assert client.delete(f"{PEOPLE}/{the['id']}").status_code == 204
    assert_problem(client.get(f"{PEOPLE}/{the['id']}"), 404)


@pytest.mark.parametrize(
    "payload", [{}, {"full_name": ""}, {"full_name": "x" * 256}, {"full_name": 5}]
)
def test_bad_people_payloads(client: TestClient, payload: dict[str, object]) -> None:
    assert_problem(client.post(PEOPLE, json=payload), 422)
    assert client.get(PEOPLE).json()["total"] == 0


def test_positions_by_unit_person_post_and_day(client: TestClient) -> None:
    tree = make_tree(client)
    thoa = make_person(client, full_name="Trịnh Thị Kim Thoa")
    the = make_person(client, full_name="Ngô Quốc Thể")
    deputy = client.post(
        POSITIONS,
        json={
            "person_id": thoa["id"],
            "unit_id": tree["commune"]["id"],
            "post": "standing_deputy_secretary",
            "start_on": "2020-10-01",
        },
    )
    assert deputy.status_code == 201
    assert deputy.json()["post_label"] == "Phó Bí thư Thường trực"
    assert deputy.headers["location"].endswith(f"{POSITIONS}/{deputy.json()['id']}")
    head = client.post(
        POSITIONS,
        json={
            "person_id": the["id"],
            "unit_id": tree["department"]["id"],
            "post": "department_deputy_head",
        },
    ).json()
    by_unit = client.get(POSITIONS, params={"unit_id": tree["commune"]["id"]}).json()
    assert [p["id"] for p in by_unit["items"]] == [deputy.json()["id"]]
    by_person = client.get(POSITIONS, params={"person_id": the["id"]}).json()
    assert [p["id"] for p in by_person["items"]] == [head["id"]]
    by_post = client.get(POSITIONS, params={"post": "department_deputy_head"}).json()
    assert [p["id"] for p in by_post["items"]] == [head["id"]]
    before = client.get(POSITIONS, params={"as_of": "2019-01-01"}).json()
    assert [p["id"] for p in before["items"]] == [head["id"]]  # unknown start counts as held

    ended = client.patch(f"{POSITIONS}/{deputy.json()['id']}", json={"end_on": "2025-07-01"})
    assert ended.status_code == 200
    assert (
        client.get(
            POSITIONS, params={"as_of": "2025-07-01", "unit_id": tree["commune"]["id"]}
        ).json()["total"]
        == 0
    )
    assert (
        client.get(
            POSITIONS, params={"as_of": "2025-06-30", "unit_id": tree["commune"]["id"]}
        ).json()["total"]
        == 1
    )


def test_position_rules(client: TestClient) -> None:
    tree = make_tree(client)
    person = make_person(client)
    base = {"person_id": person["id"], "unit_id": tree["commune"]["id"], "post": "secretary"}
    cases = [
        (base | {"person_id": 99999}, 422),
        (base | {"unit_id": 99999}, 422),
        (base | {"post": "president"}, 422),
        (base | {"start_on": "2024-01-01", "end_on": "2024-01-01"}, 422),
        (base | {"start_on": "2024-01-01", "end_on": "2023-01-01"}, 422),
        (base | {"post": "department_head"}, 409),
        (base | {"post": "cell_secretary"}, 409),
        (base | {"note": "n" * 1001}, 422),
    ]
    for payload, status in cases:
        assert_problem(client.post(POSITIONS, json=payload), status)
    assert client.get(POSITIONS).json()["total"] == 0
    cell_secretary = client.post(
        POSITIONS, json=base | {"unit_id": tree["cell_a"]["id"], "post": "cell_secretary"}
    )
    assert cell_secretary.status_code == 201
    position_id = cell_secretary.json()["id"]
    assert_problem(
        client.patch(f"{POSITIONS}/{position_id}", json={"post": "department_head"}), 409
    )
    assert_problem(client.patch(f"{POSITIONS}/{position_id}", json={"post": None}), 422)
    assert client.get(f"{POSITIONS}/{position_id}").json() == cell_secretary.json()


def test_a_term_cannot_start_after_its_unit_closed(client: TestClient) -> None:
    unit = make_unit(client, valid_from="2000-01-01")
    client.post(f"/api/v1/units/{unit['id']}/close", json={"valid_to": "2025-07-01"})
    person = make_person(client)
    body = {"person_id": person["id"], "unit_id": unit["id"], "post": "secretary"}
    assert_problem(client.post(POSITIONS, json=body | {"start_on": "2025-07-01"}), 409)
    assert_problem(client.post(POSITIONS, json=body | {"start_on": "1999-12-31"}), 409)
    assert client.post(POSITIONS, json=body | {"start_on": "2020-01-01"}).status_code == 201


def test_areas_of_charge(client: TestClient) -> None:
    tree = make_tree(client)
    member = make_person(client)
    created = client.post(
        AREAS,
        json={
            "person_id": member["id"],
            "unit_id": tree["commune"]["id"],
            "start_on": "2021-01-01",
        },
    )
    assert created.status_code == 201
    area = created.json()
    assert client.get(f"{AREAS}/{area['id']}").json() == area
    assert client.get(AREAS, params={"unit_id": tree["commune"]["id"]}).json()["total"] == 1
    assert (
        client.get(AREAS, params={"person_id": member["id"], "as_of": "2020-12-31"}).json()["total"]
        == 0
    )
    assert_problem(client.patch(f"{AREAS}/{area['id']}", json={"end_on": "2020-01-01"}), 422)
    ended = client.patch(
        f"{AREAS}/{area['id']}", json={"end_on": "2023-01-01", "note": "Hết nhiệm kỳ"}
    )
    assert ended.json()["end_on"] == "2023-01-01"
    assert_problem(client.post(AREAS, json={"person_id": member["id"], "unit_id": 99999}), 422)
    assert client.delete(f"{AREAS}/{area['id']}").status_code == 204
    assert_problem(client.get(f"{AREAS}/{area['id']}"), 404)


def test_a_person_named_on_a_position_cannot_be_deleted(client: TestClient) -> None:
    unit = make_unit(client)
    person = make_person(client)
    client.post(
        POSITIONS, json={"person_id": person["id"], "unit_id": unit["id"], "post": "secretary"}
    )
    assert_problem(client.delete(f"{PEOPLE}/{person['id']}"), 409)
    assert client.get(f"{PEOPLE}/{person['id']}").status_code == 200


@pytest.mark.parametrize("path", [f"{PEOPLE}/77777", f"{POSITIONS}/77777", f"{AREAS}/77777"])
def test_unknown_ids(client: TestClient, path: str) -> None:
    assert_problem(client.get(path), 404)
    assert_problem(client.patch(path, json={}), 404)
    assert_problem(client.delete(path), 404)
