"""The audit trail: one event per write, added to the writer's own transaction."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, SQLModel, col

from app.access.scope import Scope
from app.core.middleware import request_id_var
from app.core.pagination import PageParams, paginate
from app.models import AuditEvent, Unit
from app.outbox import from_audit
from app.tree.lineage import lock_lines

# Never copied into the trail: secrets, and derived columns.
_HIDDEN = {"password_hash", "secret", "secret_hash", "search_key", "tokens_valid_from"}


def snapshot(record: SQLModel) -> dict[str, Any]:
    return record.model_dump(mode="json", exclude=_HIDDEN)


def record_event(
    session: Session,
    *,
    scope: Scope,
    action: str,
    entity: SQLModel,
    before: dict[str, Any] | None,
    unit_id: int | None,
) -> None:
    """Add the event for a change of `entity`, after flushing it so its id and version are set."""
    session.flush()
    principal = scope.principal
    event = AuditEvent(
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        actor=principal.name,
        action=action,
        entity_type=type(entity).__tablename__,  # type: ignore[arg-type]
        entity_id=entity.id,  # type: ignore[attr-defined]
        unit_id=unit_id,
        before=before,
        after=snapshot(entity) if action != "delete" else None,
        request_id=request_id_var.get(),
    )
    session.add(event)
    # Its webhook event, if the change is one (app/outbox.py): in the same transaction.
    from_audit(session, event)


# Set in `session.info` by `one_transaction`: `audited` then flushes instead of committing.
_BATCH = "audited_batch"


@contextmanager
def one_transaction(session: Session) -> Iterator[None]:
    """Many audited changes in one transaction (a bulk import): inside the block each `audited`
    change is flushed, not committed, and the caller commits or rolls back once at the end."""
    session.info[_BATCH] = True
    try:
        yield
    finally:
        session.info.pop(_BATCH, None)


class _Own(Enum):
    UNIT = "the entity's own unit"


OWN_UNIT = _Own.UNIT


def _unit_of(entity: SQLModel) -> int | None:
    if isinstance(entity, Unit):
        return entity.id
    unit_id: int | None = getattr(entity, "unit_id", None)
    return unit_id


@contextmanager
def audited(
    session: Session,
    *,
    scope: Scope,
    action: str,
    entity: SQLModel,
    lines: Iterable[int | None] = (),
    subtrees: Iterable[int] = (),
    unit_id: int | _Own | None = OWN_UNIT,
) -> Iterator[dict[str, Any] | None]:
    """One audited change of `entity`, in one transaction: the tail every write shares.

    On entry, lock the `lines` (and `subtrees`) of units the write touches, first of all (the
    lock order of app/tree/lineage.py), and snapshot the entity as it was (None for a create);
    the block checks its rules and applies the change, and gets that snapshot. On leaving,
    record the event (filed under `unit_id`: by default the entity's own unit, a unit's id or a
    record's `unit_id`) and commit. A change that left the entity as it was records nothing.
    An error in the block leaves no trace: the request's session rolls back."""
    lock_lines(session, *lines, subtrees=subtrees)
    before = None if action == "create" else snapshot(entity)
    yield before
    if before is not None and action != "delete" and snapshot(entity) == before:
        return
    record_event(
        session,
        scope=scope,
        action=action,
        entity=entity,
        before=before,
        unit_id=_unit_of(entity) if unit_id is OWN_UNIT else unit_id,
    )
    if session.info.get(_BATCH):
        session.flush()
    else:
        session.commit()


def list_events(
    session: Session,
    *,
    scope: Scope,
    params: PageParams,
    entity_type: str | None,
    entity_id: int | None,
    actor: str | None,
    since: datetime | None,
    until: datetime | None,
) -> dict[str, Any]:
    """Newest first; records outside the caller's subtrees (and user accounts) only for admins."""
    statement = select(AuditEvent).where(scope.covers(AuditEvent.unit_id))
    if entity_type:
        statement = statement.where(col(AuditEvent.entity_type) == entity_type)
    if entity_id is not None:
        statement = statement.where(col(AuditEvent.entity_id) == entity_id)
    if actor:
        statement = statement.where(col(AuditEvent.actor) == actor)
    if since:
        statement = statement.where(col(AuditEvent.at) >= since)
    if until:
        statement = statement.where(col(AuditEvent.at) < until)
    return paginate(session, statement.order_by(col(AuditEvent.id).desc()), params, plain=True)
