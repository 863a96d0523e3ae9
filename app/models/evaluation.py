from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field

from app.models.base import TimestampMixin, enum_column
from app.models.enums import EvaluationStatus, Grade, PeriodKind


class Evaluation(TimestampMixin, table=True):
    """A unit's grade for a period: its self-assessment, the superior's proposal, then its
    decision. Under Regulation 366-QĐ/TW each step may carry points on a criteria set, from
    which its grade is derived (app/evaluations/grading.py)."""

    # One evaluation per unit and period (`period` is the period's key: 2025, 2025-Q3,
    # 2021-2025); `year` is the year the period ends in, whose tree it is read under.
    __table_args__ = (sa.UniqueConstraint("unit_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int = Field(index=True)
    period_kind: PeriodKind = Field(
        default=PeriodKind.year,
        sa_type=enum_column(PeriodKind),
        sa_column_kwargs={"server_default": PeriodKind.year.value},
    )
    period: str = Field(max_length=20)
    period_start: date
    period_end: date
    status: EvaluationStatus = Field(sa_type=enum_column(EvaluationStatus), index=True)
    # The criteria the scores were given on (None: Cam Kết's default set, or no scores).
    criteria_set_id: int | None = Field(default=None, foreign_key="criteria_set.id", index=True)
    # Per criterion: code, name, max_points (as the set had them), points, evidence, links.
    scores: list[dict[str, Any]] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    # The tasks of the period as the unit reports them (Regulation 366-QĐ/TW's conditions).
    tasks_total: int | None = None
    tasks_on_time: int | None = None
    tasks_exceeded: int | None = None
    tasks_behind: int | None = None
    # Why the grade derived from points is what it is, at the last step that carried points.
    grade_reasons: list[str] | None = Field(default=None, sa_type=sa.JSON(none_as_null=True))
    self_grade: Grade = Field(sa_type=enum_column(Grade))
    self_points: float | None = None
    self_note: str | None = Field(default=None, max_length=5000)
    self_assessed_by: str = Field(max_length=120)
    proposed_grade: Grade | None = Field(default=None, sa_type=enum_column(Grade))
    proposed_points: float | None = None
    proposal_note: str | None = Field(default=None, max_length=5000)
    proposed_by: str | None = Field(default=None, max_length=120)
    decided_grade: Grade | None = Field(default=None, sa_type=enum_column(Grade), index=True)
    decided_points: float | None = None
    decision_note: str | None = Field(default=None, max_length=5000)
    decided_by: str | None = Field(default=None, max_length=120)


class ExcellenceCap(TimestampMixin, table=True):
    """The most of a unit's direct children that may be graded excellent in a year, as a
    percentage: of the children open during the year before Regulation 366-QĐ/TW, of those
    rated good or better under it."""

    __tablename__ = "excellence_cap"
    __table_args__ = (sa.UniqueConstraint("unit_id", "year"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    year: int
    max_percent: int


class CriteriaSet(TimestampMixin, table=True):
    """The criteria party organisations are scored on, with the points of each (100 in all),
    from `year` on until a set of a later year: a new version for a year leaves earlier
    years' sets as they were."""

    __tablename__ = "criteria_set"

    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(unique=True)
    name: str = Field(max_length=255)
    note: str | None = Field(default=None, max_length=5000)
    # Each: code, name, max_points, measure (a CriterionMeasure or None).
    criteria: list[dict[str, Any]] = Field(sa_type=sa.JSON)
