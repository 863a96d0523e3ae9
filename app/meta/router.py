from fastapi import APIRouter
from pydantic import BaseModel

from app.commitments.workflow import Side
from app.models import (
    ApprovalAction,
    ApprovalStatus,
    CandidateAction,
    CandidateAlert,
    CandidateStage,
    CommitmentAction,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    CriterionMeasure,
    DeliveryStatus,
    DisciplineForm,
    EvaluationStatus,
    EventType,
    Grade,
    ImportKind,
    ImportStatus,
    LineageKind,
    PeriodKind,
    Post,
    Role,
    Sex,
    Structure,
    UnitKind,
)
from app.models.base import LabelledEnum
from app.rules.core import RuleDomain

router = APIRouter(prefix="/meta", tags=["meta"])

ENUMS: dict[str, type[LabelledEnum]] = {
    "unit_kind": UnitKind,
    "post": Post,
    "role": Role,
    "commitment_kind": CommitmentKind,
    "commitment_category": CommitmentCategory,
    "commitment_status": CommitmentStatus,
    "commitment_action": CommitmentAction,
    "commitment_side": Side,
    "sex": Sex,
    "candidate_stage": CandidateStage,
    "candidate_action": CandidateAction,
    "candidate_alert": CandidateAlert,
    "grade": Grade,
    "evaluation_status": EvaluationStatus,
    "lineage_kind": LineageKind,
    "structure": Structure,
    "rule_domain": RuleDomain,
    "period_kind": PeriodKind,
    "criterion_measure": CriterionMeasure,
    "discipline_form": DisciplineForm,
    "approval_status": ApprovalStatus,
    "approval_action": ApprovalAction,
    "import_kind": ImportKind,
    "import_status": ImportStatus,
    "webhook_event_type": EventType,
    "webhook_delivery_status": DeliveryStatus,
}


class EnumValue(BaseModel):
    value: str
    label: str


@router.get("/enums", response_model=dict[str, list[EnumValue]], summary="Every enum, labelled")
def enums() -> dict[str, list[EnumValue]]:
    """Each enum of the API with the official Vietnamese label of every value."""
    return {
        name: [EnumValue(value=member.value, label=member.label) for member in enum]
        for name, enum in ENUMS.items()
    }
