"""Year-end evaluations: the unit's self-assessment, the superior's proposal and decision, the
cap on excellent grades among a superior's children, and a suggested grade with its reasons."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.access.scope import REPORT_ROLES, Scope
from app.audit.service import audited
from app.commitments.workflow import FINISHED
from app.core.config import settings
from app.core.errors import ConflictError
from app.core.pagination import PageParams, paginate
from app.evaluations.schemas import (
    CapIn,
    CapPublic,
    CapUpdate,
    GradeIn,
    SelfAssessmentIn,
    SelfAssessmentUpdate,
    Suggestion,
)
from app.models import (
    Commitment,
    CommitmentStatus,
    Evaluation,
    EvaluationStatus,
    ExcellenceCap,
    Grade,
    Unit,
)
from app.recruitment.rollup import recruitment_figures
from app.recruitment.schemas import RecruitmentFigures
from app.tree.closure import (
    children_ids,
    open_during,
    parent_id_on,
    structure_day,
    subtree_ids,
)
from app.tree.holdings import require_open, year_start
from app.tree.versions import Named


@dataclass(frozen=True)
class EvaluationFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    year: int | None = None
    status: EvaluationStatus | None = None


def list_evaluations(
    session: Session, *, scope: Scope, params: PageParams, filters: EvaluationFilters
) -> dict[str, Any]:
    statement = select(Evaluation).where(scope.covers(Evaluation.unit_id, Evaluation.year))
    if filters.root_id is not None:
        statement = statement.where(
            col(Evaluation.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    equal = {
        Evaluation.unit_id: filters.unit_id,
        Evaluation.year: filters.year,
        Evaluation.status: filters.status,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(col(column) == value)
    order = (col(Evaluation.year), col(Evaluation.unit_id))
    return paginate(session, statement.order_by(*order), params, plain=True)


def self_assess(session: Session, *, scope: Scope, assessment_in: SelfAssessmentIn) -> Evaluation:
    scope.named_unit(assessment_in.unit_id)
    scope.require_write(assessment_in.unit_id, "assess this unit")
    evaluation = Evaluation(
        unit_id=assessment_in.unit_id,
        year=assessment_in.year,
        status=EvaluationStatus.self_assessed,
        self_grade=assessment_in.grade,
        self_note=assessment_in.note,
        self_assessed_by=scope.principal.name,
    )
    with audited(
        session, scope=scope, action="create", entity=evaluation, lines=[evaluation.unit_id]
    ):
        require_open(
            session,
            evaluation.unit_id,
            on=year_start(evaluation.year),
            what="evaluation of the year",
        )
        existing = session.execute(
            select(col(Evaluation.id)).where(
                col(Evaluation.unit_id) == assessment_in.unit_id,
                col(Evaluation.year) == assessment_in.year,
            )
        ).scalar()
        if existing is not None:
            raise ConflictError(
                f"Unit {assessment_in.unit_id} already has evaluation {existing} for "
                f"{assessment_in.year}."
            )
        session.add(evaluation)
    return evaluation


def _save(
    session: Session, scope: Scope, evaluation: Evaluation, action: str, changes: dict[str, Any]
) -> Evaluation:
    with audited(
        session, scope=scope, action=action, entity=evaluation, lines=[evaluation.unit_id]
    ):
        evaluation.apply(changes)
    return evaluation


def update_self_assessment(
    session: Session, *, scope: Scope, evaluation: Evaluation, update_in: SelfAssessmentUpdate
) -> Evaluation:
    scope.require_write(evaluation.unit_id, "assess this unit")
    if evaluation.status != EvaluationStatus.self_assessed:
        raise ConflictError("The superior has taken the evaluation up: it no longer changes.")
    changes = update_in.model_dump(exclude_unset=True)
    renamed = {"grade": "self_grade", "note": "self_note"}
    return _save(session, scope, evaluation, "update", {renamed[k]: v for k, v in changes.items()})


def _superior_of(session: Session, evaluation: Evaluation) -> int | None:
    """The unit above in the tree of the evaluated year (app/tree): it proposes and decides."""
    on = structure_day(evaluation.year)
    return session.execute(parent_id_on(evaluation.unit_id, on)).scalar_one_or_none()


def propose(
    session: Session, *, scope: Scope, evaluation: Evaluation, grade_in: GradeIn
) -> Evaluation:
    """By the superior's managers or reporters (its organisation staff), until decided."""
    scope.require_write(
        _superior_of(session, evaluation), "propose this unit's grade", REPORT_ROLES
    )
    if evaluation.status == EvaluationStatus.decided:
        raise ConflictError("The evaluation is decided.")
    return _save(
        session,
        scope,
        evaluation,
        "propose",
        {
            "status": EvaluationStatus.proposed,
            "proposed_grade": grade_in.grade,
            "proposal_note": grade_in.note,
            "proposed_by": scope.principal.name,
        },
    )


def _children_during(session: Session, parent_id: int, year: int) -> int:
    """The units below `parent_id` in the year's tree that were open during the year."""
    return (
        session.scalar(
            select(func.count()).where(
                col(Unit.id).in_(children_ids(parent_id, structure_day(year))),
                open_during(date(year, 1, 1), date(year, 12, 31)),
            )
        )
        or 0
    )


def _excellent_among_children(
    session: Session, parent_id: int, year: int, *, besides: int | None = None
) -> int:
    children = children_ids(parent_id, structure_day(year))
    return (
        session.scalar(
            select(func.count()).where(
                col(Evaluation.unit_id).in_(children),
                col(Evaluation.year) == year,
                col(Evaluation.decided_grade) == Grade.excellent,
                col(Evaluation.id) != (besides or 0),
            )
        )
        or 0
    )


def _max_excellent(max_percent: int, children: int) -> int:
    return max_percent * children // 100


def _find_cap(session: Session, parent_id: int, year: int) -> ExcellenceCap | None:
    return session.execute(
        select(ExcellenceCap).where(
            col(ExcellenceCap.unit_id) == parent_id, col(ExcellenceCap.year) == year
        )
    ).scalar_one_or_none()


def decide(
    session: Session, *, scope: Scope, evaluation: Evaluation, grade_in: GradeIn
) -> Evaluation:
    """By the superior's managers, once proposed; an excellent grade must fit the superior's cap."""
    parent_id = _superior_of(session, evaluation)
    scope.require_write(parent_id, "decide this unit's grade")
    if evaluation.status != EvaluationStatus.proposed:
        raise ConflictError(
            f"The evaluation is {evaluation.status.value}: it is decided once proposed."
        )
    changes = {
        "status": EvaluationStatus.decided,
        "decided_grade": grade_in.grade,
        "decision_note": grade_in.note,
        "decided_by": scope.principal.name,
    }
    # The line holds the superior: concurrent decisions under one cap count each other.
    with audited(
        session, scope=scope, action="decide", entity=evaluation, lines=[evaluation.unit_id]
    ):
        cap = _find_cap(session, parent_id, evaluation.year) if parent_id else None
        if cap is not None and grade_in.grade == Grade.excellent:
            allowed = _max_excellent(
                cap.max_percent, _children_during(session, cap.unit_id, cap.year)
            )
            taken = _excellent_among_children(session, cap.unit_id, cap.year, besides=evaluation.id)
            if taken + 1 > allowed:
                raise ConflictError(
                    f"Unit {cap.unit_id} caps excellent grades at {cap.max_percent}% of its "
                    f"children in {cap.year} ({allowed}); {taken} already hold one."
                )
        evaluation.apply(changes)
    return evaluation


# --- caps -----------------------------------------------------------------------------------


def publish_cap(session: Session, cap: ExcellenceCap) -> CapPublic:
    children = _children_during(session, cap.unit_id, cap.year)
    return CapPublic(
        id=cap.id,
        unit_id=cap.unit_id,
        year=cap.year,
        max_percent=cap.max_percent,
        children=children,
        max_excellent=_max_excellent(cap.max_percent, children),
        excellent=_excellent_among_children(session, cap.unit_id, cap.year),
    )


def list_caps(
    session: Session, *, scope: Scope, params: PageParams, unit_id: int | None, year: int | None
) -> dict[str, Any]:
    statement = select(ExcellenceCap).where(scope.covers(ExcellenceCap.unit_id, ExcellenceCap.year))
    if unit_id is not None:
        statement = statement.where(col(ExcellenceCap.unit_id) == unit_id)
    if year is not None:
        statement = statement.where(col(ExcellenceCap.year) == year)
    order = (col(ExcellenceCap.year), col(ExcellenceCap.unit_id))
    page = paginate(session, statement.order_by(*order), params)
    # Two counts per cap: caps are one per superior and year, so a page holds few.
    page["items"] = [publish_cap(session, cap) for cap in page["items"]]
    return page


def _check_cap(session: Session, cap: ExcellenceCap) -> None:
    taken = _excellent_among_children(session, cap.unit_id, cap.year)
    allowed = _max_excellent(cap.max_percent, _children_during(session, cap.unit_id, cap.year))
    if taken > allowed:
        raise ConflictError(
            f"{taken} of unit {cap.unit_id}'s children already hold an excellent grade for "
            f"{cap.year}; a cap of {cap.max_percent}% allows {allowed}."
        )


def create_cap(session: Session, *, scope: Scope, cap_in: CapIn) -> ExcellenceCap:
    scope.named_unit(cap_in.unit_id)
    scope.require_write(cap_in.unit_id, "cap the grades of this unit's children")
    cap = ExcellenceCap.model_validate(cap_in)
    with audited(session, scope=scope, action="create", entity=cap, lines=[cap.unit_id]):
        existing = _find_cap(session, cap_in.unit_id, cap_in.year)
        if existing is not None:
            raise ConflictError(
                f"Unit {cap_in.unit_id} already has cap {existing.id} for {cap_in.year}: change it."
            )
        _check_cap(session, cap)
        session.add(cap)
    return cap


def update_cap(
    session: Session, *, scope: Scope, cap: ExcellenceCap, cap_in: CapUpdate
) -> ExcellenceCap:
    scope.require_write(cap.unit_id, "cap the grades of this unit's children")
    with audited(session, scope=scope, action="update", entity=cap, lines=[cap.unit_id]):
        if cap.apply(cap_in.model_dump(exclude_unset=True)):
            _check_cap(session, cap)
    return cap


# --- suggestion -----------------------------------------------------------------------------


def suggest(
    session: Session, *, unit: Unit, year: int, figures: RecruitmentFigures | None = None
) -> Suggestion:
    """The rule, in order: a commitment not completed, or a recruitment achievement under the
    `completed` threshold, gives *not completed*; the `excellent` threshold with every
    commitment completed (at least one) gives *excellent*; the `good` threshold (or no target)
    with no commitment unfinished gives *good*; anything else *completed*."""
    if figures is None:
        assert unit.id is not None
        named = Named(unit.id, unit.code, unit.name, unit.parent_id)
        (figures,) = recruitment_figures(session, units=[named], from_year=year, to_year=year)
    # The thresholds compare the exact ratio: 49.96% is under 50% even if shown as 50%. A
    # target of 0 is met by definition.
    target = figures.target
    achievement = None if target is None else (100 * figures.admitted / target if target else 100.0)
    statuses = list(
        session.execute(
            select(col(Commitment.status)).where(
                col(Commitment.unit_id) == unit.id,
                col(Commitment.year) == year,
                col(Commitment.status) != CommitmentStatus.cancelled,
            )
        ).scalars()
    )
    completed = statuses.count(CommitmentStatus.completed)
    failed = statuses.count(CommitmentStatus.not_completed)
    unfinished = sum(1 for s in statuses if s not in FINISHED)
    # The reasons are read by the committees themselves, and exported: in Vietnamese.
    reasons = []
    if achievement is None:
        reasons.append(f"Năm {year} không có chỉ tiêu kết nạp đảng viên: không tính tiêu chí này.")
    elif target == 0:
        reasons.append(f"Chỉ tiêu kết nạp năm {year} là 0: coi như đạt chỉ tiêu.")
    else:
        reasons.append(
            f"Kết nạp {figures.admitted}/{figures.target} đảng viên theo chỉ tiêu "
            f"(đạt {figures.achievement_percent:g}%)."
        )
    reasons.append(
        f"Cam kết (không tính cam kết đã hủy): {len(statuses)}, {completed} hoàn thành, "
        f"{failed} không hoàn thành, {unfinished} chưa kết thúc."
    )
    s = settings
    if failed:
        grade = Grade.not_completed
        reasons.append("Có cam kết không hoàn thành.")
    elif achievement is not None and achievement < s.grade_completed_min_achievement:
        grade = Grade.not_completed
        reasons.append(f"Tỷ lệ đạt chỉ tiêu dưới {s.grade_completed_min_achievement:g}%.")
    elif (
        achievement is not None
        and achievement >= s.grade_excellent_min_achievement
        and statuses
        and completed == len(statuses)
    ):
        grade = Grade.excellent
        reasons.append(
            f"Đạt chỉ tiêu (từ {s.grade_excellent_min_achievement:g}%) và hoàn thành mọi cam kết."
        )
    elif (achievement is None or achievement >= s.grade_good_min_achievement) and not unfinished:
        grade = Grade.good
        reasons.append(
            f"Tỷ lệ đạt chỉ tiêu từ {s.grade_good_min_achievement:g}% (hoặc không có chỉ tiêu) "
            "và không còn cam kết chưa kết thúc."
        )
    else:
        grade = Grade.completed
        reasons.append("Chưa đủ điều kiện xếp loại xuất sắc hoặc tốt.")
    parts = [min(achievement, 100.0)] if achievement is not None else []
    if statuses:
        parts.append(100 * completed / len(statuses))
    return Suggestion(
        unit_id=unit.id,
        year=year,
        grade=grade,
        grade_label=grade.label,
        score=round(sum(parts) / len(parts), 1) if parts else None,
        achievement_percent=figures.achievement_percent,
        commitments=len(statuses),
        commitments_completed=completed,
        reasons=reasons,
    )
