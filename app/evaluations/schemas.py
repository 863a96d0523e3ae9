from datetime import date, datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    StringConstraints,
    computed_field,
    field_validator,
    model_validator,
)
from sqlmodel import Field

from app.core.i18n import t
from app.core.schemas import Id, InputModel, Year
from app.evaluations.periods import Period
from app.models import CriterionMeasure, EvaluationStatus, Grade, PeriodKind
from app.rules.registry import evaluation_rules

Note = Annotated[str | None, Field(default=None, max_length=5000)]
Points = Annotated[float, Field(ge=0, le=100, description="Points, up to the criterion's max.")]
TotalPoints = Annotated[float, Field(ge=0, le=100, description="Points out of 100.")]


# --- criteria sets --------------------------------------------------------------------------


class CriterionIn(InputModel):
    code: Annotated[
        str, StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")
    ] = Field(description="A stable key: lower-case letters, digits and _.")
    name: str = Field(min_length=1, max_length=500)
    max_points: int = Field(ge=1, le=100)
    measure: CriterionMeasure | None = Field(
        default=None,
        description="What Cam Kết measures for it (the suggestion scores it from the figures); "
        "empty: the committee scores it.",
    )


def _check_criteria(criteria: list[CriterionIn]) -> list[CriterionIn]:
    codes = [c.code for c in criteria]
    if len(set(codes)) != len(codes):
        raise ValueError(t("each criterion needs a code of its own"))
    measures = [c.measure for c in criteria if c.measure is not None]
    if len(set(measures)) != len(measures):
        raise ValueError(t("a measure belongs to one criterion at most"))
    total = sum(c.max_points for c in criteria)
    # Regulation 366-QĐ/TW's framework is of 100 points (FACTS-2025.md).
    if total != 100:
        raise ValueError(t("the criteria's points add up to {total}, not 100", total=total))
    return criteria


Criteria = Annotated[list[CriterionIn], Field(min_length=1, max_length=50)]


class CriteriaSetCreate(InputModel):
    year: Year = Field(description="The first year it applies to, until a later year's set.")
    name: str = Field(min_length=1, max_length=255)
    note: Note = None
    criteria: Criteria

    _criteria = field_validator("criteria")(_check_criteria)


class CriteriaSetUpdate(InputModel):
    name: str = Field(default=None, min_length=1, max_length=255)
    note: Note = None
    criteria: Criteria = Field(default=None)

    _criteria = field_validator("criteria")(_check_criteria)


class CriterionPublic(BaseModel):
    code: str
    name: str
    max_points: int
    measure: CriterionMeasure | None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def measure_label(self) -> str | None:
        return self.measure.label if self.measure else None


class CriteriaSetPublic(BaseModel):
    id: int | None = Field(description="Empty for Cam Kết's default set, which is not stored.")
    year: int | None = Field(description="The first year it applies to; empty for the default.")
    name: str
    note: str | None
    criteria: list[CriterionPublic]
    version: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


# --- evaluations ----------------------------------------------------------------------------


class ScoreIn(InputModel):
    criterion: str = Field(min_length=1, max_length=40, description="The criterion's code.")
    points: Points
    evidence: str | None = Field(default=None, max_length=5000)
    links: list[Annotated[str, Field(min_length=1, max_length=1000)]] = Field(
        default_factory=list, max_length=20
    )


class TasksIn(InputModel):
    """The period's tasks, for the conditions of Regulation 366-QĐ/TW (FACTS-2025.md)."""

    total: int = Field(ge=0, le=100_000)
    on_time: int = Field(ge=0, le=100_000, description="Done on time.")
    exceeded: int = Field(ge=0, le=100_000, description="Exceeding requirements.")
    behind: int = Field(ge=0, le=100_000, description="Behind schedule.")

    @model_validator(mode="after")
    def _parts_of_the_total(self) -> "TasksIn":
        if self.on_time + self.behind > self.total or self.exceeded > self.total:
            raise ValueError(t("on time and behind together, and exceeded, are parts of the total"))
        return self


class PeriodIn(InputModel):
    period_kind: PeriodKind = Field(
        default=PeriodKind.year, description="A year (the default), a quarter or a term."
    )
    quarter: int | None = Field(default=None, ge=1, le=4, description="For a quarter.")
    term_from_year: Year | None = Field(
        default=None, description="For a term: its first year (`year` is its last)."
    )

    @model_validator(mode="after")
    def _period_fields(self) -> "PeriodIn":
        kind = self.period_kind
        if (kind == PeriodKind.quarter) != (self.quarter is not None):
            raise ValueError(t("a quarter, and only a quarter, names its quarter (1-4)"))
        if (kind == PeriodKind.term) != (self.term_from_year is not None):
            raise ValueError(t("a term, and only a term, names its first year (term_from_year)"))
        year = getattr(self, "year", None)
        if self.term_from_year is not None and year is not None and self.term_from_year >= year:
            raise ValueError(t("a term's first year comes before its last (year)"))
        return self

    def period(self) -> Period:
        year: int = getattr(self, "year")  # noqa: B009 (declared by the subclasses)
        return Period(self.period_kind, year, self.quarter, self.term_from_year)


class SelfAssessmentIn(PeriodIn):
    unit_id: Id
    year: Year = Field(description="The year the period ends in.")
    grade: Grade | None = Field(
        default=None,
        description="Without scores, the grade (as before Regulation 366-QĐ/TW); with scores, "
        "derived from them and checked against this if given.",
    )
    note: Note = None
    scores: list[ScoreIn] | None = Field(
        default=None,
        max_length=50,
        description="Under Regulation 366-QĐ/TW: one score per criterion of the criteria set "
        "in force for the period, with its evidence. Needs `tasks`.",
    )
    tasks: TasksIn | None = None


class SelfAssessmentUpdate(InputModel):
    grade: Grade = Field(default=None)
    note: Note = None
    scores: list[ScoreIn] = Field(default=None, max_length=50)
    tasks: TasksIn = Field(default=None)


class GradeIn(InputModel):
    grade: Grade | None = Field(
        default=None, description="Without points, the grade; with points, checked if given."
    )
    points: TotalPoints | None = Field(
        default=None,
        description="Under Regulation 366-QĐ/TW: the total points the superior gives; the "
        "grade is derived from them, the tasks and the disciplines of the period.",
    )
    tasks: TasksIn | None = Field(
        default=None, description="The tasks as the superior finds them; default: the unit's."
    )
    note: Note = None


class ScorePublic(BaseModel):
    criterion: str
    name: str
    max_points: int
    points: float
    evidence: str | None
    links: list[str]


class TasksPublic(BaseModel):
    total: int
    on_time: int
    exceeded: int
    behind: int


class EvaluationPublic(BaseModel):
    id: int
    unit_id: int
    year: int
    period_kind: PeriodKind
    period: str
    period_start: date
    period_end: date
    status: EvaluationStatus
    criteria_set_id: int | None
    scores: list[ScorePublic] | None
    tasks_total: int | None
    tasks_on_time: int | None
    tasks_exceeded: int | None
    tasks_behind: int | None
    grade_reasons: list[str] | None = Field(
        description="Why the grade derived from points is what it is (the last step with points)."
    )
    self_grade: Grade
    self_points: float | None
    self_note: str | None
    self_assessed_by: str
    proposed_grade: Grade | None
    proposed_points: float | None
    proposal_note: str | None
    proposed_by: str | None
    decided_grade: Grade | None
    decided_points: float | None
    decision_note: str | None
    decided_by: str | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def period_kind_label(self) -> str:
        return self.period_kind.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def rule_set(self) -> str:
        """The rules it is graded under: those in force on the period's last day
        (GET /rules/{code})."""
        return evaluation_rules(self.period_end).code

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grade(self) -> Grade:
        """The grade that stands: the decision, else the proposal, else the self-assessment."""
        return self.decided_grade or self.proposed_grade or self.self_grade

    @computed_field  # type: ignore[prop-decorator]
    @property
    def grade_label(self) -> str:
        return self.grade.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def points(self) -> float | None:
        """The points of the step that stands, if it carried any."""
        if self.decided_grade is not None:
            return self.decided_points
        if self.proposed_grade is not None:
            return self.proposed_points
        return self.self_points


class CapIn(InputModel):
    unit_id: Id = Field(description="The superior whose direct children the cap applies to.")
    year: Year
    max_percent: int = Field(
        default=None,
        ge=0,
        le=100,
        description="Most children graded excellent, in %: of the children open during the "
        "year before Regulation 366-QĐ/TW, of those rated good or better under it. Default: "
        "`CAMKET_EVALUATION_EXCELLENT_CAP_PERCENT` (20, unverified for party organisations).",
    )


class CapUpdate(InputModel):
    max_percent: int = Field(ge=0, le=100)


class CapPublic(BaseModel):
    id: int
    unit_id: int
    year: int
    max_percent: int
    rule_set: str = Field(description="The evaluation rules of the year (GET /rules/{code}).")
    children: int = Field(description="Direct children open during the year.")
    rated_good_or_better: int = Field(
        description="Of them, those decided good or excellent for the year."
    )
    max_excellent: int = Field(
        description="How many may be graded excellent: `max_percent` of the children before "
        "Regulation 366-QĐ/TW, of those rated good or better under it."
    )
    excellent: int = Field(description="How many are, by decision.")


class CriterionPoints(BaseModel):
    criterion: str
    name: str
    max_points: int
    points: float | None = Field(description="Empty when nobody has scored it yet.")
    measure: CriterionMeasure | None
    figures: dict[str, Any] = Field(description="The figures behind the points, if measured.")
    reason: str


class Suggestion(BaseModel):
    unit_id: int
    year: int
    period_kind: PeriodKind = PeriodKind.year
    period: str
    rule_set: str = Field(description="The rules in force for the period (GET /rules/{code}).")
    grade: Grade
    grade_label: str
    score: float | None = Field(
        description="0–100: the mean of the recruitment achievement (capped at 100) and the "
        "share of commitments completed, over whichever of the two exist; empty if neither."
    )
    achievement_percent: float | None
    commitments: int
    commitments_completed: int
    points: float | None = Field(
        default=None,
        description="Under Regulation 366-QĐ/TW: the points of the criteria, measured ones "
        "from the figures, the others from the unit's self-assessment (0 if not scored).",
    )
    criteria_set_id: int | None = None
    criteria: list[CriterionPoints] = Field(default_factory=list)
    tasks: TasksPublic | None = Field(
        default=None,
        description="The tasks counted: the unit's own commitments of the period's years.",
    )
    disciplined: int | None = Field(
        default=None,
        description="Subordinate organisations and leadership members disciplined in the period.",
    )
    reasons: list[str]
