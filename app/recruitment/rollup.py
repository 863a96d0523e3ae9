"""Recruitment figures of units over their whole subtrees: a few grouped SQL statements for any
number of units (the closure table joins each row unit to its subtree), never one per unit."""

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import (
    Candidate,
    CandidateStage,
    RecruitmentOutcome,
    RecruitmentTarget,
    Unit,
    UnitClosure,
)
from app.recruitment import calendar
from app.recruitment.candidates import covered_by_outcome, overdue_condition, stage_on
from app.recruitment.schemas import RecruitmentFigures, StageCount, UnitRecruitment


def _per_unit(session: Session, statement: sa.Select[Any]) -> dict[int, int]:
    return {unit_id: int(value) for unit_id, value in session.execute(statement)}


def recruitment_figures(
    session: Session, *, units: list[Unit], from_year: int, to_year: int
) -> list[RecruitmentFigures]:
    """Each unit's own targets for the years, and over its subtree: admissions decided in the
    period (individual ones not covered by a reported outcome, and reported outcomes lying
    wholly inside the period), candidates by stage at the period's end (or today if sooner),
    and the alerts overdue today."""
    ids = [u.id for u in units]
    start, end = date(from_year, 1, 1), date(to_year, 12, 31)
    today = calendar.today()
    end_of_period = min(end, today)
    row = col(UnitClosure.ancestor_id)
    in_rows = row.in_(ids)

    targets = session.execute(
        select(col(RecruitmentTarget.unit_id), func.sum(RecruitmentTarget.target))
        .where(
            col(RecruitmentTarget.unit_id).in_(ids),
            col(RecruitmentTarget.year).between(from_year, to_year),
        )
        .group_by(col(RecruitmentTarget.unit_id))
    )
    target_of = {unit_id: int(total) for unit_id, total in targets}

    candidates = select(row).join(
        Candidate, col(Candidate.unit_id) == col(UnitClosure.descendant_id)
    )
    individual = _per_unit(
        session,
        candidates.add_columns(func.count())
        .where(
            in_rows,
            col(Candidate.admitted_on).between(start, end),
            sa.not_(covered_by_outcome()),
        )
        .group_by(row),
    )
    overdue = _per_unit(
        session,
        candidates.add_columns(func.count()).where(in_rows, overdue_condition(today)).group_by(row),
    )
    stage = stage_on(end_of_period).label("stage")
    by_stage: dict[int, dict[str, int]] = defaultdict(dict)
    stage_rows = session.execute(
        candidates.add_columns(stage, func.count())
        .where(in_rows, col(Candidate.source_since) <= end_of_period)
        .group_by(row, stage)
    )
    for unit_id, stage_value, count in stage_rows:
        by_stage[unit_id][stage_value] = int(count)

    outcomes = select(row).join(
        RecruitmentOutcome, col(RecruitmentOutcome.unit_id) == col(UnitClosure.descendant_id)
    )
    inside = sa.and_(
        col(RecruitmentOutcome.period_start) >= start, col(RecruitmentOutcome.period_end) <= end
    )
    overlaps = sa.and_(
        col(RecruitmentOutcome.period_start) <= end, col(RecruitmentOutcome.period_end) >= start
    )
    reported = _per_unit(
        session,
        outcomes.add_columns(func.sum(RecruitmentOutcome.admitted))
        .where(in_rows, inside)
        .group_by(row),
    )
    straddling = _per_unit(
        session,
        outcomes.add_columns(func.count()).where(in_rows, overlaps, sa.not_(inside)).group_by(row),
    )

    figures = []
    for unit in units:
        unit_id = unit.id
        assert unit_id is not None
        target = target_of.get(unit_id)
        admitted = individual.get(unit_id, 0) + reported.get(unit_id, 0)
        figures.append(
            RecruitmentFigures(
                unit_id=unit_id,
                code=unit.code,
                name=unit.name,
                target=target,
                admitted_individual=individual.get(unit_id, 0),
                admitted_reported=reported.get(unit_id, 0),
                admitted=admitted,
                achievement_percent=round(100 * admitted / target, 1) if target else None,
                candidates_by_stage=[
                    StageCount(stage=s, label=s.label, count=by_stage[unit_id].get(s.value, 0))
                    for s in CandidateStage
                ],
                overdue_alerts=overdue.get(unit_id, 0),
                outcomes_straddling=straddling.get(unit_id, 0),
            )
        )
    return figures


def unit_progress(session: Session, *, unit: Unit, from_year: int, to_year: int) -> UnitRecruitment:
    """The unit and each direct child, closed ones included: their past still counts."""
    children = session.execute(
        select(Unit).where(col(Unit.parent_id) == unit.id).order_by(col(Unit.name), col(Unit.id))
    ).scalars()
    figures = recruitment_figures(
        session, units=[unit, *children], from_year=from_year, to_year=to_year
    )
    return UnitRecruitment(
        from_year=from_year, to_year=to_year, unit=figures[0], children=figures[1:]
    )
