"""Locking units' lines (a unit and every unit above it) for the rest of a transaction.

Lock order. Every write takes its locks in this one order, so that concurrent writers on
PostgreSQL wait for each other but never deadlock:

1. First, before it reads anything its rules depend on and before any insert or update that
   references a unit, the write locks the lines of the units it touches with `lock_lines`: one
   statement, the rows taken in ascending unit id, `FOR NO KEY UPDATE`. A line holds its root, so
   writers of one tree take their turns; rules that count records of a line before writing
   (outcomes, admissions, excellence caps, targets) then see each other's writes, and a move of
   a unit above does not race the sums kept over the line (candidate flows).
2. Then its own rows: inserts, updates (each checks the record's version), the candidate flow
   sums (in stage, year and unit order, app/recruitment/flows.py), then the due-day sums (in
   day and unit order, app/recruitment/dues.py).
3. The audit event, and the commit (app/audit/service.py `audited`).

Before step 1 a request may have claimed its `Idempotency-Key` (app/idempotency.py): a row that
references no unit, which only a twin of the same request waits for, before it locks anything.

Why `FOR NO KEY UPDATE`: an insert of a row that references a unit takes `FOR KEY SHARE` on the
unit's row (the foreign key check), and `FOR UPDATE` conflicts with it: two transactions that
each inserted a candidate into a unit then each waited for the other's key-share lock to take
`FOR UPDATE` on it (measured: 18 of 20 concurrent creates into one unit answered 500,
DeadlockDetected). `FOR NO KEY UPDATE` conflicts with itself and with `FOR UPDATE`, not with
`FOR KEY SHARE`.

Why ascending id and not depth: ids are one global order that a move, which re-hangs units under
others, cannot change; any two writers, whatever lines they lock, take their common rows in the
same order.
"""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.models import Unit, UnitClosure
from app.tree.closure import valid_on


def lock_lines(session: Session, *unit_ids: int | None, subtrees: Iterable[int] = ()) -> None:
    """Hold the lines of `unit_ids` (each unit and every unit above it), and every unit of
    `subtrees` (a move shifts their levels), until the transaction ends; the first thing a
    write does (the lock order above). Ids of units that do not exist lock nothing.

    SQLite has one writer at a time: an update that changes nothing takes the database's write
    lock here, held until the commit, so the reads that follow see every earlier commit."""
    units = sorted({unit_id for unit_id in unit_ids if unit_id is not None})
    below = list(subtrees)
    if not units and not below:
        return
    if session.get_bind().dialect.name != "postgresql":
        first = (units or below)[0]
        session.execute(sa.update(Unit).where(col(Unit.id) == first).values(id=col(Unit.id)))
        return
    lines = select(col(UnitClosure.ancestor_id)).where(col(UnitClosure.descendant_id).in_(units))
    members = [col(Unit.id).in_(lines)]
    if below:
        # Every unit below any of `subtrees` today: one subquery, however many roots.
        members.append(
            col(Unit.id).in_(
                select(col(UnitClosure.descendant_id)).where(
                    col(UnitClosure.ancestor_id).in_(sorted(set(below))), valid_on(UnitClosure)
                )
            )
        )
    session.execute(
        select(col(Unit.id))
        .where(sa.or_(*members))
        .order_by(col(Unit.id))
        .with_for_update(key_share=True)
    )
