from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin, UTCDateTime, enum_column, utcnow
from app.models.enums import CommitmentAction, CommitmentCategory, CommitmentKind, CommitmentStatus


class CommitmentBase(SQLModel):
    unit_id: int = Field(foreign_key="unit.id", index=True, description="The committing unit.")
    registered_with_id: int = Field(
        foreign_key="unit.id", index=True, description="The superior unit it is registered with."
    )
    directive_id: int = Field(foreign_key="directive.id", index=True)
    year: int = Field(ge=1990, le=2100)
    kind: CommitmentKind = Field(sa_type=enum_column(CommitmentKind))
    category: CommitmentCategory = Field(sa_type=enum_column(CommitmentCategory), index=True)
    title: str = Field(min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    success_criteria: list[str] = Field(
        default_factory=list, sa_type=sa.JSON, max_length=30, description="Measurable statements."
    )
    deadline: date | None = None
    responsible_person_id: int | None = Field(
        default=None, foreign_key="person.id", index=True, description="Head of the unit."
    )
    directing_person_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        index=True,
        description="The committee member who directs the resolution personally.",
    )


class Commitment(CommitmentBase, TimestampMixin, table=True):
    """A unit's registered difficult task or pressing issue for a year."""

    # The list's orders (id breaks ties): a page is then read off the index, not sorted.
    __table_args__ = (
        sa.Index("ix_commitment_updated_at_id", "updated_at", "id"),
        sa.Index("ix_commitment_deadline_id", "deadline", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    status: CommitmentStatus = Field(
        default=CommitmentStatus.draft, sa_type=enum_column(CommitmentStatus), index=True
    )
    progress_percent: int = Field(default=0)
    result_summary: str | None = Field(default=None, max_length=10_000)
    escalated_to: str | None = Field(default=None, max_length=500)
    # The unit that carries on the commitment's work after its own unit closed in a
    # reorganisation (the commitment stays the record of the unit that registered it).
    carried_to_id: int | None = Field(default=None, foreign_key="unit.id")
    search_key: str = Field(sa_type=sa.Text, description="Folded title and description.")


class CommitmentEvent(SQLModel, table=True):
    """One transition in a commitment's history."""

    __tablename__ = "commitment_event"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    action: CommitmentAction = Field(sa_type=enum_column(CommitmentAction))
    from_status: CommitmentStatus = Field(sa_type=enum_column(CommitmentStatus))
    to_status: CommitmentStatus = Field(sa_type=enum_column(CommitmentStatus))
    note: str | None = Field(default=None, max_length=5000)
    actor: str = Field(max_length=120)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgressUpdate(SQLModel, table=True):
    """A dated, append-only progress entry."""

    __tablename__ = "progress_update"

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    reported_on: date
    progress_percent: int | None = Field(
        default=None, ge=0, le=100, description="Empty for a note without an assessment."
    )
    note: str = Field(max_length=5000)
    evidence_links: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    actor: str = Field(max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
