"""The days candidates' steps fall due, summed over subtrees in the tree of today and
kept exact by the write paths (`candidate_due`, app/models/recruitment.py): the reports' overdue
alerts are the sum of a unit's rows before today, a few rows per unit however many candidates
lie below it.

A candidate counts on one day, `due_of`: the last day of its earliest step still due. It has
an overdue alert (`decision_overdue`, `ceremony_overdue` or `recognition_overdue`,
app/recruitment/candidates.py `alert_conditions`) on a day exactly when its due day lies before
it. `recomputed()` derives
the table from the candidates with SQL of its own; the tests hold the kept table to it.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import Candidate, CandidateDue, CandidateStage, UnitClosure
from app.tree.closure import valid_on
from app.tree.sums import add_to_sums


def due_of(candidate: Candidate | None) -> date | None:
    """The last day of the candidate's earliest step still due: the committee's admission
    decision once the cell proposed it; after the admission, the ceremony's while none is
    recorded, and the recognition's next step."""
    if candidate is None:
        return None
    if candidate.stage == CandidateStage.verified:
        return candidate.decision_due_on
    if candidate.stage != CandidateStage.admitted:
        return None
    pending = [candidate.recognition_due_on]
    if candidate.ceremony_on is None:
        pending.append(candidate.ceremony_due_on)
    return min((day for day in pending if day is not None), default=None)


def record(session: Session, *, unit_id: int, before: date | None, after: date | None) -> None:
    """Move the candidate's count from its old due day to its new one in its unit and every
    unit above it today, in the caller's transaction, which holds the unit's line (the lock
    order of app/tree/lineage.py: after the flows, in day then unit order)."""
    if before == after:
        return
    changes = sorted((day, sign) for day, sign in ((before, -1), (after, 1)) if day is not None)
    source = (
        select(
            col(UnitClosure.ancestor_id),
            sa.bindparam("due_on", type_=sa.Date),
            sa.bindparam("candidates", type_=sa.Integer),
        )
        .where(
            col(UnitClosure.descendant_id) == sa.bindparam("unit", type_=sa.Integer),
            valid_on(UnitClosure),
        )
        .order_by(col(UnitClosure.ancestor_id))
    )
    session.execute(
        add_to_sums(session, source, CandidateDue),
        [{"unit": unit_id, "due_on": day, "candidates": sign} for day, sign in changes],
    )


def recomputed() -> sa.Select[Any]:
    """The table as the candidates alone say it should be (zero rows omitted)."""
    c = Candidate
    ceremony, recognition = col(c.ceremony_due_on), col(c.recognition_due_on)
    ceremony_first = sa.and_(
        col(c.ceremony_on).is_(None),
        ceremony.is_not(None),
        sa.or_(recognition.is_(None), ceremony < recognition),
    )
    admitted = sa.case((ceremony_first, ceremony), else_=recognition)
    each = (
        select(
            col(c.unit_id),
            sa.case(
                (col(c.stage) == CandidateStage.verified, col(c.decision_due_on)), else_=admitted
            ).label("due_on"),
        )
        .where(col(c.stage).in_((CandidateStage.verified, CandidateStage.admitted)))
        .subquery("each")
    )
    per_unit = (
        select(each.c.unit_id, each.c.due_on, func.count().label("candidates"))
        .where(each.c.due_on.is_not(None))
        .group_by(each.c.unit_id, each.c.due_on)
        .subquery("per_unit")
    )
    ancestor = col(UnitClosure.ancestor_id)
    return (
        select(
            ancestor.label("unit_id"),
            per_unit.c.due_on,
            func.sum(per_unit.c.candidates).label("candidates"),
        )
        .select_from(UnitClosure)
        .join(per_unit, per_unit.c.unit_id == col(UnitClosure.descendant_id))
        .where(valid_on(UnitClosure))
        .group_by(ancestor, per_unit.c.due_on)
    )


def rebuild(connection: sa.Connection) -> int:
    """Replace the table with its recomputation (after a bulk load); returns its rows."""
    table = CandidateDue.__table__  # type: ignore[attr-defined]
    connection.execute(sa.delete(table))
    connection.execute(
        sa.insert(table).from_select(["unit_id", "due_on", "candidates"], recomputed())
    )
    return connection.execute(select(func.count()).select_from(table)).scalar_one()
