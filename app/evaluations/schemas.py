from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, computed_field
from sqlmodel import Field

from app.core.schemas import Id, InputModel, Year
from app.models import EvaluationStatus, Grade

Note = Annotated[str | None, Field(default=None, max_length=5000)]


class SelfAssessmentIn(InputModel):
    unit_id: Id
    year: Year
    grade: Grade
    note: Note = None


class SelfAssessmentUpdate(InputModel):
    grade: Grade = Field(default=None)
    note: Note = None


class GradeIn(InputModel):
    grade: Grade
    note: Note = None


class EvaluationPublic(BaseModel):
    id: int
    unit_id: int
    year: int
    status: EvaluationStatus
    self_grade: Grade
    self_note: str | None
    self_assessed_by: str
    proposed_grade: Grade | None
    proposal_note: str | None
    proposed_by: str | None
    decided_grade: Grade | None
    decision_note: str | None
    decided_by: str | None
    created_at: datetime
    updated_at: datetime

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


class CapIn(InputModel):
    unit_id: Id = Field(description="The superior whose direct children the cap applies to.")
    year: Year
    max_percent: int = Field(ge=0, le=100, description="Most children graded excellent, in %.")


class CapUpdate(InputModel):
    max_percent: int = Field(ge=0, le=100)


class CapPublic(BaseModel):
    id: int
    unit_id: int
    year: int
    max_percent: int
    children: int = Field(description="Direct children open during the year.")
    max_excellent: int = Field(description="How many of them may be graded excellent.")
    excellent: int = Field(description="How many are, by decision.")


class Suggestion(BaseModel):
    unit_id: int
    year: int
    grade: Grade
    grade_label: str
    score: float | None = Field(
        description="0–100: the mean of the recruitment achievement (capped at 100) and the "
        "share of commitments completed, over whichever of the two exist; empty if neither."
    )
    achievement_percent: float | None
    commitments: int
    commitments_completed: int
    reasons: list[str]
