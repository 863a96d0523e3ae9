"""The changes feed: which records changed after a position, for a client mirroring its scope.

Derived from the audit trail (app/audit): every write, deletes included, already records one
event with the entity's type, id and unit in the writer's transaction, so the feed needs no
second log and can never disagree with it. The position is the event's id (DESIGN.md, "Sync").
"""

import hashlib
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import READ_ROLES, Scope
from app.core.errors import AppError
from app.core.i18n import t
from app.models import AuditEvent, UnitClosure
from app.tree.closure import valid_on

# Where a client reads each kind of record again; kinds not listed have no record of their own
# to read (their change shows in the record that holds them).
HREFS = {
    "unit": "/api/v1/units/{}",
    "reorganisation": "/api/v1/reorganisations/{}",
    "directive": "/api/v1/directives/{}",
    "person": "/api/v1/people/{}",
    "position": "/api/v1/positions/{}",
    "area_of_charge": "/api/v1/areas-of-charge/{}",
    "commitment": "/api/v1/commitments/{}",
    "recruitment_target": "/api/v1/recruitment/targets/{}",
    "candidate": "/api/v1/recruitment/candidates/{}",
    "recruitment_outcome": "/api/v1/recruitment/outcomes/{}",
    "criteria_set": "/api/v1/criteria-sets/{}",
    "excellence_cap": "/api/v1/evaluation-caps/{}",
    "evaluation": "/api/v1/evaluations/{}",
    "discipline": "/api/v1/disciplines/{}",
    "lock_exception": "/api/v1/lock-exceptions/{}",
    "approval": "/api/v1/approvals/{}",
    "app_user": "/api/v1/users/{}",
    "api_key": "/api/v1/api-keys/{}",
}
# Records shared by the whole tree (no unit): every signed-in caller reads them.
SHARED = ("directive", "person", "criteria_set")


class PositionAheadError(AppError):
    status = 410
    title = t("Gone")
    type = "/problems/sync-position-unknown"


def high_water(session: Session) -> int:
    """The highest position below which every event is final: committed or rolled back.

    Positions are taken when an event is inserted and become visible when its transaction
    commits, which is not in the same order on PostgreSQL: a writer holding position 100 may
    commit after one holding 101. A reader who moved past 101 would never see 100. So the feed
    answers only up to a position no running transaction can still fill: on PostgreSQL, after
    `LOCK TABLE audit_event IN SHARE MODE`, which waits for every transaction that inserted
    events (they hold ROW EXCLUSIVE until they end) and keeps new ones out while the maximum
    is read; the lock is released at once. Writers insert their event just before they commit,
    so the wait is short. SQLite has one writer at a time: ids are taken in commit order.
    """
    maximum = select(sa.func.coalesce(sa.func.max(col(AuditEvent.id)), 0))
    if session.get_bind().dialect.name != "postgresql":
        return int(session.execute(maximum).scalar_one())
    session.commit()  # end the autocommit reads of the dependencies
    session.connection(execution_options={"isolation_level": "READ COMMITTED"})
    session.execute(sa.text("LOCK TABLE audit_event IN SHARE MODE"))
    position = int(session.execute(maximum).scalar_one())
    session.commit()
    return position


def _visible(scope: Scope) -> Any:
    """Events of records the caller may read, or could once: units that were at any time in a
    subtree it holds (so a unit moved away, and a record of it, still show their change: a
    mirror must learn that they left), and the records shared by the whole tree."""
    if scope.principal.is_admin:
        return sa.true()
    ever = select(col(UnitClosure.descendant_id)).where(
        col(UnitClosure.ancestor_id).in_(scope.principal.roots(READ_ROLES))
    )
    return sa.or_(
        col(AuditEvent.unit_id).in_(ever),
        sa.and_(col(AuditEvent.unit_id).is_(None), col(AuditEvent.entity_type).in_(SHARED)),
    )


def scope_digest(session: Session, scope: Scope) -> str:
    """A fingerprint of the part of the tree the caller reads: its subtrees in every period and
    today. A move, a merge or the coming of a dated reorganisation's day can take records out
    of (or into) the scope with no write of the records themselves; a mirror seeing the
    fingerprint change lists its records again."""
    if scope.principal.is_admin:
        return "all"
    roots = scope.principal.roots(READ_ROLES)
    rows = session.execute(
        select(
            col(UnitClosure.ancestor_id),
            col(UnitClosure.descendant_id),
            col(UnitClosure.valid_from),
            col(UnitClosure.valid_to),
        )
        .where(col(UnitClosure.ancestor_id).in_(roots))
        .order_by(
            col(UnitClosure.ancestor_id),
            col(UnitClosure.descendant_id),
            col(UnitClosure.valid_from),
        )
    ).all()
    today = session.execute(
        select(col(UnitClosure.descendant_id))
        .where(col(UnitClosure.ancestor_id).in_(roots), valid_on(UnitClosure))
        .distinct()
        .order_by(col(UnitClosure.descendant_id))
    ).scalars()
    digest = hashlib.sha256(repr(rows).encode())
    digest.update(repr(list(today)).encode())
    return digest.hexdigest()[:32]


def changes(session: Session, *, scope: Scope, since: int | None, limit: int) -> dict[str, Any]:
    """The events after `since` up to the high-water mark, oldest first, in the caller's view.

    Without `since`, none: only the current position, to start from after a full listing."""
    top = high_water(session)
    if since is not None and since > top:
        raise PositionAheadError(
            t(
                "Position {since} is ahead of this server's last change ({top}): the database "
                "was restored or replaced. List everything again and start from `next`.",
                since=since,
                top=top,
            )
        )
    items: list[dict[str, Any]] = []
    if since is not None:
        rows = session.execute(
            select(
                col(AuditEvent.id),
                col(AuditEvent.at),
                col(AuditEvent.action),
                col(AuditEvent.entity_type),
                col(AuditEvent.entity_id),
                col(AuditEvent.unit_id),
            )
            .where(col(AuditEvent.id) > since, col(AuditEvent.id) <= top, _visible(scope))
            .order_by(col(AuditEvent.id))
            .limit(limit + 1)
        ).all()
        items = [
            {
                "position": row.id,
                "at": row.at,
                "action": row.action,
                "entity_type": row.entity_type,
                "entity_id": row.entity_id,
                "unit_id": row.unit_id,
                "href": HREFS[row.entity_type].format(row.entity_id)
                if row.entity_type in HREFS
                else None,
            }
            for row in rows
        ]
    more = len(items) > limit
    del items[limit:]
    return {
        "items": items,
        "next": str(items[-1]["position"] if more else top),
        "more": more,
        "scope": scope_digest(session, scope),
    }
