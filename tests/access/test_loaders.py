"""The loader factory: one dependency per resource, named after the path parameter it reads."""

import inspect
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.access.loaders import loader
from tests.factories import assert_problem, make_person, make_unit


def test_a_loader_reads_its_own_path_parameter() -> None:
    seen: list[tuple[Any, int]] = []

    def fetch(scope: Any, record_id: int) -> str:
        seen.append((scope, record_id))
        return f"record {record_id}"

    load = loader("thing_id", fetch)
    assert list(inspect.signature(load).parameters) == ["scope", "thing_id"]
    assert load(scope="the scope", thing_id=7) == "record 7"
    assert seen == [("the scope", 7)]


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/api/v1/units/{}", "Unit"),
        ("/api/v1/people/{}", "Person"),
        ("/api/v1/commitments/{}", "Commitment"),
        ("/api/v1/recruitment/candidates/{}", "Candidate"),
        ("/api/v1/positions/{}", "Position"),
        ("/api/v1/evaluations/caps/{}", "Cap"),
    ],
)
def test_an_unknown_record_is_404_naming_it(client: TestClient, path: str, label: str) -> None:
    body = assert_problem(client.get(path.format(424242)), 404)
    assert body["detail"] == f"{label} 424242 does not exist."


def test_a_record_outside_the_scope_is_404_and_a_shared_one_is_read(
    client: TestClient, login: Any
) -> None:
    unit, other = make_unit(client), make_unit(client)
    viewer = login("viewer", unit["id"])
    assert viewer.get(f"/api/v1/units/{unit['id']}").status_code == 200
    assert_problem(viewer.get(f"/api/v1/units/{other['id']}"), 404)
    person = make_person(client)
    assert viewer.get(f"/api/v1/people/{person['id']}").status_code == 200
    # Users are for admins: 403 before anything is looked up.
    assert_problem(viewer.get("/api/v1/users/424242"), 403)
