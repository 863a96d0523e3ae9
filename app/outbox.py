"""What goes into the outbox (`outbox_event`): events for webhooks, added to the transaction of
the change they describe, so that an event exists exactly when its change committed (no event
for a rolled-back write, none lost for a committed one). Writers only insert; the worker
(app/webhooks/worker.py) fans the events out to the subscriptions that want them."""

from typing import Any

from sqlmodel import Session

from app.models import (
    AuditEvent,
    CandidateAction,
    CommitmentAction,
    EventType,
    OutboxEvent,
)

_COMMITMENT_TRANSITIONS = frozenset(a.value for a in CommitmentAction)
_CANDIDATE_STEPS = frozenset(a.value for a in CandidateAction)


def enqueue(
    session: Session, *, type: EventType, unit_id: int | None, data: dict[str, Any]
) -> None:
    """Add an event to the caller's transaction (e.g. `import.finished` from an import: its
    `data` is the payload's `data`). Committed with it, or gone with its rollback."""
    session.add(OutboxEvent(type=type, unit_id=unit_id, data=data))


def event_type(entity_type: str, action: str) -> EventType | None:
    """The webhook event an audited change of `entity_type` by `action` is, if any."""
    if entity_type == "commitment" and action in _COMMITMENT_TRANSITIONS:
        return EventType.commitment_status_changed
    if entity_type == "progress_update" and action == "create":
        return EventType.commitment_progress_reported
    if entity_type == "candidate" and action in _CANDIDATE_STEPS:
        return EventType.candidate_step_taken
    if entity_type == "recruitment_target":  # one target or a row of an allocation
        return EventType.target_changed
    if entity_type == "evaluation":
        return EventType.evaluation_changed
    return None


def from_audit(session: Session, event: AuditEvent) -> None:
    """The webhook event of an audited change, in the same transaction as its audit event."""
    kind = event_type(event.entity_type, event.action)
    if kind is None:
        return
    enqueue(
        session,
        type=kind,
        unit_id=event.unit_id,
        data={
            "entity_type": event.entity_type,
            "entity_id": event.entity_id,
            "action": event.action,
            "unit_id": event.unit_id,
            "actor": event.actor,
            "record": event.after,
            "previous": event.before,
        },
    )
