"""Request ids, one structured log line per request, the request body size limit, the
limit on requests in flight, and JSON bodies that name a key twice."""

import json
import logging
import re
import uuid
from time import perf_counter
from typing import Any

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import invalid_fields, overloaded_response, problem_response
from app.core.i18n import Msg, t
from app.core.logs import request_id_var, request_state_var

__all__ = ["request_id_var"]  # the audit trail reads it from here

# One line per request at INFO, in the JSON format of app/core/logs.py:
# `CAMKET_LOG_LEVEL=warning` silences them.
access_log = logging.getLogger("camket.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class BodyTooLargeError(HTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through as it is.
    def __init__(self, limit: int) -> None:
        self.message = body_too_large(limit)
        super().__init__(413, str(self.message))


def body_too_large(limit: int) -> Msg:
    return t("The request body is larger than {limit} bytes.", limit=limit)


class RequestContextMiddleware:
    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, larger: tuple[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        # (path, limit): one endpoint that takes larger bodies (the bulk import's files).
        self.larger = larger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        incoming = headers.get("x-request-id", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["request_id"] = request_id
        state_token = request_state_var.set(state)
        started = perf_counter()
        status = 500
        started_response = False
        limit = self.max_body_bytes
        if self.larger is not None and scope["path"] == self.larger[0]:
            limit = self.larger[1]

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", request_id)
            await send(message)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        async def too_large() -> None:
            response = problem_response(
                Request(scope),
                status=413,
                detail=body_too_large(limit),
            )
            await response(scope, receive, send_with_id)

        try:
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > limit):
                await too_large()
            else:
                await self.app(scope, limited_receive, send_with_id)
        except BodyTooLargeError:
            # Raised while a middleware (not an endpoint) read the body: no handler saw it.
            if started_response:
                raise
            await too_large()
        finally:
            if access_log.isEnabledFor(logging.INFO):  # the line is built only to be written
                # The user and request id are added by the log filter (app/core/logs.py).
                access_log.info(
                    "%s %s %s",
                    scope["method"],
                    scope["path"],
                    status,
                    extra={
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "duration_ms": round((perf_counter() - started) * 1000, 2),
                    },
                )
            request_state_var.reset(state_token)
            request_id_var.reset(token)


class InFlightLimitMiddleware:
    """At most `limit` API requests are handled at once; the others wait here, holding nothing.

    A sync endpoint hops between worker threads (each dependency, then the endpoint) while its
    database session is open. With more requests in flight than pooled connections, those
    waiting for a thread hold connections that those holding a thread need: under 64 clients
    they timed out as errors. A request that waits longer than `wait_seconds` answers 503 with
    Retry-After. Health probes are never queued.
    """

    def __init__(self, app: ASGIApp, *, limit: int, wait_seconds: float) -> None:
        self.app = app
        self.limit = limit
        self.wait_seconds = wait_seconds
        self.slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return
        if self.slots is None:  # created in the event loop that serves the requests
            self.slots = anyio.Semaphore(self.limit)
        admitted = False
        with anyio.move_on_after(self.wait_seconds):
            await self.slots.acquire()
            admitted = True
        if admitted:
            try:
                await self.app(scope, receive, send)
            finally:
                self.slots.release()
            return
        await overloaded_response(Request(scope))(scope, receive, send)


class _Duplicated(dict[str, Any]):
    """A JSON object that named a key twice (the first such key is kept)."""

    duplicate: str


def _duplicate_path(value: Any) -> list[str | int] | None:
    """Where the first duplicated key is, as a validation error's location."""
    if isinstance(value, _Duplicated):
        return [value.duplicate]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, item in items:
        path = _duplicate_path(item)
        if path is not None:
            return [key, *path]
    return None


def _find_duplicate(body: bytes) -> list[str | int] | None:
    """The location of the first key a JSON body names twice in one object, if any."""
    duplicated = False

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal duplicated
        result = dict(pairs)
        if len(result) == len(pairs):
            return result
        duplicated = True
        keys = [key for key, _ in pairs]
        marked = _Duplicated(result)
        marked.duplicate = next(key for i, key in enumerate(keys) if key in keys[:i])
        return marked

    try:
        value = json.loads(body, object_pairs_hook=pairs_hook)
    except ValueError:  # not JSON (or not UTF-8): FastAPI answers it
        return None
    return _duplicate_path(value) if duplicated else None


def _is_json(content_type: str) -> bool:
    media_type = content_type.partition(";")[0].strip().lower()
    main, _, sub = media_type.partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


async def read_whole_body(receive: Receive) -> tuple[bytes, Receive]:
    """The request body, read whole by a middleware that must see it before the app, and a
    `receive` that hands the same body to the app (then passes on what follows, a disconnect)."""
    chunks = []
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    body = b"".join(chunks)
    replayed = False

    async def replay_body() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return body, replay_body


class DuplicateKeysMiddleware:
    """Refuses a JSON body that names a key twice (`{"name": "a", "name": "b"}`).

    Python's parser, which FastAPI uses, keeps the last value: a client could believe it set
    what was silently overwritten. Checked here, before routing, like the body's size; a body
    that is not JSON goes on to FastAPI, which answers its own 422.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("POST", "PUT", "PATCH")
            or not _is_json(Headers(scope=scope).get("content-type", ""))
        ):
            await self.app(scope, receive, send)
            return
        body, replay_body = await read_whole_body(receive)
        path = _find_duplicate(body)
        if path is not None:
            await _duplicate_key_response(scope, path)(scope, receive, send)
            return

        await self.app(scope, replay_body, send)


def _duplicate_key_response(scope: Scope, path: list[str | int]) -> JSONResponse:
    message = t("The key {key!r} appears more than once in its JSON object.", key=path[-1])
    return problem_response(
        Request(scope),
        status=422,
        title=t("Unprocessable Content"),
        type_="/problems/validation",
        detail=invalid_fields(1),
        errors=[{"loc": ["body", *path], "msg": message, "type": "duplicate_key"}],
    )
