"""Criteria sets: what party organisations are scored on, with the points of each, 100 in all
(Regulation 366-QĐ/TW's 100-point framework, FACTS-2025.md). Versioned by year: the set of a
period is the stored set of the latest year up to the period's (last) year, or Cam Kết's
default; a new version for a year leaves earlier years' sets and evaluations as they were.

FACTS-2025.md gives the framework's total and the grade bands, not the criteria: the default
set's criteria are Cam Kết's own, built from what it measures (commitments, recruitment) and
one the committee scores, and admins replace them with their committee's own from a year on.
"""

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited
from app.core.errors import ConflictError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.evaluations.schemas import (
    CriteriaSetCreate,
    CriteriaSetPublic,
    CriteriaSetUpdate,
    CriterionPublic,
)
from app.models import CriteriaSet, CriterionMeasure, Evaluation

DEFAULT = CriteriaSetPublic(
    id=None,
    year=None,
    name="Bộ tiêu chí mặc định của Cam Kết (tổ chức đảng)",
    note="Không phải tiêu chí của Quy định 366-QĐ/TW: các tiêu chí và điểm là mặc định, để cấp "
    "ủy thay bằng bộ tiêu chí của mình theo năm. Tổng điểm 100 theo khung của Quy định "
    "366-QĐ/TW.",
    criteria=[
        CriterionPublic(
            code="commitments",
            name="Thực hiện việc khó, vấn đề bức xúc đã đăng ký (cam kết hoàn thành đúng hạn)",
            max_points=30,
            measure=CriterionMeasure.commitments_on_time,
        ),
        CriterionPublic(
            code="recruitment",
            name="Phát triển đảng viên so với chỉ tiêu được giao",
            max_points=20,
            measure=CriterionMeasure.recruitment_achievement,
        ),
        CriterionPublic(
            code="other_tasks",
            name="Các nhiệm vụ khác của tổ chức đảng (cấp ủy chấm điểm)",
            max_points=50,
            measure=None,
        ),
    ],
)


def publish(criteria_set: CriteriaSet) -> CriteriaSetPublic:
    return CriteriaSetPublic.model_validate(criteria_set, from_attributes=True)


def in_force(session: Session, year: int) -> tuple[CriteriaSet | None, CriteriaSetPublic]:
    """The set for a period ending in `year`: the stored one of the latest year up to it, else
    the default (None, the default)."""
    stored = session.execute(
        select(CriteriaSet)
        .where(col(CriteriaSet.year) <= year)
        .order_by(col(CriteriaSet.year).desc())
        .limit(1)
    ).scalar_one_or_none()
    return stored, (publish(stored) if stored is not None else DEFAULT)


def list_sets(session: Session, *, params: PageParams) -> dict[str, Any]:
    statement = select(CriteriaSet).order_by(col(CriteriaSet.year), col(CriteriaSet.id))
    return paginate(session, statement, params, plain=True)


def _criteria(criteria: list[Any]) -> list[dict[str, Any]]:
    return [c.model_dump(mode="json") for c in criteria]


def create_set(session: Session, *, scope: Scope, set_in: CriteriaSetCreate) -> CriteriaSet:
    scope.require_admin(t("set the criteria of evaluations"))
    criteria_set = CriteriaSet(
        year=set_in.year, name=set_in.name, note=set_in.note, criteria=_criteria(set_in.criteria)
    )
    # Shared by the whole tree: no unit's line to lock; the year is unique (a twin from a
    # concurrent create answers 409 from the constraint).
    with audited(session, scope=scope, action="create", entity=criteria_set, unit_id=None):
        existing = session.execute(
            select(col(CriteriaSet.id)).where(col(CriteriaSet.year) == set_in.year)
        ).scalar()
        if existing is not None:
            raise ConflictError(
                t(
                    "Criteria set {existing} is the version of {year}: change it, or make a "
                    "version for a later year.",
                    existing=existing,
                    year=set_in.year,
                )
            )
        session.add(criteria_set)
    return criteria_set


def update_set(
    session: Session, *, scope: Scope, criteria_set: CriteriaSet, set_in: CriteriaSetUpdate
) -> CriteriaSet:
    """Its name and note change at any time; its criteria only while no evaluation is scored
    on it, since an evaluation keeps the points it was given on them."""
    scope.require_admin(t("change the criteria of evaluations"))
    changes = set_in.model_dump(exclude_unset=True)
    if "criteria" in changes:
        changes["criteria"] = _criteria(set_in.criteria)
    with audited(session, scope=scope, action="update", entity=criteria_set, unit_id=None):
        if changes.get("criteria", criteria_set.criteria) != criteria_set.criteria:
            scored = session.execute(
                select(col(Evaluation.id))
                .where(col(Evaluation.criteria_set_id) == criteria_set.id)
                .limit(1)
            ).scalar()
            if scored is not None:
                raise ConflictError(
                    t(
                        "Evaluation {scored} is scored on these criteria: make a version for a "
                        "later year instead.",
                        scored=scored,
                    )
                )
        criteria_set.apply(changes)
    return criteria_set
