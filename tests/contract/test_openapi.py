"""What the OpenAPI document promises about ids, headers and the order of the checks."""

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.reports.export import MEDIA_TYPES
from tests.factories import assert_problem, make_directive, make_unit

UNITS = "/api/v1/units"
WRITES = {"post", "patch", "put", "delete"}


@pytest.fixture(scope="module")
def document(app: Any) -> dict[str, Any]:
    return app.openapi()  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]


def header(operation: dict[str, Any], name: str) -> dict[str, Any] | None:
    found = [p for p in operation.get("parameters", []) if p["in"] == "header"]
    return next((p for p in found if p["name"] == name), None)


def test_if_match_only_where_a_write_checks_it(document: dict[str, Any]) -> None:
    checked = set()
    for path, method, operation in operations(document):
        if_match = header(operation, "If-Match")
        if method not in WRITES:
            assert if_match is None, (method, path)
            assert "412" not in operation["responses"], (method, path)
        elif if_match is not None:
            assert "412" in operation["responses"], (method, path)
            checked.add((method, path))
    # Every write to a record named in the path checks its version (grants and creates of
    # other records aside).
    for path, method, _operation in operations(document):
        if method in {"patch", "delete"} and path.endswith("_id}"):
            assert (method, path) in checked or "grants" in path, (method, path)


def test_idempotency_key_format_is_declared(document: dict[str, Any]) -> None:
    posts = [op for _p, method, op in operations(document) if method == "post"]
    declared = [header(op, "Idempotency-Key") for op in posts]
    keys = [h for h in declared if h is not None]
    assert len(keys) > 10
    for key in keys:
        assert key["schema"]["anyOf"][0] == {
            "type": "string",
            "minLength": 1,
            "maxLength": 255,
            "pattern": "^[\\x21-\\x7e]+$",
        }


def test_integer_parameters_are_bounded(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            schema = parameter["schema"]
            schema = next((s for s in schema.get("anyOf", [schema]) if s.get("type")), schema)
            if schema.get("type") == "integer":
                assert "minimum" in schema, (method, path, parameter)
                assert schema["maximum"] <= 2**31 - 1, (method, path, parameter)


def test_a_bad_idempotency_key_is_422(client: TestClient) -> None:
    body = {"code": "IDEM", "name": "Chi bộ", "kind": "party_cell"}
    for bad in ("with space", "", "x" * 256):
        response = client.post(UNITS, json=body, headers={"Idempotency-Key": bad})
        assert_problem(response, 422)
    assert client.get(UNITS).json()["total"] == 0


def test_validation_comes_before_if_match(client: TestClient) -> None:
    unit = make_unit(client)
    path = f"{UNITS}/{unit['id']}"
    stale = {"If-Match": '"9"'}
    body = assert_problem(client.patch(path, json={"name": ""}, headers=stale), 422)
    assert body["errors"][0]["loc"][0] == "body"
    assert_problem(client.post(f"{path}/close", json={"valid_to": "x"}, headers=stale), 422)
    directive = make_directive(client)
    # A valid request is still stopped by a stale version, before anything changes.
    assert_problem(client.patch(path, json={"name": "Tên mới"}, headers=stale), 412)
    assert client.get(path).json()["name"] == unit["name"]
    assert_problem(client.delete(f"/api/v1/directives/{directive['id']}", headers=stale), 412)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/commitments/workflow",
        "/api/v1/recruitment/candidates/workflow",
        "/api/v1/evaluations/caps",
        "/api/v1/evaluations/suggestion",
    ],
)
@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
def test_fixed_paths_are_not_taken_for_ids(client: TestClient, path: str, method: str) -> None:
    response = client.request(method, path)
    assert_problem(response, 405)
    allowed = set(response.headers["allow"].split(", "))
    assert method not in allowed
    assert "GET" in allowed


@pytest.mark.parametrize(
    "query", ["as_of=0", "as_of=20240101", "as_of=1.5", "as_of=2024-1-1", "as_of=2024-01-01T00:00"]
)
def test_a_date_parameter_is_iso_text(client: TestClient, query: str) -> None:
    assert_problem(client.get(f"{UNITS}?{query}"), 422)
    assert_problem(client.get(f"/api/v1/positions?{query}"), 422)


def test_an_iso_date_parameter_is_accepted(client: TestClient) -> None:
    assert client.get(f"{UNITS}?as_of=2024-01-31").status_code == 200
    assert_problem(client.get(f"{UNITS}?as_of=2024-02-31"), 422)


@pytest.mark.parametrize("value", ["0", "0.5", "1700000000", "2024-01-01"])
def test_a_time_parameter_is_iso_text_with_its_offset(client: TestClient, value: str) -> None:
    assert_problem(client.get(f"/api/v1/audit-events?until={value}"), 422)


def test_an_iso_time_parameter_is_accepted(client: TestClient) -> None:
    response = client.get("/api/v1/audit-events", params={"since": "2024-01-01T00:00:00+07:00"})
    assert response.status_code == 200, response.text


def test_an_integral_number_is_an_integer(client: TestClient) -> None:
    # JSON Schema's integer includes 3.0, and so does the document; text and booleans do not.
    parent = make_unit(client)
    body = {"code": "FLOAT-1", "name": "Chi bộ", "kind": "party_cell"}
    created = client.post(UNITS, json=body | {"parent_id": float(parent["id"])})
    assert created.status_code == 201, created.text
    assert created.json()["parent_id"] == parent["id"]
    for wrong in (str(parent["id"]), True, parent["id"] + 0.5):
        assert_problem(client.post(UNITS, json=body | {"parent_id": wrong}), 422)


def test_sign_in_states_that_its_fields_are_not_empty(document: dict[str, Any]) -> None:
    form = document["paths"]["/api/v1/auth/token"]["post"]["requestBody"]["content"]
    reference = form["application/x-www-form-urlencoded"]["schema"]["$ref"].rsplit("/", 1)[1]
    fields = document["components"]["schemas"][reference]["properties"]
    assert fields["username"]["minLength"] == 1
    assert fields["password"]["minLength"] == 1


OPERATION_ID = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")


def test_operation_ids_are_short_unique_and_stable(document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _path, _method, operation in operations(document)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for operation_id in ids:
        assert OPERATION_ID.match(operation_id), operation_id
        assert len(operation_id) <= 40, operation_id
    # What generated clients are named after (modules, functions): changing one breaks them.
    expected = {
        ("get", "/healthz"): "healthz",
        ("post", "/api/v1/auth/token"): "auth_token",
        ("get", UNITS): "units_list",
        ("post", UNITS): "units_create",
        ("get", UNITS + "/{unit_id}"): "units_get",
        ("patch", UNITS + "/{unit_id}"): "units_update",
        ("post", UNITS + "/{unit_id}/close"): "units_close",
        ("delete", "/api/v1/directives/{directive_id}"): "directives_delete",
        ("get", "/api/v1/reports/recruitment"): "reports_recruitment",
        ("get", "/api/v1/recruitment/allocations"): "recruitment_allocations",
        ("post", "/api/v1/recruitment/allocations"): "recruitment_allocations_set",
        ("get", "/api/v1/evaluation-caps"): "evaluation_caps_list",
    }
    for (method, path), operation_id in expected.items():
        assert document["paths"][path][method]["operationId"] == operation_id


def response_headers(document: dict[str, Any], method: str, path: str, status: str) -> set[str]:
    return set(document["paths"][path][method]["responses"][status].get("headers", {}))


def test_response_headers_are_declared(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            assert "X-Request-ID" in response["headers"], (method, path, status)
            if status in {"429", "503"} and "application/problem+json" in response.get(
                "content", {}
            ):
                assert "Retry-After" in response["headers"], (method, path, status)
    created = response_headers(document, "post", UNITS, "201")
    assert {"Location", "ETag", "Idempotent-Replayed"} <= created
    assert "ETag" in response_headers(document, "get", UNITS + "/{unit_id}", "200")
    assert "ETag" not in response_headers(document, "get", UNITS, "200")
    assert "Retry-After" in response_headers(document, "post", "/api/v1/auth/token", "429")
    headers = document["components"]["headers"]
    assert headers["X-Request-ID"]["required"] is True
    assert headers["Location"]["required"] is True


def test_only_sign_in_and_probes_are_public(document: dict[str, Any]) -> None:
    public = {(m, p) for p, m, op in operations(document) if op["security"] == []}
    assert public == {("get", "/healthz"), ("get", "/readyz"), ("post", "/api/v1/auth/token")}
    assert document["servers"] == [{"url": "/", "description": "This service."}]
    assert document["info"]["license"]["identifier"] == "MIT"


def test_exports_are_declared_as_their_own_media_types(document: dict[str, Any]) -> None:
    exporting = [
        ("/api/v1/reports/recruitment", "reports_recruitment"),
        ("/api/v1/reports/commitments", "reports_commitments"),
        ("/api/v1/units/{unit_id}/scorecard", "units_scorecard"),
        ("/api/v1/approvals/completeness", "approvals_completeness"),
    ]
    for path, _operation_id in exporting:
        content = document["paths"][path]["get"]["responses"]["200"]["content"]
        assert "application/json" in content
        for media_type in MEDIA_TYPES.values():
            binary = content[media_type.split(";")[0]]["schema"]
            assert binary == {"type": "string", "format": "binary"}


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/api/v1/evaluations/caps", "/api/v1/evaluation-caps"),
        ("/api/v1/evaluations/criteria-sets", "/api/v1/criteria-sets"),
        ("/api/v1/approvals/exceptions", "/api/v1/lock-exceptions"),
    ],
)
def test_moved_collections_answer_at_both_paths(
    client: TestClient, document: dict[str, Any], old: str, new: str
) -> None:
    assert new in document["paths"]
    assert not any(path.startswith(old) for path in document["paths"])
    assert client.get(old).json() == client.get(new).json()
