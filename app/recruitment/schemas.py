from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, computed_field, model_validator
from sqlmodel import Field

from app.core.i18n import t
from app.core.periods import PeriodPublic
from app.core.schemas import Id, InputModel, Year
from app.models import (
    CandidateAction,
    CandidateAlert,
    CandidateBase,
    CandidateStage,
    Sex,
    Structure,
)

Count = Annotated[int, Field(ge=0, le=1_000_000)]


# --- targets --------------------------------------------------------------------------------


class TargetCreate(InputModel):
    unit_id: Id
    year: Year
    target: Count
    note: str | None = Field(default=None, max_length=1000)


class TargetUpdate(InputModel):
    target: Count = Field(default=None)
    note: str | None = Field(default=None, max_length=1000)


class TargetPublic(BaseModel):
    id: int
    unit_id: int
    year: int
    target: int
    note: str | None
    allocated_to_children: int | None = Field(
        description="Sum of the children's targets for the year; empty when none has one."
    )
    gap: int | None = Field(
        description="Target minus the children's sum: positive is under-allocated, negative "
        "over-allocated; empty when no child has a target."
    )
    created_at: datetime
    updated_at: datetime


class AllocationRow(InputModel):
    unit_id: Id
    target: Count
    note: str | None = Field(default=None, max_length=1000)


class AllocationIn(InputModel):
    parent_id: Id
    year: Year
    targets: list[AllocationRow] = Field(min_length=1, max_length=1000)


class AllocationPublic(BaseModel):
    """A parent's own target for a year next to what it allocated to its direct children."""

    parent_id: int
    year: int
    target: int | None = Field(description="The parent's own target; empty when it has none.")
    allocated_to_children: int
    gap: int | None = Field(description="Target minus allocated; empty without a target.")
    children: list[TargetPublic]


# --- candidates -----------------------------------------------------------------------------


class CandidateCreate(CandidateBase, InputModel):
    unit_id: Id
    source_since: date = Field(description="Since when the candidate is followed as a source.")
    helper_person_id: Id | None = None
    in_charge_person_id: Id | None = None


class CandidateUpdate(InputModel):
    """Personal details only; the stage moves through the transitions endpoint."""

    full_name: str = Field(default=None, min_length=1, max_length=255)
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    birth_date: date | None = None
    sex: Sex | None = None
    occupation: str | None = Field(default=None, max_length=255)
    helper_person_id: Id | None = None
    in_charge_person_id: Id | None = None
    note: str | None = Field(default=None, max_length=5000)


class CandidatePublic(CandidateBase):
    id: int
    unit_id: int
    stage: CandidateStage
    source_since: date
    course_completed_on: date | None = Field(description="The first time the course was passed.")
    course_renewed_on: date | None = Field(
        description="The last time it was taken again (an expired certificate is renewed)."
    )
    course_valid_until: date | None = Field(description="Five years after the last course.")
    applied_on: date | None
    verified_on: date | None
    admitted_on: date | None
    decision_number: str | None
    proposed_on: date | None = Field(description="The cell's resolution proposing the admission.")
    decision_due_on: date | None = Field(
        description="The competent committee's deadline: 60 working days after the proposal."
    )
    over_60_decision: str | None = Field(
        description="The decision of the committee directly under the Central Committee that "
        "allows the admission of a person over 60."
    )
    failed_votes: int = Field(
        description="Votes of the cell without two thirds on the current question (admission, "
        "then recognition)."
    )
    last_failed_vote_on: date | None
    referred_on: date | None = Field(
        description="When the failed votes reached the rule's count and the case went to the "
        "superior committee."
    )
    ceremony_due_on: date | None = Field(description="30 working days after the decision.")
    ceremony_on: date | None
    probation_ends_on: date | None = Field(
        description="12 months from the ceremony (Party Charter, Article 5.1); empty until it "
        "is held."
    )
    recognition_due_on: date | None = Field(
        description="The deadline of the next recognition step: the cell's proposal, 30 working "
        "days after probation ends; once proposed, the committee's decision, 30 working days "
        "after the proposal."
    )
    recognition_proposed_on: date | None
    recognised_on: date | None = Field(description="The committee's recognition decision.")
    official_on: date | None = Field(
        description="Official from the end of probation when recognised, however late the "
        "decision (recognised_on)."
    )
    dropped_on: date | None
    dropped_from: CandidateStage | None
    drop_reason: str | None
    alerts: list[CandidateAlert]
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def stage_label(self) -> str:
        return self.stage.label


class CandidateTransitionIn(InputModel):
    action: CandidateAction
    on: date = Field(description="The day of the step: not in the future, not before the last.")
    decision_number: str | None = Field(
        default=None, min_length=1, max_length=100, description="Required to admit."
    )
    reason: str | None = Field(
        default=None, min_length=1, max_length=2000, description="Required to drop."
    )
    over_60_decision: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="To propose a person over 60: the decision of the committee directly under "
        "the Central Committee that allows it.",
    )
    note: str | None = Field(default=None, max_length=5000)


class CandidateEventPublic(BaseModel):
    id: int
    action: CandidateAction
    from_stage: CandidateStage
    to_stage: CandidateStage
    on: date
    note: str | None
    actor: str
    at: datetime


class CandidateStep(BaseModel):
    action: CandidateAction
    action_label: str
    from_stages: list[CandidateStage]
    to_stage: CandidateStage | None = Field(description="Empty: the candidate stays at its stage.")
    sets: str
    requires: list[str]


# --- outcomes -------------------------------------------------------------------------------


class OutcomeFields(InputModel):
    @model_validator(mode="after")
    def _period_in_order(self) -> "OutcomeFields":
        start, end = getattr(self, "period_start", None), getattr(self, "period_end", None)
        if start is not None and end is not None and end < start:
            raise ValueError(t("period_end falls before period_start"))
        return self


class OutcomeCreate(OutcomeFields):
    unit_id: Id
    period_start: date
    period_end: date
    admitted: Count
    replaces_individual: bool = Field(
        default=False,
        description="Stands for the individual admissions recorded in the unit's subtree over "
        "the period (they are then not counted again); without it an overlap is refused.",
    )
    source: str | None = Field(default=None, max_length=1000, description="Where it comes from.")
    note: str | None = Field(default=None, max_length=5000)


class OutcomeUpdate(OutcomeFields):
    period_start: date = Field(default=None)
    period_end: date = Field(default=None)
    admitted: Count = Field(default=None)
    replaces_individual: bool = Field(default=None)
    source: str | None = Field(default=None, max_length=1000)
    note: str | None = Field(default=None, max_length=5000)


class OutcomePublic(BaseModel):
    id: int
    unit_id: int
    period_start: date
    period_end: date
    admitted: int
    replaces_individual: bool
    source: str | None
    note: str | None
    created_at: datetime
    updated_at: datetime


# --- progress -------------------------------------------------------------------------------


class StageCount(BaseModel):
    stage: CandidateStage
    label: str
    count: int


class RecruitmentFigures(BaseModel):
    """Figures over a unit's whole subtree and the period; the target is the unit's own."""

    unit_id: int
    code: str
    name: str
    target: int | None = Field(
        description="The unit's targets over the years; empty if none, and for a period that "
        "is not made of whole years (targets are set per year, never prorated)."
    )
    admitted_individual: int = Field(description="Admission decisions recorded per candidate.")
    admitted_reported: int = Field(description="Admissions reported as counts (outcomes).")
    admitted: int
    achievement_percent: float | None = Field(description="Admitted over target; empty if none.")
    candidates_by_stage: list[StageCount] = Field(
        description="Where candidates stood at the end of the period (today if sooner)."
    )
    overdue_alerts: int = Field(description="Ceremonies and recognitions past their due date.")
    outcomes_straddling: int = Field(
        description="Reported outcomes that only partly overlap the period: not counted, since "
        "their admissions cannot be split by year."
    )
    structure: Structure = Field(
        default=Structure.as_of,
        description="The tree the figures were summed in: `as_of`, that of each year (of its "
        "last day, today for the current year); `current`, today's, where a closed unit's "
        "figures count under the unit that carries its history on.",
    )


class UnitRecruitment(BaseModel):
    from_year: int = Field(description="The first year the period touches.")
    to_year: int = Field(description="The last year the period touches.")
    period: PeriodPublic
    unit: RecruitmentFigures
    children: list[RecruitmentFigures]
