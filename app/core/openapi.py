"""The OpenAPI document, made for client generators: short operation ids, the response headers
the API sends, the public operations marked as such.

FastAPI derives paths, parameters and bodies from the routes; what the routes cannot say is
added here by rule, in one place, so that a new route is covered without declaring anything:

- operation ids: `<the path's words>_<verb>`, e.g. `units_list`, `units_get`, `units_create`,
  `units_close`, `reports_recruitment` (`operation_id`);
- `X-Request-ID` on every response; `ETag` on the success of an operation answering one
  record (`app.core.etag.with_etag` sends it); `Location` on a 201;
  `Idempotent-Replayed` on the success of an operation taking an `Idempotency-Key`;
  `Retry-After` on 429 and on problem 503s (and on an idempotent operation's 409, which sends it
  while a twin request is running);
- `security: []` on the operations that take no credentials (sign-in, health probes).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.core.config import settings
from app.core.errors import PROBLEM_MEDIA_TYPE, Problem

API_PREFIX = "/api/v1"
Schemas = dict[str, dict[str, Any]]

# The verb of an operation on a record (its path ends with the record's id).
_RECORD_VERBS = {"get": "get", "patch": "update", "put": "replace", "delete": "delete"}
# Where the rule would give two operations the same id: GET /recruitment/allocations reads a
# parent's allocation, POST sets it (a create would answer 201).
_NAMED = {("post", f"{API_PREFIX}/recruitment/allocations"): "recruitment_allocations_set"}


def route_name(route: APIRoute) -> str:
    """FastAPI's own id of a route, which names its form body's schema (`Body_sign_in`): the
    route's name, unique as `url_for` needs it. FastAPI asks for it before the route knows its
    response, which `operation_id` reads from the document instead."""
    return route.name


def operation_id(method: str, path: str, operation: dict[str, Any], schemas: Schemas) -> str:
    """`<words>_<verb>`: the path's words without its parameters, then `get`, `update`,
    `replace` or `delete` on a record, `list` for a list or page of records, `create` for a
    201. Other operations are named by their words alone: a named read (`reports_recruitment`,
    `auth_me`) or an action on a record (`units_close`, `evaluations_proposal`)."""
    named = _NAMED.get((method, path))
    if named is not None:
        return named
    segments = path.removeprefix(API_PREFIX).strip("/").split("/")
    words = [s.replace("-", "_") for s in segments if not s.startswith("{")]
    verb: str | None = None
    if segments[-1].startswith("{"):
        verb = _RECORD_VERBS.get(method)
    elif method == "get" and _is_list(_json_schema(operation["responses"].get("200"), schemas)):
        verb = "list"
    elif method == "post" and "201" in operation["responses"]:
        verb = "create"
    return "_".join([*words, verb] if verb else words)


def _json_schema(response: dict[str, Any] | None, schemas: Schemas) -> dict[str, Any]:
    """The JSON body's schema of a response, its reference resolved; empty if it has none."""
    schema: dict[str, Any] = (
        (response or {}).get("content", {}).get("application/json", {}).get("schema", {})
    )
    reference = schema.get("$ref", "")
    return schemas.get(reference.rsplit("/", 1)[-1], {}) if reference else schema


def _is_list(schema: dict[str, Any]) -> bool:
    """A page of records (`{items, total, limit, offset, next_cursor}`) or a plain array."""
    page = {"items", "total", "limit", "offset"} <= set(schema.get("properties", {}))
    return page or schema.get("type") == "array"


def _is_record(schema: dict[str, Any]) -> bool:
    """One record, with its id: `app.core.etag.with_etag` sends its version as ETag (the few
    derived views with an id, e.g. a unit's tree, do not)."""
    return "id" in schema.get("properties", {})


HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-ID": {
        "description": "The request's id, as in the access log: the client's own `X-Request-ID` "
        "when it is 1 to 128 of `A-Za-z0-9._:-`, a new one otherwise.",
        "required": True,
        "schema": {"type": "string", "pattern": "^[A-Za-z0-9._:-]{1,128}$"},
    },
    "ETag": {
        "description": "The record's version; send it back as `If-Match` to change the record.",
        "schema": {"type": "string", "pattern": '^"[0-9]+"$'},
    },
    "Location": {
        "description": "The URL of the record created.",
        "required": True,
        "schema": {"type": "string", "format": "uri"},
    },
    "Idempotent-Replayed": {
        "description": "`true` when this is the stored answer to an earlier request with the "
        "same `Idempotency-Key`, not a new change.",
        "schema": {"type": "string", "enum": ["true"]},
    },
    "Retry-After": {
        "description": "Seconds to wait before retrying.",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _declare_headers(operation: dict[str, Any], schemas: Schemas) -> None:
    parameters = operation.get("parameters", [])
    idempotent = any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in parameters)
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers["X-Request-ID"] = _header("X-Request-ID")
        problem = PROBLEM_MEDIA_TYPE in response.get("content", {})
        if status == "429" or (status == "503" and problem) or (status == "409" and idempotent):
            headers["Retry-After"] = _header("Retry-After")
        if not status.startswith("2"):
            continue
        if _is_record(_json_schema(response, schemas)):
            headers["ETag"] = _header("ETag")
        if status == "201":
            headers["Location"] = _header("Location")
        if idempotent:
            headers["Idempotent-Replayed"] = _header("Idempotent-Replayed")


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
        servers=[{"url": settings.public_url, "description": "This service."}],
        license_info={"name": "MIT", "identifier": "MIT"},  # as pyproject.toml states
    )
    components = document.setdefault("components", {})
    problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas = components.setdefault("schemas", {})
    schemas.update(problem.pop("$defs", {}))
    schemas["Problem"] = problem
    components["headers"] = HEADERS
    for path, item in document["paths"].items():
        for method, operation in item.items():
            operation["operationId"] = operation_id(method, path, operation, schemas)
            _declare_headers(operation, schemas)
            # Operations that read no credentials are open to anyone: say so, rather than
            # leave a client to guess from a missing `security`.
            operation.setdefault("security", [])
    return document
