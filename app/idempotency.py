"""`Idempotency-Key` on POST: the same key and body within the retention replays the first answer.

The middleware hashes the request and, once the endpoint has run, stores a successful answer; the
dependency claims the key in the endpoint's own transaction, so the claim and the records the
endpoint creates commit or roll back together. A concurrent twin waits on the key's unique index
and is told to retry; a failed request leaves no claim, so a retry runs anew.
"""

import hashlib
import logging
from datetime import timedelta
from typing import Annotated, Any

from anyio import to_thread
from fastapi import Depends, Header, Request
from fastapi.responses import Response
from sqlalchemy import delete, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.access.deps import CurrentPrincipal
from app.core.config import settings
from app.core.db import SessionDep, engine
from app.core.errors import AppError, ConflictError, database_unavailable
from app.core.i18n import t
from app.core.middleware import read_whole_body
from app.models import IdempotencyRecord, utcnow

logger = logging.getLogger(__name__)

HEADER = "idempotency-key"
_REPLAYED_HEADERS = ("content-type", "location", "etag")


class IdempotencyKeyReusedError(AppError):
    status = 422
    title = t("Idempotency Key Reused")
    type = "/problems/idempotency-key-reused"


class ReplayError(Exception):
    """Raised to answer with the stored response instead of running the endpoint again."""

    def __init__(self, record: IdempotencyRecord) -> None:
        super().__init__("replay")
        self.record = record


async def replay_response(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ReplayError)
    record = exc.record
    headers = {**(record.response_headers or {}), "Idempotent-Replayed": "true"}
    media_type = headers.pop("content-type", None)
    return Response(
        content=record.response_body or b"",
        status_code=record.status_code or 200,
        headers=headers,
        media_type=media_type,
    )


def claim_idempotency_key(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=255,
            # Visible ASCII: the key is compared byte for byte and stored as it came.
            pattern=r"^[\x21-\x7e]+$",
            description="Retry-safe creates: the same key and body within 24 h replays the first "
            "answer; another body with the same key answers 422.",
        ),
    ] = None,
) -> None:
    request_hash = request.scope.get("state", {}).get("idempotency_hash")
    if request.method != "POST" or key is None or request_hash is None:
        return
    expired = utcnow() - timedelta(hours=settings.idempotency_hours)
    session.execute(delete(IdempotencyRecord).where(col(IdempotencyRecord.created_at) < expired))
    existing = session.exec(
        select(IdempotencyRecord).where(
            IdempotencyRecord.principal == principal.key, IdempotencyRecord.key == key
        )
    ).first()
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReusedError(
                t("This Idempotency-Key was used for another request; use a new key.")
            )
        if existing.status_code is None:
            raise ConflictError(
                t("A request with this Idempotency-Key is still being processed; retry shortly."),
                headers={"Retry-After": "1"},
            )
        raise ReplayError(existing)
    record = IdempotencyRecord(
        principal=principal.key,
        key=key,
        method=request.method,
        path=request.url.path,
        request_hash=request_hash,
    )
    session.add(record)
    try:
        session.flush()  # a concurrent twin blocks here until we commit, then fails
    except IntegrityError as error:
        raise ConflictError(
            t("A request with this Idempotency-Key is being processed; retry shortly."),
            headers={"Retry-After": "1"},
        ) from error
    request.state.idempotency_record_id = record.id


def _store(record_id: int, status: int, headers: dict[str, str], body: bytes) -> None:
    with Session(engine) as session:
        session.execute(
            update(IdempotencyRecord)
            .where(col(IdempotencyRecord.id) == record_id)
            .values(status_code=status, response_headers=headers, response_body=body.decode())
        )
        session.commit()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or HEADER not in Headers(scope=scope)
        ):
            await self.app(scope, receive, send)
            return
        body, replay_body = await read_whole_body(receive)
        state: dict[str, Any] = scope.setdefault("state", {})
        state["idempotency_hash"] = hashlib.sha256(
            scope["method"].encode() + b" " + scope["path"].encode() + b"\n" + body
        ).hexdigest()

        status = 0
        headers: dict[str, str] = {}
        response_body: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                raw = Headers(raw=message["headers"])
                headers.update({k: raw[k] for k in _REPLAYED_HEADERS if k in raw})
            elif message["type"] == "http.response.body":
                response_body.append(message.get("body", b""))
            await send(message)

        await self.app(scope, replay_body, capture)
        record_id = state.get("idempotency_record_id")
        if record_id is not None and 200 <= status < 300:
            try:
                await to_thread.run_sync(
                    _store, record_id, status, headers, b"".join(response_body)
                )
            except DBAPIError as error:
                if not database_unavailable(error):
                    raise
                # The answer is sent already and the change committed: a retry with this key
                # is told to wait (409) until the claim expires, and never runs twice.
                logger.warning("idempotent answer not stored for %s: %s", scope["path"], error.orig)


# Add to the `dependencies` of every POST operation that creates or changes something.
IDEMPOTENT = Depends(claim_idempotency_key)
