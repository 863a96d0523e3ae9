from datetime import date

from pydantic import BaseModel, Field

from app.core.periods import PeriodPublic
from app.evaluations.schemas import EvaluationPublic, Suggestion
from app.models import CommitmentCategory, CommitmentKind, CommitmentStatus, Structure
from app.recruitment.schemas import RecruitmentFigures

CARRIES_DESCRIPTION = (
    "Closed units whose history this unit carries on (a reorganisation merged them "
    "into it, or named it the heir of a split): their figures count here from the event on, and "
    "for every year under `structure=current`."
)


class RecruitmentRow(RecruitmentFigures):
    parent_id: int | None
    depth: int = Field(description="Levels below the report's root (1: its children).")
    carries_history_of: list[int] = Field(default_factory=list, description=CARRIES_DESCRIPTION)


class RecruitmentReport(BaseModel):
    root_id: int
    from_year: int = Field(description="The first year the period touches.")
    to_year: int = Field(description="The last year the period touches.")
    period: PeriodPublic
    depth: int
    structure: Structure
    issued_on: date
    rows: list[RecruitmentRow] = Field(description="In tree order; each over its own subtree.")
    totals: RecruitmentFigures = Field(description="The root over its whole subtree.")


class CommitmentFigures(BaseModel):
    """Counts over a unit's whole subtree; every status, kind and category is present."""

    unit_id: int
    code: str
    name: str
    total: int
    by_status: dict[CommitmentStatus, int]
    by_kind: dict[CommitmentKind, int]
    by_category: dict[CommitmentCategory, int]
    by_status_and_category: dict[CommitmentStatus, dict[CommitmentCategory, int]]
    overdue: int = Field(description="Deadline passed, not finished.")
    not_yet_accepted: int = Field(description="Drafts and registered ones awaiting acceptance.")
    structure: Structure = Field(description="The tree the counts were summed in.")
    carries_history_of: list[int] = Field(default_factory=list, description=CARRIES_DESCRIPTION)


class CommitmentLine(BaseModel):
    id: int
    unit_id: int
    unit_code: str
    unit_name: str
    registered_with_id: int
    title: str
    kind: CommitmentKind
    category: CommitmentCategory
    status: CommitmentStatus
    progress_percent: int
    deadline: date | None
    overdue: bool
    directing_person_id: int | None
    directing_person_name: str | None = Field(
        description="The committee member who directs it personally."
    )


class CommitmentsReport(BaseModel):
    root_id: int
    year: int
    period: PeriodPublic = Field(
        description="The year, or part of it: then the commitments of the year due in it."
    )
    structure: Structure
    issued_on: date
    rows: list[CommitmentFigures] = Field(description="Each direct child, over its subtree.")
    totals: CommitmentFigures
    commitments: list[CommitmentLine] = Field(
        description="Every commitment of the subtree, by directing member then unit."
    )


class Scorecard(BaseModel):
    unit_id: int
    code: str
    name: str
    year: int
    period: PeriodPublic = Field(
        description="The year, or part of it: then the commitments of the year due in it."
    )
    issued_on: date
    commitments: list[CommitmentLine] = Field(description="The unit's own commitments.")
    recruitment: RecruitmentFigures
    evaluation: EvaluationPublic | None = Field(
        description="The year's evaluation; empty if none, and for part of a year."
    )
    suggestion: Suggestion | None = Field(
        description="The grade the figures suggest; empty for part of a year (grades are yearly)."
    )
    disciplined_organisations: int = Field(
        description="Organisations below the unit disciplined by a decision of the year."
    )
    disciplined_leaders: int = Field(
        description="People disciplined in the year while holding a post in the unit."
    )
