"""Recruitment figures of units over their whole subtrees: a few grouped SQL statements for any
number of units (the closure table joins each row unit to its subtree), never one per unit."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import clock
from app.models import (
    Candidate,
    CandidateStage,
    RecruitmentOutcome,
    RecruitmentTarget,
    Unit,
    UnitClosure,
    subtree_ids,
)
from app.recruitment.candidates import outcome_coverage, overdue_condition, stage_on
from app.recruitment.schemas import RecruitmentFigures, StageCount, UnitRecruitment


def _rolled_up(
    session: Session, per_unit: sa.Subquery, ids: list[int]
) -> dict[int, dict[str, int]]:
    """Sum the per-unit counts of `per_unit` over each row unit's subtree.

    Counting per unit first and joining the closure table after keeps the join as small as
    the number of units, not of records (DESIGN.md: 2.5–5 ms for a 500-unit subtree).
    """
    counts = [c for c in per_unit.c if c.name != "unit_id"]
    row = col(UnitClosure.ancestor_id)
    statement = (
        select(row, *(func.sum(c).label(c.name) for c in counts))
        .join(per_unit, per_unit.c.unit_id == col(UnitClosure.descendant_id))
        .where(row.in_(ids))
        .group_by(row)
    )
    return {
        values[0]: {c.name: int(v or 0) for c, v in zip(counts, values[1:], strict=True)}
        for values in session.execute(statement)
    }


def _count_if(condition: sa.ColumnElement[bool], name: str) -> sa.Label[Any]:
    return func.sum(sa.case((condition, 1), else_=0)).label(name)


def recruitment_figures(
    session: Session, *, units: list[Unit], from_year: int, to_year: int
) -> list[RecruitmentFigures]:
    """Each unit's own targets for the years, and over its subtree: admissions decided in the
    period (individual ones not covered by a reported outcome, and reported outcomes lying
    wholly inside the period), candidates by stage at the period's end (or today if sooner),
    and the alerts overdue today. `units[0]` is the top one: the others lie in its subtree.
    Four statements, whatever the number of units."""
    ids = [u.id for u in units if u.id is not None]
    start, end = date(from_year, 1, 1), date(to_year, 12, 31)
    today = clock.today()
    end_of_period = min(end, today)
    subtree = subtree_ids(ids[0])

    targets = session.execute(
        select(col(RecruitmentTarget.unit_id), func.sum(RecruitmentTarget.target))
        .where(
            col(RecruitmentTarget.unit_id).in_(ids),
            col(RecruitmentTarget.year).between(from_year, to_year),
        )
        .group_by(col(RecruitmentTarget.unit_id))
    )
    target_of = {unit_id: int(total) for unit_id, total in targets}

    in_subtree = col(Candidate.unit_id).in_(subtree)
    # Each candidate's stage is worked out once, then counted per stage.
    known = col(Candidate.source_since) <= end_of_period
    each = (
        select(
            col(Candidate.unit_id),
            sa.case((known, stage_on(end_of_period))).label("stage_at"),
            overdue_condition(today).label("overdue"),
        )
        .where(in_subtree)
        .subquery("each_candidate")
    )
    candidates = (
        select(
            each.c.unit_id,
            _count_if(each.c.overdue, "overdue"),
            *(_count_if(each.c.stage_at == s.value, f"at_{s.value}") for s in CandidateStage),
        )
        .group_by(each.c.unit_id)
        .subquery()
    )
    # Admissions that a reported outcome counted in this period already stands for are left
    # out; an outcome straddling the period is not counted, so neither does it hide any. An
    # anti-join on the small coverage table (in WHERE, so the database can hash it).
    coverage = outcome_coverage()
    decided = (
        select(col(Candidate.unit_id), func.count().label("decided"))
        .where(
            in_subtree,
            col(Candidate.admitted_on).between(start, end),
            ~sa.exists().where(
                coverage.c.unit_id == col(Candidate.unit_id),
                col(Candidate.admitted_on).between(coverage.c.period_start, coverage.c.period_end),
                coverage.c.period_start >= start,
                coverage.c.period_end <= end,
            ),
        )
        .group_by(col(Candidate.unit_id))
        .subquery()
    )
    inside = sa.and_(
        col(RecruitmentOutcome.period_start) >= start, col(RecruitmentOutcome.period_end) <= end
    )
    overlaps = sa.and_(
        col(RecruitmentOutcome.period_start) <= end, col(RecruitmentOutcome.period_end) >= start
    )
    outcomes = (
        select(
            col(RecruitmentOutcome.unit_id),
            func.sum(sa.case((inside, col(RecruitmentOutcome.admitted)), else_=0)).label(
                "reported"
            ),
            _count_if(sa.and_(overlaps, sa.not_(inside)), "straddling"),
        )
        .where(col(RecruitmentOutcome.unit_id).in_(subtree))
        .group_by(col(RecruitmentOutcome.unit_id))
        .subquery()
    )
    people = _rolled_up(session, candidates, ids)
    admissions = _rolled_up(session, decided, ids)
    counts = _rolled_up(session, outcomes, ids)

    figures = []
    for unit in units:
        assert unit.id is not None
        target = target_of.get(unit.id)
        c = people.get(unit.id, {})
        o = counts.get(unit.id, {})
        individual = admissions.get(unit.id, {}).get("decided", 0)
        reported = o.get("reported", 0)
        admitted = individual + reported
        figures.append(
            RecruitmentFigures(
                unit_id=unit.id,
                code=unit.code,
                name=unit.name,
                target=target,
                admitted_individual=individual,
                admitted_reported=reported,
                admitted=admitted,
                achievement_percent=round(100 * admitted / target, 1) if target else None,
                candidates_by_stage=[
                    StageCount(stage=s, label=s.label, count=c.get(f"at_{s.value}", 0))
                    for s in CandidateStage
                ],
                overdue_alerts=c.get("overdue", 0),
                outcomes_straddling=o.get("straddling", 0),
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
