"""Problem details (RFC 9457) for every error the API answers."""

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.config import settings
from app.core.i18n import Language, Msg, negotiate, render, render_errors, t, validation_message

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"


class FieldProblem(BaseModel):
    loc: list[str | int] = Field(
        description="Where the problem is: `body`, `query` or `path`, then the field."
    )
    msg: str
    type: str


class Problem(BaseModel):
    """An `application/problem+json` body (RFC 9457); a kind of problem may add members of its
    own (RFC 9457 extension members), e.g. `approval` for `/problems/period-locked`."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="A URI reference naming the kind of problem.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(description="The HTTP status code.")
    detail: str | None = Field(default=None, description="What went wrong in this request.")
    instance: str | None = Field(default=None, description="The request path.")
    errors: list[FieldProblem] | None = Field(
        default=None, description="One entry per invalid field, for payload and reference errors."
    )


class AppError(Exception):
    """Base of every domain error; the handler turns it into problem+json."""

    status: int = 500
    title: Msg = t("Internal Server Error")
    type: str = "about:blank"

    headers: dict[str, str] | None = None

    def __init__(
        self,
        detail: Msg,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extensions: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(str(detail))
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.extensions = extensions


class NotFoundError(AppError):
    status = 404
    title = t("Not Found")
    type = "/problems/not-found"


class UnauthorizedError(AppError):
    status = 401
    title = t("Unauthorized")
    type = "/problems/unauthorized"

    def __init__(self, detail: Msg) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class ForbiddenError(AppError):
    status = 403
    title = t("Forbidden")
    type = "/problems/forbidden"


class PreconditionFailedError(AppError):
    status = 412
    title = t("Precondition Failed")
    type = "/problems/stale-version"


class TooManyRequestsError(AppError):
    status = 429
    title = t("Too Many Requests")
    type = "/problems/too-many-requests"

    def __init__(self, detail: Msg, *, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class ConflictError(AppError):
    """The request is well formed but breaks a rule of the domain or of the current data."""

    status = 409
    title = t("Conflict")
    type = "/problems/conflict"


class InvalidReferenceError(AppError):
    """A field of the payload names a record that does not exist."""

    status = 422
    title = t("Unknown Reference")
    type = "/problems/unknown-reference"

    def __init__(self, field: str, detail: Msg) -> None:
        super().__init__(
            detail, errors=[{"loc": ["body", field], "msg": detail, "type": "reference"}]
        )


class InvalidValueError(AppError):
    """A payload field is valid on its own but not together with the others or the stored data."""

    status = 422
    title = t("Unprocessable Content")
    type = "/problems/invalid-value"

    def __init__(
        self, field: str, detail: Msg, *, location: str = "body", path: tuple[str | int, ...] = ()
    ) -> None:
        # `path` continues the location inside the field (an item of a list, its member).
        super().__init__(
            detail, errors=[{"loc": [location, field, *path], "msg": detail, "type": "value"}]
        )


class InvalidRowsError(AppError):
    """Several rows of a bulk payload are wrong; every one is listed and nothing is written."""

    status = 422
    title = t("Invalid Rows")
    type = "/problems/invalid-rows"

    def __init__(self, detail: Msg, problems: list[tuple[tuple[str | int, ...], Msg]]) -> None:
        super().__init__(
            detail,
            errors=[{"loc": list(loc), "msg": msg, "type": "value"} for loc, msg in problems],
        )


# The titles of problems without a type of their own (about:blank): their status's phrase (RFC
# 9457, 4.2.1; RFC 9110's wording). A status missing here falls back to Python's English phrase.
STATUS_TITLES: dict[int, Msg] = {
    400: t("Bad Request"),
    401: t("Unauthorized"),
    403: t("Forbidden"),
    404: t("Not Found"),
    405: t("Method Not Allowed"),
    406: t("Not Acceptable"),
    409: t("Conflict"),
    410: t("Gone"),
    412: t("Precondition Failed"),
    413: t("Content Too Large"),
    415: t("Unsupported Media Type"),
    422: t("Unprocessable Content"),
    428: t("Precondition Required"),
    429: t("Too Many Requests"),
    500: t("Internal Server Error"),
    503: t("Service Unavailable"),
}


def request_language(request: Request) -> Language:
    """The language of the request's problem texts: its Accept-Language, else the setting."""
    return negotiate(request.headers.get("accept-language"), settings.default_language)


def problem_response(
    request: Request,
    *,
    status: int,
    title: Msg | None = None,
    type_: str = "about:blank",
    detail: Msg | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    language = request_language(request)
    title = title or STATUS_TITLES.get(status) or Msg(HTTPStatus(status).phrase)
    body = Problem(
        **(extensions or {}),
        type=type_,
        title=title.render(language),
        status=status,
        detail=render(detail, language),
        instance=request.url.path,
        errors=[FieldProblem.model_validate(e) for e in render_errors(errors, language)]
        if errors is not None
        else None,
    )
    # The texts depend on Accept-Language: say which language they are in, and tell caches.
    vary = ", ".join(v for v in ((headers or {}).get("Vary"), "Accept-Language") if v)
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={**(headers or {}), "Content-Language": language, "Vary": vary},
    )


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json bodies for these statuses."""
    return {
        status: {
            "description": HTTPStatus(status).phrase,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }


async def _app_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, AppError)
    return problem_response(
        request,
        status=exc.status,
        title=exc.title,
        type_=exc.type,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extensions=exc.extensions,
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    # Our own HTTPExceptions carry their message; the framework's carry English text, a
    # catalog entry of its own when it is more than the status phrase.
    message = getattr(exc, "message", None)
    detail: Msg | None = message if isinstance(message, Msg) else None
    if (
        detail is None
        and isinstance(exc.detail, str)
        and exc.detail != HTTPStatus(exc.status_code).phrase
    ):
        detail = Msg(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 404 and exc.detail == "Not Found":
        detail = t("No resource at {method} {path}.", method=request.method, path=request.url.path)
    if exc.status_code == 405:
        # Starlette lists only the methods of the first route matching the path; FastAPI makes
        # one route per method, so gather them all.
        allowed = sorted(_allowed_methods(request))
        headers["Allow"] = ", ".join(allowed)
        detail = t(
            "{path} accepts {allowed}, not {method}.",
            path=request.url.path,
            allowed=allowed,
            method=request.method,
        )
    return problem_response(request, status=exc.status_code, detail=detail, headers=headers)


_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> set[str]:
    def served(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)

    return {method for method in _METHODS if served(method)}


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = request_language(request)
    errors = [
        {
            "loc": jsonable_encoder(list(e.get("loc", ()))),
            "msg": validation_message(e, language),
            "type": str(e.get("type", "")),
        }
        for e in exc.errors()
    ]
    return problem_response(
        request,
        status=422,
        title=t("Unprocessable Content"),
        type_="/problems/validation",
        detail=invalid_fields(len(errors)),
        errors=errors,
    )


def invalid_fields(count: int) -> Msg:
    if count == 1:
        return t("The request has 1 invalid field.")
    return t("The request has {count} invalid fields.", count=count)


async def _integrity_error(request: Request, exc: Exception) -> JSONResponse:
    # Services check the rules first and give precise messages; this covers the races between a
    # check and the commit, which the database's constraints still catch.
    logger.info("integrity error on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        status=409,
        title=t("Conflict"),
        type_="/problems/conflict",
        detail=t("The change conflicts with existing data (a unique or reference rule)."),
    )


async def _stale_data(request: Request, exc: Exception) -> JSONResponse:
    # Another writer committed between our read and our update (the version counter moved).
    return problem_response(
        request,
        status=412,
        title=t("Precondition Failed"),
        type_="/problems/stale-version",
        detail=t("The record was changed by someone else meanwhile; read it again and retry."),
    )


async def _data_error(request: Request, exc: Exception) -> JSONResponse:
    logger.info("data error on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        request,
        status=422,
        title=t("Unprocessable Content"),
        type_="/problems/invalid-value",
        detail=t("A value is out of the range the database accepts."),
    )


def overloaded_response(request: Request) -> JSONResponse:
    """503 with Retry-After: the service is saturated, not broken."""
    return problem_response(
        request,
        status=503,
        title=t("Service Unavailable"),
        type_="/problems/overloaded",
        detail=t("The service is busy; retry shortly."),
        headers={"Retry-After": "5"},
    )


async def _overloaded(request: Request, exc: Exception) -> JSONResponse:
    # No database connection came free in time.
    logger.warning("no database connection for %s %s", request.method, request.url.path)
    return overloaded_response(request)


# SQLSTATEs after which the same request may well succeed: the connection was lost or refused
# (class 08), the server is shutting down or starting (57P01-57P03), it ran out of resources
# (class 53), or the transaction lost a serialization or deadlock race (40001, 40P01).
_RETRYABLE_SQLSTATES = ("08", "40001", "40P01", "53", "57P01", "57P02", "57P03")
# SQLite's result codes (extended ones start with these): the one writer's lock outlasted
# busy_timeout, or the file cannot be opened, read or grown. https://www.sqlite.org/rescode.html
_RETRYABLE_SQLITE = (
    "SQLITE_BUSY",
    "SQLITE_LOCKED",
    "SQLITE_CANTOPEN",
    "SQLITE_IOERR",
    "SQLITE_FULL",
)


def database_unavailable(exc: BaseException) -> bool:
    """Whether a database error says "not now" rather than "never": the database went away,
    is busy, or made this transaction lose a race. A bad statement or a broken rule is not."""
    if not isinstance(exc, DBAPIError) or isinstance(exc, IntegrityError | DataError):
        return False
    if exc.connection_invalidated:
        return True
    sqlstate = getattr(exc.orig, "sqlstate", None)
    if sqlstate is not None:
        return str(sqlstate).startswith(_RETRYABLE_SQLSTATES)
    sqlite_code = getattr(exc.orig, "sqlite_errorname", None)
    if sqlite_code is not None:
        return str(sqlite_code).startswith(_RETRYABLE_SQLITE)
    # psycopg: a connection that failed to open or broke has no SQLSTATE.
    return exc.orig.__class__.__name__ in {"OperationalError", "InterfaceError"}


def unavailable_response(request: Request, detail: Msg, retry_after: int) -> JSONResponse:
    return problem_response(
        request,
        status=503,
        title=t("Service Unavailable"),
        type_="/problems/database-unavailable",
        detail=detail,
        headers={"Retry-After": str(retry_after)},
    )


async def _database_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DBAPIError)
    if not database_unavailable(exc):
        return await _unexpected_error(request, exc)
    # Expected while the database restarts or fails over, and said by the 503 itself: one line,
    # no traceback.
    logger.warning(
        "database unavailable on %s %s: %s",
        request.method,
        request.url.path,
        str(exc.orig).strip().splitlines()[0] if str(exc.orig).strip() else type(exc.orig),
    )
    if str(getattr(exc.orig, "sqlstate", "")).startswith("40"):
        return unavailable_response(
            request, t("The change collided with a concurrent one; retry it."), retry_after=1
        )
    return unavailable_response(
        request, t("The database is unavailable at the moment; retry shortly."), retry_after=5
    )


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(request, status=500, detail=t("An unexpected error occurred."))


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, _app_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(IntegrityError, _integrity_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(StaleDataError, _stale_data)
    # Handlers are chosen by the most specific class: integrity and data errors keep theirs.
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _overloaded)
    app.add_exception_handler(Exception, _unexpected_error)
