"""Admissions reported as counts, where no individual records exist (history, imports)."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import REPORT_ROLES, Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited
from app.core import clock
from app.core.errors import ConflictError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.core.periods import Period
from app.models import Candidate, RecruitmentOutcome, UnitClosure
from app.recruitment.schemas import OutcomeCreate, OutcomeUpdate
from app.tree.closure import lineage_ids, structure_day, subtree_ids, valid_on
from app.tree.holdings import require_open


@dataclass(frozen=True)
class OutcomeFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    period: Period | None = None


def list_outcomes(
    session: Session, *, scope: Scope, params: PageParams, filters: OutcomeFilters
) -> dict[str, Any]:
    statement = select(RecruitmentOutcome).where(
        scope.covers(
            RecruitmentOutcome.unit_id, sa.extract("year", col(RecruitmentOutcome.period_end))
        )
    )
    if filters.root_id is not None:
        statement = statement.where(
            col(RecruitmentOutcome.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    if filters.unit_id is not None:
        statement = statement.where(col(RecruitmentOutcome.unit_id) == filters.unit_id)
    if filters.period is not None:
        statement = statement.where(
            col(RecruitmentOutcome.period_start) <= filters.period.end,
            col(RecruitmentOutcome.period_end) >= filters.period.start,
        )
    order = (col(RecruitmentOutcome.period_start), col(RecruitmentOutcome.id))
    return paginate(session, statement.order_by(*order), params, plain=True)


def _lineage(unit_id: int) -> sa.Select[Any]:
    """The unit, the units above it and the units below it: outcomes of any two of them over
    the same days would count the same admissions twice."""
    return sa.union(lineage_ids(unit_id), subtree_ids(unit_id))  # type: ignore[return-value]


def _check(session: Session, outcome: RecruitmentOutcome) -> None:
    """Under the outcome's line (`audited`): outcomes and admissions written meanwhile in the
    line, or below it (their lines hold this unit), are seen."""
    if outcome.period_end < outcome.period_start:
        raise InvalidValueError("period_end", t("period_end falls before period_start."))
    if outcome.period_start > clock.today():
        raise InvalidValueError("period_start", t("The period has not begun."))
    require_open(
        session, outcome.unit_id, on=outcome.period_end, what=t("period of admissions ending")
    )
    overlapping = (
        session.execute(
            select(RecruitmentOutcome).where(
                col(RecruitmentOutcome.unit_id).in_(_lineage(outcome.unit_id)),
                col(RecruitmentOutcome.period_start) <= outcome.period_end,
                col(RecruitmentOutcome.period_end) >= outcome.period_start,
                col(RecruitmentOutcome.id) != (outcome.id or 0),
            )
        )
        .scalars()
        .first()
    )
    if overlapping is not None:
        raise ConflictError(
            t(
                "Outcome {id} of unit {unit_id} already reports {period_start} to {period_end}: "
                "the same admissions would be counted twice.",
                id=overlapping.id,
                unit_id=overlapping.unit_id,
                period_start=overlapping.period_start,
                period_end=overlapping.period_end,
            )
        )
    if outcome.replaces_individual:
        return
    individual = session.execute(
        select(sa.func.count())
        .select_from(Candidate)
        .join(UnitClosure, col(UnitClosure.descendant_id) == col(Candidate.unit_id))
        .where(
            col(UnitClosure.ancestor_id) == outcome.unit_id,
            # The subtree whose figures the outcome joins: that of its period's last year.
            valid_on(UnitClosure, structure_day(outcome.period_end.year)),
            col(Candidate.admitted_on).between(outcome.period_start, outcome.period_end),
        )
    ).scalar_one()
    if individual:
        raise ConflictError(
            t(
                "{individual} individual admissions of unit {unit_id}'s subtree fall in this "
                "period: set replaces_individual to report them as this count instead.",
                individual=individual,
                unit_id=outcome.unit_id,
            )
        )


def _require_unlocked(session: Session, outcome: RecruitmentOutcome) -> None:
    require_unlocked(
        session, unit_id=outcome.unit_id, first=outcome.period_start, last=outcome.period_end
    )


def create_outcome(
    session: Session, *, scope: Scope, outcome_in: OutcomeCreate
) -> RecruitmentOutcome:
    scope.named_unit(outcome_in.unit_id)
    scope.require_write(outcome_in.unit_id, t("report admissions of this unit"), REPORT_ROLES)
    outcome = RecruitmentOutcome.model_validate(outcome_in)
    with audited(session, scope=scope, action="create", entity=outcome, lines=[outcome.unit_id]):
        _require_unlocked(session, outcome)
        _check(session, outcome)
        session.add(outcome)
    return outcome


def update_outcome(
    session: Session, *, scope: Scope, outcome: RecruitmentOutcome, outcome_in: OutcomeUpdate
) -> RecruitmentOutcome:
    scope.require_write(outcome.unit_id, t("change admissions of this unit"), REPORT_ROLES)
    with (
        audited(session, scope=scope, action="update", entity=outcome, lines=[outcome.unit_id]),
        session.no_autoflush,
    ):
        _require_unlocked(session, outcome)
        if outcome.apply(outcome_in.model_dump(exclude_unset=True)):
            _require_unlocked(session, outcome)
            _check(session, outcome)
    return outcome


def delete_outcome(session: Session, *, scope: Scope, outcome: RecruitmentOutcome) -> None:
    scope.require_write(outcome.unit_id, t("remove admissions of this unit"), REPORT_ROLES)
    with audited(session, scope=scope, action="delete", entity=outcome, lines=[outcome.unit_id]):
        _require_unlocked(session, outcome)
        session.delete(outcome)
