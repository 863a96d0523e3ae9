"""Every write takes its JSON body strictly (issue 11, "loose input").

The operations come from the OpenAPI document, so a new endpoint is covered without being listed
here: each is sent an unknown field, a key twice, text or a boolean for each number, text or a
number for each boolean, a number or a far date for each date, and must answer 422 naming the
field, with nothing written (the audit trail, which every write extends, stays as it was).
"""

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from app.models import Role
from tests.conftest import empty_all_tables
from tests.factories import assert_problem, make_directive, make_person, make_principal, make_tree

OPENAPI = create_app().openapi()
WRITES = [
    (method.upper(), path, operation)
    for path, operations in OPENAPI["paths"].items()
    for method, operation in operations.items()
    if method in ("post", "put", "patch")
    and "application/json" in operation.get("requestBody", {}).get("content", {})
]
YEAR = 2025


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in schema:
        return _resolve(OPENAPI["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]])
    for variant in schema.get("anyOf", []):  # `X | None`
        if variant.get("type") != "null":
            return _resolve(variant)
    return schema


def _body_schema(operation: dict[str, Any]) -> dict[str, Any]:
    return _resolve(operation["requestBody"]["content"]["application/json"]["schema"])


def _leaves(schema: dict[str, Any], loc: tuple[str | int, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """(location, JSON type, format) of every scalar field, through nested objects and arrays."""
    schema = _resolve(schema)
    if schema.get("type") == "object":
        for name, field in schema.get("properties", {}).items():
            yield from _leaves(field, (*loc, name))
    elif schema.get("type") == "array":
        yield from _leaves(schema["items"], (*loc, 0))
    else:
        yield loc, schema.get("type"), schema.get("format")


def _nest(loc: tuple[str | int, ...], value: Any) -> Any:
    """A body holding `value` at `loc` alone: ("targets", 0, "target") -> {"targets": [{…}]}."""
    for key in reversed(loc):
        value = [value] if isinstance(key, int) else {key: value}
    return value


# What a lax parser would have taken, by JSON type and format: each must now be refused.
WRONG = {
    ("integer", None): ["3", True, "true"],
    ("number", None): ["3", True],
    ("boolean", None): ["true", 1, 0],
    ("string", "date"): [0, 1_700_000_000, "9999-12-31", "1900-01-01"],
}


def _cases() -> Iterator[Any]:
    for method, path, operation in WRITES:
        for loc, type_, format_ in _leaves(_body_schema(operation)):
            for value in WRONG.get((type_, format_), []):
                name = f"{method} {path} {'.'.join(map(str, loc))}={value!r}"
                yield pytest.param(method, path, loc, value, id=name)


@pytest.fixture(scope="module")
def world(app: FastAPI, engine: Engine) -> Iterator[tuple[TestClient, dict[str, int]]]:
    """One record of every kind, named by the path parameter that addresses it. Refused writes
    change nothing, so the module shares it."""
    with TestClient(app, headers=make_principal("strict", Role.admin, None)) as client:

        def post(path: str, body: dict[str, Any]) -> int:
            response = client.post(f"/api/v1{path}", json=body)
            assert response.status_code in (200, 201), response.text
            return int(response.json()["id"])

        tree = make_tree(client)
        commune, district = tree["commune"]["id"], tree["district"]["id"]
        person = make_person(client)["id"]
        directive = make_directive(client)["id"]
        ids = {
            "unit_id": commune,
            "directive_id": directive,
            "person_id": person,
            "position_id": post(
                "/positions", {"person_id": person, "unit_id": commune, "post": "secretary"}
            ),
            "area_id": post("/areas-of-charge", {"person_id": person, "unit_id": commune}),
            "commitment_id": post(
                "/commitments",
                {
                    "unit_id": commune,
                    "registered_with_id": district,
                    "directive_id": directive,
                    "year": YEAR,
                    "kind": "difficult_task",
                    "category": "environment",
                    "title": "Xử lý rác thải",
                },
            ),
            "target_id": post(
                "/recruitment/targets", {"unit_id": commune, "year": YEAR, "target": 5}
            ),
            "candidate_id": post(
                "/recruitment/candidates",
                {
                    "unit_id": tree["cell_a"]["id"],
                    "full_name": "Lê Thị Nguồn",
                    "source_since": f"{YEAR}-01-02",
                },
            ),
            "outcome_id": post(
                "/recruitment/outcomes",
                {
                    "unit_id": tree["cell_b"]["id"],
                    "period_start": f"{YEAR - 4}-01-01",
                    "period_end": f"{YEAR - 4}-12-31",
                    "admitted": 2,
                },
            ),
            "cap_id": post(
                "/evaluation-caps", {"unit_id": district, "year": YEAR, "max_percent": 20}
            ),
            "evaluation_id": post(
                "/evaluations", {"unit_id": commune, "year": YEAR, "grade": "good"}
            ),
            "criteria_set_id": post(
                "/criteria-sets",
                {
                    "year": YEAR,
                    "name": "Bộ tiêu chí",
                    "criteria": [{"code": "all", "name": "Tất cả", "max_points": 100}],
                },
            ),
            "discipline_id": post(
                "/disciplines",
                {
                    "unit_id": commune,
                    "person_id": person,
                    "form": "warning",
                    "decision_number": "1-QĐ",
                    "decided_on": f"{YEAR}-03-02",
                    "issued_by_id": district,
                },
            ),
            "user_id": post(
                "/users",
                {"username": "strict-user", "full_name": "Người Dùng", "password": "x" * 12},
            ),
            "key_id": post(
                "/api-keys", {"role": "viewer", "unit_id": commune, "name": "Bảng tính"}
            ),
            "approval_id": post("/approvals", {"unit_id": commune, "period": str(YEAR)}),
            "webhook_id": post(
                "/webhooks", {"url": "https://hooks.example.org/x", "events": ["target.changed"]}
            ),
        }
        yield client, ids
    empty_all_tables(engine)


def _url(path: str, ids: dict[str, int]) -> str:
    # A KeyError here means a new path parameter: add a record of its kind to `world`.
    return path.format(**{name: ids[name] for name in _parameters(path)})


def _parameters(path: str) -> list[str]:
    return [part[1:-1] for part in path.split("/") if part.startswith("{")]


def _audit_total(client: TestClient) -> int:
    response = client.get("/api/v1/audit-events", params={"limit": 1})
    assert response.status_code == 200, response.text
    return int(response.json()["total"])


def _refused(
    client: TestClient, method: str, url: str, loc: list[Any], error_type: str | None, **kw: Any
) -> None:
    before = _audit_total(client)
    body = assert_problem(client.request(method, url, **kw), 422)
    problems = [(e["loc"], e["type"]) for e in body["errors"]]
    assert any(
        e_loc == ["body", *loc] and (error_type is None or e_type == error_type)
        for e_loc, e_type in problems
    ), problems
    assert _audit_total(client) == before


def test_every_json_write_is_covered() -> None:
    """The OpenAPI document lists the writes of every domain, and the form of sign-in apart."""
    paths = {path for _, path, _ in WRITES}
    for resource in (
        "/api/v1/units",
        "/api/v1/directives",
        "/api/v1/people",
        "/api/v1/positions",
        "/api/v1/areas-of-charge",
        "/api/v1/commitments",
        "/api/v1/commitments/{commitment_id}/progress-updates",
        "/api/v1/commitments/{commitment_id}/transitions",
        "/api/v1/recruitment/targets",
        "/api/v1/recruitment/allocations",
        "/api/v1/recruitment/candidates/{candidate_id}/transitions",
        "/api/v1/recruitment/outcomes",
        "/api/v1/evaluation-caps",
        "/api/v1/evaluations/{evaluation_id}/decision",
        "/api/v1/users",
        "/api/v1/api-keys",
        "/api/v1/auth/password",
    ):
        assert resource in paths
    assert "/api/v1/auth/token" not in paths  # a form (OAuth2), not JSON
    assert len(WRITES) >= 34
    assert len(list(_cases())) >= 100


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in WRITES])
def test_an_unknown_field_is_refused(
    world: tuple[TestClient, dict[str, int]], method: str, path: str
) -> None:
    client, ids = world
    for field in ("id", "level", "unexpected_field"):
        _refused(client, method, _url(path, ids), [field], "extra_forbidden", json={field: 1})


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in WRITES])
def test_a_key_sent_twice_is_refused(
    world: tuple[TestClient, dict[str, int]], method: str, path: str
) -> None:
    client, ids = world
    headers = {"Content-Type": "application/json"}
    _refused(
        client,
        method,
        _url(path, ids),
        ["name"],
        "duplicate_key",
        content=b'{"name": "a", "name": "b"}',
        headers=headers,
    )


@pytest.mark.parametrize(("method", "path", "loc", "value"), list(_cases()))
def test_a_value_of_the_wrong_type_is_not_coerced(
    world: tuple[TestClient, dict[str, int]],
    method: str,
    path: str,
    loc: tuple[str | int, ...],
    value: Any,
) -> None:
    client, ids = world
    _refused(client, method, _url(path, ids), list(loc), None, json=_nest(loc, value))


def test_a_nested_key_sent_twice_is_located(world: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = world
    body = json.dumps({"parent_id": ids["unit_id"], "year": YEAR, "targets": [{"unit_id": 1}]})
    body = body.replace('{"unit_id": 1}', '{"unit_id": 1, "target": 1, "target": 9}')
    _refused(
        client,
        "POST",
        "/api/v1/recruitment/allocations",
        ["targets", 0, "target"],
        "duplicate_key",
        content=body.encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
    )


def test_invalid_json_is_still_answered_by_the_validation(
    world: tuple[TestClient, dict[str, int]],
) -> None:
    client, _ = world
    response = client.post(
        "/api/v1/people", content=b'{"full_name": ', headers={"Content-Type": "application/json"}
    )
    body = assert_problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"


# --- the rules, on the operations that care -------------------------------------------------


@pytest.fixture
def unit(client: TestClient) -> dict[str, Any]:
    response = client.post(
        "/api/v1/units", json={"code": "nfd-1", "name": "Hương Sơn", "kind": "commune_committee"}
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_the_issue_s_examples_are_refused_and_change_nothing(
    client: TestClient, unit: dict[str, Any]
) -> None:
    url = f"/api/v1/units/{unit['id']}"
    cell = client.post(
        "/api/v1/units",
        json={"code": "C-1", "name": "Chi bộ", "kind": "party_cell", "parent_id": unit["id"]},
    ).json()
    target = client.post(
        "/api/v1/recruitment/targets", json={"unit_id": unit["id"], "year": YEAR, "target": 4}
    ).json()
    before = client.get(url).json(), client.get(f"/api/v1/units/{cell['id']}").json()
    for body in ({"parent_id": str(unit["id"])}, {"level": 3}, {"id": 99}):
        assert_problem(client.patch(f"/api/v1/units/{cell['id']}", json=body), 422)
    for value in (True, "3"):
        path = f"/api/v1/recruitment/targets/{target['id']}"
        assert_problem(client.patch(path, json={"target": value}), 422)
        assert client.get(path).json()["target"] == 4
    assert (client.get(url).json(), client.get(f"/api/v1/units/{cell['id']}").json()) == before


def test_dates_and_years_lie_in_the_plausible_range(
    client: TestClient, unit: dict[str, Any]
) -> None:
    url = f"/api/v1/units/{unit['id']}"
    for far in ("9999-12-31", "1930-02-02"):
        body = assert_problem(client.patch(url, json={"valid_from": far}), 422)
        assert body["errors"][0]["loc"] == ["body", "valid_from"]
    assert client.patch(url, json={"valid_from": "1930-02-03"}).status_code == 200
    for year in (9999, 1989):
        response = client.post(
            "/api/v1/recruitment/targets", json={"unit_id": unit["id"], "year": year, "target": 1}
        )
        assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "year"]
    assert client.get("/api/v1/recruitment/targets").json()["total"] == 0


def test_enums_and_iso_dates_sent_as_json_text_are_still_taken(client: TestClient) -> None:
    response = client.post(
        "/api/v1/units",
        json={
            "code": "D-1",
            "name": "Đảng bộ",
            "kind": "commune_committee",
            "valid_from": "2025-07-01",
        },
    )
    assert response.status_code == 201, response.text
    assert response.json()["valid_from"] == "2025-07-01"


def test_text_is_stored_in_nfc_and_found_in_either_form(client: TestClient) -> None:
    name = "Đảng bộ xã Hương Sơn"
    decomposed = unicodedata.normalize("NFD", name)
    assert decomposed != name
    created = client.post(
        "/api/v1/units", json={"code": "HS-1", "name": decomposed, "kind": "commune_committee"}
    )
    assert created.status_code == 201, created.text
    assert created.json()["name"] == name
    person = client.post(
        "/api/v1/people", json={"full_name": unicodedata.normalize("NFD", "Ngô Quốc Thể")}
    )
    assert person.json()["full_name"] == "Ngô Quốc Thể"
    for query in ("Hương Sơn", unicodedata.normalize("NFD", "Hương Sơn"), "huong son"):
        found = client.get("/api/v1/units", params={"q": query}).json()
        assert [u["id"] for u in found["items"]] == [created.json()["id"]], query


def test_unit_codes_are_unique_without_regard_to_case(
    client: TestClient, unit: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/units", json={"code": "NFD-1", "name": "Khác", "kind": "commune_committee"}
    )
    assert "nfd-1" in assert_problem(response, 409)["detail"]
    other = client.post(
        "/api/v1/units", json={"code": "NFD-2", "name": "Khác", "kind": "commune_committee"}
    ).json()
    renamed = client.patch(f"/api/v1/units/{other['id']}", json={"code": "Nfd-1"})
    assert_problem(renamed, 409)
    assert client.get("/api/v1/units").json()["total"] == 2
    # The code is kept as typed, and its own unit may change its case.
    recased = client.patch(f"/api/v1/units/{unit['id']}", json={"code": "NFD-1"})
    assert recased.status_code == 200, recased.text
    assert recased.json()["code"] == "NFD-1"


@pytest.mark.parametrize(
    "name", ["\u200b\u200b", "   ", "\u00a0", "\u3164", "\u0301", "\ufeff \u2060"]
)
def test_a_name_needs_a_visible_character(client: TestClient, name: str) -> None:
    response = client.post("/api/v1/people", json={"full_name": name})
    assert assert_problem(response, 422)["errors"][0]["loc"] == ["body", "full_name"]
    assert client.get("/api/v1/people").json()["total"] == 0


def test_a_password_is_taken_as_typed(client: TestClient, anon: TestClient) -> None:
    """Sign-in compares the form's password as sent: the stored one may not be trimmed or
    normalised, or its owner could not type it."""
    password = unicodedata.normalize("NFD", " mật khẩu dài ")
    created = client.post(
        "/api/v1/users", json={"username": "typed", "full_name": "Gõ", "password": password}
    )
    assert created.status_code == 201, created.text
    token = anon.post("/api/v1/auth/token", data={"username": "typed", "password": password})
    assert token.status_code == 200, token.text
