from datetime import date, datetime
from typing import Annotated

from pydantic import AnyHttpUrl, BaseModel, StringConstraints, computed_field
from sqlmodel import Field

from app.commitments.workflow import Side
from app.core.schemas import Id, InputModel, Year
from app.models import (
    CommitmentAction,
    CommitmentBase,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
)

Criterion = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class CommitmentCreate(CommitmentBase, InputModel):
    unit_id: Id
    registered_with_id: Id
    directive_id: Id
    year: Year
    responsible_person_id: Id | None = None
    directing_person_id: Id | None = None
    success_criteria: list[Criterion] = Field(default_factory=list, max_length=30)


class CommitmentUpdate(InputModel):
    """Only while the commitment is a draft (new, or returned by the superior)."""

    registered_with_id: Id = Field(default=None)
    directive_id: Id = Field(default=None)
    year: Year = Field(default=None)
    kind: CommitmentKind = Field(default=None)
    category: CommitmentCategory = Field(default=None)
    title: str = Field(default=None, min_length=1, max_length=500)
    description: str | None = Field(default=None, max_length=10_000)
    success_criteria: list[Criterion] = Field(default=None, max_length=30)
    deadline: date | None = None
    responsible_person_id: Id | None = None
    directing_person_id: Id | None = None


class CommitmentPublic(CommitmentBase):
    id: int
    status: CommitmentStatus
    progress_percent: int
    result_summary: str | None
    escalated_to: str | None
    carried_to_id: int | None = Field(
        default=None,
        description="The unit that carries the commitment's work on since its own unit closed "
        "in a reorganisation.",
    )
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def status_label(self) -> str:
        return self.status.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        return self.kind.label

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category_label(self) -> str:
        return self.category.label


class TransitionIn(InputModel):
    action: CommitmentAction
    note: str | None = Field(default=None, max_length=5000, description="Required to return.")
    result_summary: str | None = Field(
        default=None, min_length=1, max_length=10_000, description="Required to finish."
    )
    escalated_to: str | None = Field(
        default=None, min_length=1, max_length=500, description="The competent authority."
    )


class CommitmentEventPublic(BaseModel):
    id: int
    action: CommitmentAction
    from_status: CommitmentStatus
    to_status: CommitmentStatus
    note: str | None
    actor: str
    at: datetime


class WorkflowTransition(BaseModel):
    action: CommitmentAction
    action_label: str
    from_statuses: list[CommitmentStatus]
    to_status: CommitmentStatus
    taken_by: Side
    requires: list[str]


class ProgressUpdateCreate(InputModel):
    reported_on: date
    progress_percent: int | None = Field(
        default=None, ge=0, le=100, description="Empty for a note without an assessment."
    )
    note: str = Field(min_length=1, max_length=5000)
    evidence_links: list[AnyHttpUrl] = Field(default_factory=list, max_length=20)


class ProgressUpdatePublic(BaseModel):
    id: int
    commitment_id: int
    reported_on: date
    progress_percent: int | None
    note: str
    evidence_links: list[str]
    actor: str
    created_at: datetime
