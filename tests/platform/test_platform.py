"""Cross-cutting behaviour: problem+json everywhere, probes, offline docs, the OpenAPI document."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from app import health
from tests.factories import assert_problem


def test_unknown_route_is_a_problem(client: TestClient) -> None:
    body = assert_problem(client.get("/api/v1/no-such-thing"), 404)
    assert body["instance"] == "/api/v1/no-such-thing"


def test_wrong_method_is_a_405_problem(client: TestClient) -> None:
    response = client.put("/api/v1/units")
    assert_problem(response, 405)
    assert response.headers["allow"] == "GET, POST"


def test_validation_problem_lists_every_field(client: TestClient) -> None:
    body = assert_problem(client.post("/api/v1/units", json={"code": "", "kind": "x"}), 422)
    assert {tuple(e["loc"]) for e in body["errors"]} == {
        ("body", "code"),
        ("body", "name"),
        ("body", "kind"),
    }
    assert body["detail"] == "The request has 3 invalid fields."


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok", "database": "ok", "schema": "ok"}


def test_readiness_is_503_when_the_database_is_unreachable(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    class DownEngine:
        def connect(self) -> None:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(health, "engine", DownEngine())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
    assert client.get("/healthz").status_code == 200


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_work_offline(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200
    html = response.text
    assert not re.search(r"https?://", html), "the docs page must not load anything from outside"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(
        r"""url:\s*['"]([^'"]+)['"]""", html
    )
    assert any(a.endswith(".js") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset


def test_openapi_documents_every_operation(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "Problem" in schema["components"]["schemas"]
    tags = {t["name"] for t in schema["tags"]}
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            where = f"{method.upper()} {path}"
            assert operation.get("summary"), where
            assert operation.get("description"), where
            assert operation.get("tags"), where
            assert set(operation["tags"]) <= tags, where
            if path.startswith("/api/v1"):
                problem = operation["responses"]["422"]["content"]["application/problem+json"]
                assert problem["schema"]["$ref"] == "#/components/schemas/Problem", where
            if "{" in path and path.startswith("/api/v1"):
                assert "404" in operation["responses"], where


def test_openapi_examples_come_from_the_seed(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert schemas["DirectiveCreate"]["examples"][0]["code"] == "05-CT/TW"
    assert schemas["UnitCreate"]["examples"][0]["name"] == "Đảng bộ xã Hương Sơn"
