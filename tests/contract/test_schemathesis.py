"""Property-based tests over the whole OpenAPI document, with every check schemathesis has.

Each operation on its own (`schema.parametrize()`), then the stateful phase: sequences of calls
chained through the links schemathesis infers from the document (a created record's id feeds
the operations that take it). Both run every built-in check, as `schemathesis run --checks all`
does; `schemathesis.toml` at the project's root holds the few settings that fit this API, with
the reasons, and the command line reads the same file.

Bounded so that the suite stays lean: about a minute per database on two shared cores.
"""

import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.generation.stateful.state_machine import APIStateMachine

from app.main import create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


BEYOND_THE_SCHEMA = {"value_error", "string_too_short"}


@schemathesis.check
def rejects_valid_data_only_for_rules_beyond_the_schema(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """`schemathesis.toml` lets a schema-valid request answer 422, for the rules JSON Schema
    cannot state. Those come from the API's own checks (a problem of another type), from a
    validator of the payload (`value_error`), or from text that is too short once trimmed of
    invisible characters (a name of one no-break space). Any other reason of pydantic's (a type,
    a pattern, a missing or unknown field) means the document promised what the API refuses."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return None
    if response.status_code != 422:
        return None
    problem = response.json()
    if problem.get("type") != "/problems/validation":
        return None
    unstated = [e for e in problem.get("errors", []) if e.get("type") not in BEYOND_THE_SCHEMA]
    assert not unstated, f"a schema-valid request was refused for {unstated}"
    return None


# Headers the API sends on some answers only; each must be declared where it is sent.
OCCASIONAL_HEADERS = (
    "ETag",
    "Location",
    "Idempotent-Replayed",
    "Retry-After",
    "Content-Disposition",
    "X-Request-ID",
)


@schemathesis.check
def sends_only_declared_headers(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case
) -> bool | None:
    """The built-in `response_headers_conformance` checks that the headers a response declares
    as required are sent; this checks the converse: what is sent is declared."""
    declared = case.operation.definition.raw["responses"].get(str(response.status_code))
    if declared is None:
        return None  # an undeclared status is `status_code_conformance`'s to report
    sent = {name.lower() for name in response.headers}
    undeclared = [
        name
        for name in OCCASIONAL_HEADERS
        if name.lower() in sent and name not in declared.get("headers", {})
    ]
    assert not undeclared, f"{response.status_code} sends undeclared headers {undeclared}"
    return None


SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@settings(SETTINGS, max_examples=8)
def test_each_operation_conforms(case: schemathesis.Case, client: TestClient) -> None:
    # `client` migrates the test database, signs in as an admin and empties the database after
    # each operation's examples.
    case.call_and_validate(headers=dict(client.headers))


def test_sequences_of_operations_conform(client: TestClient) -> None:
    headers = dict(client.headers)

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, object]:
            return {"headers": headers}

    assert issubclass(Workflow, APIStateMachine)
    Workflow.run(settings=settings(SETTINGS, max_examples=20, stateful_step_count=6))
