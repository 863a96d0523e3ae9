"""Request ids, one structured log line per request, the request body size limit, and the
limit on requests in flight."""

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from time import perf_counter
from typing import Any

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.errors import overloaded_response, problem_response

# The current request's id, for the audit trail; copied into worker threads by anyio.
request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

access_log = logging.getLogger("camket.access")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def configure_access_log(level: str) -> None:
    """One line per request at INFO: `CAMKET_LOG_LEVEL=warning` silences them."""
    if not access_log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access_log.addHandler(handler)
        access_log.propagate = False
    access_log.setLevel(level.upper())


class BodyTooLargeError(HTTPException):
    # An HTTPException, so that FastAPI's body parsing lets it through as it is.
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes.")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

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
        started = perf_counter()
        status = 500
        started_response = False

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
                if received > self.max_body_bytes:
                    raise BodyTooLargeError(self.max_body_bytes)
            return message

        async def too_large() -> None:
            response = problem_response(
                Request(scope),
                status=413,
                detail=f"The request body is larger than {self.max_body_bytes} bytes.",
            )
            await response(scope, receive, send_with_id)

        try:
            length = headers.get("content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
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
                access_log.info(
                    json.dumps(
                        {
                            "method": scope["method"],
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round((perf_counter() - started) * 1000, 2),
                            "user": state.get("principal"),
                            "request_id": request_id,
                        },
                        ensure_ascii=False,
                    )
                )
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
