from datetime import date, datetime
from typing import Annotated, Self

from pydantic import AfterValidator, BaseModel, model_validator
from pydantic import Field as PydanticField
from sqlmodel import Field

from app.approvals.periods import PERIOD_PATTERN, parse_period
from app.core.i18n import t
from app.core.schemas import Id, InputModel
from app.models import ApprovalAction, ApprovalStatus, PeriodKind


def _a_period(key: str) -> str:
    parse_period(key)  # its ValueError is the field's 422
    return key


PeriodKey = Annotated[
    str,
    PydanticField(
        pattern=PERIOD_PATTERN,
        description="A year (`2025`) or a quarter (`2025Q1`), in DHIS2's notation.",
    ),
    AfterValidator(_a_period),
]
Reason = Annotated[str, Field(min_length=1, max_length=5000)]


class ApprovalCreate(InputModel):
    unit_id: Id
    period: PeriodKey
    note: str | None = Field(default=None, max_length=5000)


class ApprovalStep(InputModel):
    action: ApprovalAction
    reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=5000,
        description="Why: required to return or withdraw.",
    )

    @model_validator(mode="after")
    def _reason_where_required(self) -> Self:
        if self.action in (ApprovalAction.return_, ApprovalAction.withdraw) and not self.reason:
            raise ValueError(t("To {action}, give the reason.", action=self.action))
        return self


class ApprovalPublic(BaseModel):
    id: int
    unit_id: int
    period: str
    period_kind: PeriodKind
    period_start: date
    period_end: date
    superior_id: int | None = Field(
        description="The unit that decides: the unit's parent on the period's last day."
    )
    status: ApprovalStatus
    submitted_at: datetime
    submitted_by: str
    first_submitted_on: date
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None = Field(description="Why it was last returned or withdrawn.")
    note: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class LockExceptionCreate(InputModel):
    unit_id: Id
    period: PeriodKey
    until: date = Field(description="The last day writes are allowed.")
    reason: Reason


class LockExceptionPublic(BaseModel):
    id: int
    unit_id: int
    period: str
    period_start: date
    period_end: date
    until: date
    reason: str
    granted_by: str
    version: int
    created_at: datetime


class CompletenessUnit(BaseModel):
    unit_id: int
    code: str
    name: str
    status: ApprovalStatus | None = Field(description="Empty: nothing submitted.")
    first_submitted_on: date | None
    on_time: bool | None = Field(description="Submitted by the due day; empty if not submitted.")


class Completeness(BaseModel):
    root_id: int
    period: str
    due_on: date = Field(
        description="Submissions are on time until this day: the period's end plus "
        "`CAMKET_APPROVAL_DUE_DAYS` (30, Cam Kết's default, not a rule of the Party)."
    )
    expected: int = Field(description="Units open during the period in the root's subtree.")
    submitted: int = Field(description="Of those, how many submitted (whatever came after).")
    approved: int
    on_time: int
    late: int
    missing: int = Field(description="Expected units that never submitted.")
    units: list[CompletenessUnit]
