"""Property-based tests over the whole OpenAPI document: no 5xx, responses match their schemas."""

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis import checks

from app.main import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_conforms_to_its_schema(case: schemathesis.Case, client: TestClient) -> None:
    # `client` migrates the test database, signs in as an admin and empties the database after
    # each operation's examples.
    case.call_and_validate(headers=dict(client.headers), checks=CHECKS)
