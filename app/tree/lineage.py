"""Locking a unit's line (the unit and every unit above it) for the rest of a transaction."""

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Unit
from app.tree.closure import lineage_ids


def lock_lineage(session: Session, unit_id: int) -> None:
    """Hold the unit and the units above it until the transaction ends, so that rules which
    count records of one line of units before writing (outcomes, admissions, excellence caps)
    see the writes of concurrent requests, and a move of a unit above does not race the sums
    kept over the line (candidate flows). PostgreSQL locks the rows, in id order so that two
    lines never deadlock; SQLite has one writer at a time, so any write takes the lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(col(Unit.id))
            .where(col(Unit.id).in_(lineage_ids(unit_id)))
            .order_by(col(Unit.id))
            .with_for_update()
        )
    else:
        session.execute(sa.update(Unit).where(col(Unit.id) == unit_id).values(id=col(Unit.id)))
