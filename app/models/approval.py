from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import TimestampMixin, UTCDateTime, enum_column
from app.models.enums import ApprovalStatus, PeriodKind


class Approval(TimestampMixin, table=True):
    """A unit's figures for a period, submitted by its managers to its superior (its parent in
    the tree of the period's last day), who approves them once every child's are approved, or
    returns them. While `approved`, writes that would change them are refused
    (app/approvals/locks.py); a withdrawal unlocks them."""

    # One per unit and period: a returned or withdrawn approval is submitted again, and the
    # audit trail keeps each step.
    __table_args__ = (sa.UniqueConstraint("unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    # The period's key in DHIS2's notation (2025, 2025Q1), its kind and its days.
    period: str = Field(max_length=20, index=True)
    period_kind: PeriodKind = Field(sa_type=enum_column(PeriodKind))
    period_start: date
    period_end: date
    # The superior that decides, fixed at submission (the parent on the period's last day).
    superior_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    status: ApprovalStatus = Field(sa_type=enum_column(ApprovalStatus), index=True)
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    submitted_by: str = Field(max_length=120)
    # The day of the first submission, for the completeness report's on time / late.
    first_submitted_on: date
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by: str | None = Field(default=None, max_length=120)
    # Why it was returned or withdrawn, at its last such step.
    reason: str | None = Field(default=None, max_length=5000)
    note: str | None = Field(default=None, max_length=5000)

    @property
    def year(self) -> int:
        """The year whose tree the approval is read under (its period's last)."""
        return self.period_end.year


class LockException(TimestampMixin, table=True):
    """A superior's leave to write a unit's figures of an approved period until `until`
    (inclusive), e.g. to correct them without withdrawing the approval of the whole line."""

    __tablename__ = "lock_exception"

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    period: str = Field(max_length=20, index=True)
    period_start: date
    period_end: date
    until: date
    reason: str = Field(max_length=5000)
    granted_by: str = Field(max_length=120)
