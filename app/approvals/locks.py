"""The one check every write of a period's figures makes: is the period approved for the
written unit (by its own approval or by that of a unit above it)?

Called by each write path inside its `audited` block, that is after it has locked its units'
lines (app/tree/lineage.py): an approval locks the approved unit's line too, and a unit's line
holds every unit above it, so an approval and a write below it take their turns on the
approved unit's row. The approvals are also read `FOR SHARE` on PostgreSQL, so that a write to
a unit that has since left the approved unit's subtree (its line no longer holds it) still
waits for an approval being decided and then reads its outcome.

Which approvals lock a unit: those of the unit itself and of every unit above it in the tree
of the approval's period's last day (the tree its figures are read under), whose period meets
the days written. A lock exception for the written unit and the approval's period, until a day
not yet past, lets the write through.

With `CAMKET_APPROVAL_ENTRY_CLOSES_DAYS` set (DHIS2's expiry days; unset by default), entry of a
year's figures also closes that many days after the year ends, approved or not (409
`/problems/entry-closed`), unless a lock exception for the unit and the year covers today.
"""

from collections.abc import Collection
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.core import clock
from app.core.config import settings
from app.core.errors import ConflictError
from app.core.i18n import t
from app.models import Approval, ApprovalStatus, LockException, UnitClosure


class PeriodLockedError(ConflictError):
    type = "/problems/period-locked"
    title = t("Period Locked")

    def __init__(self, approval: Approval, unit_id: int) -> None:
        below = "" if approval.unit_id == unit_id else t(", above unit {unit_id}", unit_id=unit_id)
        super().__init__(
            t(
                "The figures of unit {approval_unit_id} for {period} are approved (approval "
                "{approval_id}{below}): withdraw the approval or ask the superior for a lock "
                "exception first.",
                approval_unit_id=approval.unit_id,
                period=approval.period,
                approval_id=approval.id,
                below=below,
            ),
            extensions={
                "approval": {
                    "id": approval.id,
                    "unit_id": approval.unit_id,
                    "period": approval.period,
                }
            },
        )


class EntryClosedError(ConflictError):
    type = "/problems/entry-closed"
    title = t("Entry Closed")

    def __init__(self, unit_id: int, period: str, closed_on: date) -> None:
        super().__init__(
            t(
                "Entry of {period}'s figures closed on {closed_on} "
                "(CAMKET_APPROVAL_ENTRY_CLOSES_DAYS={days} days after the period): ask the "
                "superior of unit {unit_id} for a lock exception.",
                period=period,
                closed_on=closed_on,
                days=settings.approval_entry_closes_days,
                unit_id=unit_id,
            ),
            extensions={"period": period, "closed_on": closed_on.isoformat()},
        )


def approvals_over(unit_ids: Collection[int], first: date, last: date) -> Any:
    """Approvals of the units or of a unit above them in their period's tree, for a period
    meeting first..last, each with the unit of `unit_ids` it covers."""
    statement = (
        select(Approval, col(UnitClosure.descendant_id))
        .join(
            UnitClosure,
            sa.and_(
                col(UnitClosure.ancestor_id) == col(Approval.unit_id),
                col(UnitClosure.descendant_id).in_(sorted(unit_ids)),
                # The tree of the period's last day: no change takes effect after today, so a
                # row in force today is in force on a later last day too.
                col(UnitClosure.valid_from) <= col(Approval.period_end),
                col(UnitClosure.valid_to) > col(Approval.period_end),
            ),
        )
        .where(col(Approval.period_start) <= last, col(Approval.period_end) >= first)
    )
    # The nearest first: a refusal names the unit's own approval before those above.
    return statement.order_by(
        col(UnitClosure.descendant_id), col(UnitClosure.depth), col(Approval.id)
    )


def _excepted(
    session: Session, unit_ids: Collection[int], periods: set[str]
) -> set[tuple[int, str]]:
    """The (unit, period) pairs a lock exception lets through today."""
    if not periods:
        return set()
    rows = session.execute(
        select(col(LockException.unit_id), col(LockException.period)).where(
            col(LockException.unit_id).in_(sorted(unit_ids)),
            col(LockException.period).in_(sorted(periods)),
            col(LockException.until) >= clock.today(),
        )
    )
    return {(unit_id, period) for unit_id, period in rows}


def require_unlocked(
    session: Session,
    *,
    unit_id: int | None = None,
    unit_ids: Collection[int] = (),
    day: date | None = None,
    year: int | None = None,
    first: date | None = None,
    last: date | None = None,
) -> None:
    """409 `/problems/period-locked` when an approved period meeting the days written (one
    `day`, a `year`, or `first`..`last`) covers `unit_id` or any of `unit_ids` (checked in one
    statement, however many); call it under the line lock."""
    units = sorted({*unit_ids, *([unit_id] if unit_id is not None else [])})
    if not units:
        return
    if day is not None:
        first = last = day
    elif year is not None:
        first, last = date(year, 1, 1), date(year, 12, 31)
    assert first is not None
    assert last is not None
    # Every status, read FOR SHARE: an approval being decided is waited for, then re-read.
    statement = (
        approvals_over(units, first, last)
        .with_for_update(read=True, of=Approval)
        .execution_options(populate_existing=True)
    )
    approved = [
        (approval, covered)
        for approval, covered in session.execute(statement)
        if approval.status == ApprovalStatus.approved
    ]
    year_key = str(first.year)
    closes_after = settings.approval_entry_closes_days
    closed_on = None
    if closes_after is not None:
        # The earliest year written closes first.
        closed_on = date(first.year, 12, 31) + timedelta(days=closes_after + 1)
        if clock.today() < closed_on:
            closed_on = None
    if not approved and closed_on is None:
        return
    periods = {approval.period for approval, _ in approved} | ({year_key} if closed_on else set())
    excepted = _excepted(session, units, periods)
    for approval, covered in approved:
        if (covered, approval.period) not in excepted:
            raise PeriodLockedError(approval, covered)
    if closed_on is not None:
        for unit in units:
            if (unit, year_key) not in excepted:
                raise EntryClosedError(unit, year_key, closed_on)
