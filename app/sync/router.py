from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.access.deps import ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import MAX_LIMIT
from app.sync import service

router = APIRouter(prefix="/changes", tags=["sync"], responses=problem_responses(401, 410))


class Change(BaseModel):
    position: int = Field(description="The change's place in the feed (the audit event's id).")
    at: datetime
    action: str = Field(description="`create`, `update`, `delete`, `close`, … as audited.")
    entity_type: str = Field(description="The kind of record, e.g. `commitment`.")
    entity_id: int
    unit_id: int | None
    href: str | None = Field(
        description="Where the record is read now: 200 with it, or 404 when it was deleted or "
        "left the caller's scope (the mirror drops it)."
    )


class Changes(BaseModel):
    items: list[Change]
    next: str = Field(description="Pass as `since` next time (a token of digits).")
    more: bool = Field(description="True when more changes follow at once: ask again.")
    scope: str = Field(
        description="A fingerprint of the part of the tree the caller reads. When it differs "
        "from the one seen before, records may have left or entered the scope without a "
        "change of their own (a move, a reorganisation's day): list everything again."
    )


@router.get("", response_model=Changes, summary="Changes since a position")
def list_changes(
    session: SessionDep,
    scope: ScopeDep,
    since: Annotated[
        str | None,
        Query(
            # Text, not an integer: positions are 64-bit (the API's integer parameters are
            # 32-bit), and a token may change form.
            pattern=r"^[0-9]{1,18}$",
            description="The `next` of the previous answer (a token of digits); omitted, the "
            "answer holds only the current position, to start from after listing everything.",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="At most this many.")] = 500,
) -> Any:
    """Records created, changed or deleted after `since`, oldest first, among those the caller
    reads (or read before they moved away), each once per change. A client mirrors its scope:
    list everything once (by cursor), then follow this feed, reading each `href` again."""
    position = int(since) if since is not None else None
    return service.changes(session, scope=scope, since=position, limit=limit)
