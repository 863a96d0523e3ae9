import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import TimestampMixin, enum_column
from app.models.enums import EvaluationStatus, Grade


class Evaluation(TimestampMixin, table=True):
    """A unit's year-end grade: its self-assessment, the superior's proposal, then its decision."""

    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    status: EvaluationStatus = Field(sa_type=enum_column(EvaluationStatus), index=True)
    self_grade: Grade = Field(sa_type=enum_column(Grade))
    self_note: str | None = Field(default=None, max_length=5000)
    self_assessed_by: str = Field(max_length=120)
    proposed_grade: Grade | None = Field(default=None, sa_type=enum_column(Grade))
    proposal_note: str | None = Field(default=None, max_length=5000)
    proposed_by: str | None = Field(default=None, max_length=120)
    decided_grade: Grade | None = Field(default=None, sa_type=enum_column(Grade), index=True)
    decision_note: str | None = Field(default=None, max_length=5000)
    decided_by: str | None = Field(default=None, max_length=120)


class ExcellenceCap(TimestampMixin, table=True):
    """The most of a unit's direct children that may be graded excellent in a year, as a
    percentage of them."""

    __tablename__ = "excellence_cap"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    max_percent: int
