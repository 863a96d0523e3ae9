"""Recruitment figures of units over their whole subtrees: a few grouped SQL statements for any
number of units (the closure table joins each row unit to its subtree), never one per unit."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import clock
from app.core.periods import Period, PeriodPublic
from app.models import (
    Candidate,
    CandidateDue,
    CandidateFlow,
    CandidateStage,
    RecruitmentOutcome,
    RecruitmentTarget,
    Structure,
    Unit,
    UnitClosure,
)
from app.recruitment.candidates import outcome_coverage
from app.recruitment.flows import STAGE_DATES
from app.recruitment.schemas import RecruitmentFigures, StageCount, UnitRecruitment
from app.tree.closure import in_year_structure, subtree_ids, valid_on
from app.tree.versions import Named, units_on


def _rolled_up(
    session: Session, per_unit: sa.Subquery, ids: list[int], tree: sa.ColumnElement[bool]
) -> dict[int, dict[str, int]]:
    """Sum the per-unit counts of `per_unit` over each row unit's subtree in the tree `tree`
    names (`_tree_of`).

    Counting per unit first and joining the closure table after keeps the join as small as
    the number of units, not of records (DESIGN.md: 2.5–5 ms for a 500-unit subtree).
    """
    counts = [c for c in per_unit.c if c.name not in {"unit_id", "year"}]
    row = col(UnitClosure.ancestor_id)
    statement = (
        select(row, *(func.sum(c).label(c.name) for c in counts))
        .join(per_unit, sa.and_(per_unit.c.unit_id == col(UnitClosure.descendant_id), tree))
        # `+ 0`: the list filters the ancestors each unit's closure rows give. As an index key
        # instead, SQLite probes every id of the list for every joined row: 3.5 s for a
        # full-depth report of a province (10,000 ids), 40 ms this way.
        .where((row + 0).in_(ids))
        .group_by(row)
    )
    return {
        values[0]: {c.name: int(v or 0) for c, v in zip(counts, values[1:], strict=True)}
        for values in session.execute(statement)
    }


def _tree_of(per_unit: sa.Subquery, period: Period, structure: Structure) -> sa.ColumnElement[bool]:
    """The closure rows a per-unit count is summed in. Under `current`, today's tree. Under
    `as_of`, a count per `year` in the tree of that year's part of the period: its last day, or
    today if sooner (for whole years `structure_day`; a count of a later year, an outcome
    straddling the period's end, in the tree of the period's end); a count without a year (the
    stages at the period's end) in the tree of the period's end."""
    if structure == Structure.current:
        return valid_on(UnitClosure)
    today = clock.today()
    end_day = min(period.end, today)
    if "year" not in per_unit.c:
        return valid_on(UnitClosure, end_day)
    if period.whole_years:
        return in_year_structure(UnitClosure, per_unit.c.year)
    parts = range(period.first_year, period.last_year + 1)
    day = sa.case(
        *(
            (per_unit.c.year == year, sa.literal(min(date(year, 12, 31), end_day), sa.Date))
            for year in parts
        ),
        else_=sa.literal(end_day, sa.Date),
    )
    return sa.and_(col(UnitClosure.valid_from) <= day, col(UnitClosure.valid_to) > day)


def _count_if(condition: sa.ColumnElement[bool], name: str) -> sa.Label[Any]:
    return func.sum(sa.case((condition, 1), else_=0)).label(name)


def _stages_from_flows(
    session: Session, *, ids: list[int], period: Period, structure: Structure
) -> tuple[dict[int, dict[CandidateStage, int]], dict[int, int]]:
    """For whole years: candidates by stage at the period's end (or today if sooner) and
    admissions decided in it, from the sums kept per unit over its subtree
    (app/recruitment/flows.py), a few rows per unit whatever the candidates below."""
    flow = CandidateFlow
    through = col(flow.year) <= min(period.end, clock.today()).year
    decided_in_period = sa.and_(
        col(flow.stage) == CandidateStage.admitted,
        col(flow.year).between(period.first_year, period.last_year),
    )
    stage_rows = session.execute(
        select(
            col(flow.unit_id),
            col(flow.stage),
            func.sum(
                sa.case(
                    (through, col(flow.entered) - col(flow.exited) + col(flow.carried)), else_=0
                )
            ),
            func.sum(sa.case((decided_in_period, col(flow.entered)), else_=0)),
        )
        .where(col(flow.unit_id).in_(ids), col(flow.structure) == structure)
        .group_by(col(flow.unit_id), col(flow.stage))
    )
    at_stage: dict[int, dict[CandidateStage, int]] = defaultdict(dict)
    decided: dict[int, int] = defaultdict(int)
    for unit_id, stage, count, admitted in stage_rows:
        at_stage[unit_id][CandidateStage(stage)] = int(count)
        decided[unit_id] += int(admitted)
    return at_stage, decided


def _stages_from_candidates(
    session: Session, *, ids: list[int], period: Period, structure: Structure
) -> tuple[dict[int, dict[CandidateStage, int]], dict[int, int]]:
    """For a period that is not whole years, the same figures counted on the candidates of the
    top unit's subtree: the sums are kept per year (DESIGN.md, "Periods shorter than a year").
    Two statements, each counting per unit first and summing over the closure after; they read
    every candidate below the top unit (0.8–0.95 s of a province's quarter, bench/RESULTS.md)."""
    c = Candidate
    top = ids[0]
    subtree = subtree_ids(top, since_ever=True)
    on = min(period.end, clock.today())
    # A candidate is at the stage of its last date on or before the day: dates never decrease
    # along the pipeline (app/recruitment/flows.py STAGE_DATES).
    stage_columns = []
    for position, (stage, field) in enumerate(STAGE_DATES):
        entered = col(getattr(c, field))
        later = [col(getattr(c, f)) for _, f in STAGE_DATES[position + 1 :]]
        following = func.coalesce(*later) if len(later) > 1 else later[0] if later else None
        stays = sa.true() if following is None else sa.or_(following.is_(None), following > on)
        stage_columns.append(_count_if(sa.and_(entered <= on, stays), stage.value))
    stages = (
        select(col(c.unit_id), *stage_columns)
        .where(col(c.unit_id).in_(subtree), col(c.source_since) <= on)
        .group_by(col(c.unit_id))
        .subquery("stages")
    )
    counted = _rolled_up(session, stages, ids, _tree_of(stages, period, structure))
    at_stage = {
        unit_id: {CandidateStage(name): count for name, count in counts.items()}
        for unit_id, counts in counted.items()
    }
    admitted_in = (
        [sa.extract("year", col(c.admitted_on)).label("year")]
        if structure == Structure.as_of
        else []
    )
    admissions = (
        select(col(c.unit_id), *admitted_in, func.count().label("admitted"))
        .where(col(c.unit_id).in_(subtree), col(c.admitted_on).between(period.start, period.end))
        .group_by(col(c.unit_id), *admitted_in)
        .subquery("admissions")
    )
    decided = {
        unit_id: counts["admitted"]
        for unit_id, counts in _rolled_up(
            session, admissions, ids, _tree_of(admissions, period, structure)
        ).items()
    }
    return at_stage, decided


def recruitment_figures(
    session: Session,
    *,
    units: Sequence[Named],
    period: Period,
    structure: Structure = Structure.as_of,
) -> list[RecruitmentFigures]:
    """Each unit's own targets for the years (for a period of whole years only: targets are
    set per year), and over its subtree: admissions decided in the period (individual ones not
    covered by a reported outcome, and reported outcomes lying wholly inside the period),
    candidates by stage at the period's end (or today if sooner), and the alerts overdue today.
    `units[0]` is the top one: the others lie in its subtree. Each figure is summed in the tree
    `structure` names (app/tree/sums.py; for part of a year, the tree of the period's end).
    Six statements whatever the number of units (for part of a year, two counting the
    candidates stand for the targets' and the sums')."""
    as_of = structure == Structure.as_of
    ids = [u.id for u in units if u.id is not None]
    start, end = period.start, period.end
    today = clock.today()
    # Every unit the top one held on any day: each figure is then summed in its own tree.
    subtree = subtree_ids(ids[0], since_ever=True)

    target_of: dict[int, int] = {}
    if period.whole_years:
        targets = session.execute(
            select(col(RecruitmentTarget.unit_id), func.sum(RecruitmentTarget.target))
            .where(
                col(RecruitmentTarget.unit_id).in_(ids),
                col(RecruitmentTarget.year).between(period.first_year, period.last_year),
            )
            .group_by(col(RecruitmentTarget.unit_id))
        )
        target_of = {unit_id: int(total) for unit_id, total in targets}

    # Stages at the period's end and admissions decided in it.
    count_stages = _stages_from_flows if period.whole_years else _stages_from_candidates
    at_stage, decided = count_stages(session, ids=ids, period=period, structure=structure)

    # Alerts are as of today, over the tree of today: the candidates due before today, summed
    # per unit by the write paths (app/recruitment/dues.py).
    overdue_rows = session.execute(
        select(col(CandidateDue.unit_id), func.sum(CandidateDue.candidates))
        .where(col(CandidateDue.unit_id).in_(ids), col(CandidateDue.due_on) < today)
        .group_by(col(CandidateDue.unit_id))
    )
    overdue = {unit_id: int(count) for unit_id, count in overdue_rows}
    # Individual admissions that a reported outcome lying wholly in the period already stands
    # for are taken back out (an outcome straddling the period is not counted, so neither does
    # it hide any). Read from the outcomes' few units, not from every admission; a candidate
    # that two nested outcomes cover is taken back once.
    #
    # The outcomes lying wholly in the period that can reach below the top unit, read first:
    # of units that were ever below it or above it (a probe of the closure each: outcomes are
    # few). Given their ids, the planner joins only their units' subtrees (as one statement it
    # joined every outcome of the country: 16 of a province report's 100 ms, bench/RESULTS.md).
    top, unit_of = ids[0], col(RecruitmentOutcome.unit_id)
    above, below = col(UnitClosure.ancestor_id), col(UnitClosure.descendant_id)
    reaching = session.execute(
        select(col(RecruitmentOutcome.id)).where(
            col(RecruitmentOutcome.period_start) >= start,
            col(RecruitmentOutcome.period_end) <= end,
            sa.exists().where(
                sa.or_(
                    sa.and_(above == top, below == unit_of), sa.and_(above == unit_of, below == top)
                )
            ),
        )
    )
    coverage = outcome_coverage(list(reaching.scalars()))
    # In the `as_of` reading each is summed in the tree of its year; in `current`, of today.
    admitted_in = [sa.extract("year", col(Candidate.admitted_on)).label("year")] if as_of else []
    covered = (
        select(
            col(Candidate.unit_id),
            *admitted_in,
            func.count(sa.distinct(col(Candidate.id))).label("covered"),
        )
        .select_from(coverage)
        .join(
            Candidate,
            sa.and_(
                col(Candidate.unit_id) == coverage.c.unit_id,
                col(Candidate.admitted_on).between(coverage.c.period_start, coverage.c.period_end),
            ),
        )
        .where(coverage.c.unit_id.in_(subtree))
        .group_by(col(Candidate.unit_id), *admitted_in)
        .subquery()
    )
    inside = sa.and_(
        col(RecruitmentOutcome.period_start) >= start, col(RecruitmentOutcome.period_end) <= end
    )
    overlaps = sa.and_(
        col(RecruitmentOutcome.period_start) <= end, col(RecruitmentOutcome.period_end) >= start
    )
    reported_in = (
        [sa.extract("year", col(RecruitmentOutcome.period_end)).label("year")] if as_of else []
    )
    outcomes = (
        select(
            col(RecruitmentOutcome.unit_id),
            *reported_in,
            func.sum(sa.case((inside, col(RecruitmentOutcome.admitted)), else_=0)).label(
                "reported"
            ),
            _count_if(sa.and_(overlaps, sa.not_(inside)), "straddling"),
        )
        .where(col(RecruitmentOutcome.unit_id).in_(subtree))
        .group_by(col(RecruitmentOutcome.unit_id), *reported_in)
        .subquery()
    )
    taken_back = _rolled_up(session, covered, ids, _tree_of(covered, period, structure))
    counts = _rolled_up(session, outcomes, ids, _tree_of(outcomes, period, structure))

    figures = []
    for unit in units:
        assert unit.id is not None
        target = target_of.get(unit.id)
        o = counts.get(unit.id, {})
        individual = decided.get(unit.id, 0) - taken_back.get(unit.id, {}).get("covered", 0)
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
                    StageCount(stage=s, label=s.label, count=at_stage.get(unit.id, {}).get(s, 0))
                    for s in CandidateStage
                ],
                overdue_alerts=overdue.get(unit.id, 0),
                outcomes_straddling=o.get("straddling", 0),
                structure=structure,
            )
        )
    return figures


def unit_progress(
    session: Session, *, unit: Unit, period: Period, structure: Structure = Structure.as_of
) -> UnitRecruitment:
    """The unit and each direct child in the tree of the period's last day (or of today),
    closed ones included: their past still counts. A child established after the period is
    left out: the tree of a past day holds it already (a new unit's closure rows hang it under
    its parent as that parent has stood on every day), but establishing it changes no earlier
    period's answer."""
    day = min(period.end, clock.today()) if structure == Structure.as_of else clock.today()
    view = units_on(day, with_level=False)
    named = view.selected_columns
    top = session.execute(view.where(col(Unit.id) == unit.id)).mappings().one()
    established = sa.or_(col(Unit.valid_from).is_(None), col(Unit.valid_from) <= period.end)
    children = session.execute(
        view.where(named.parent_id == unit.id, established).order_by(named.name, col(Unit.id))
    ).mappings()
    figures = recruitment_figures(
        session,
        units=[Named.of(top), *(Named.of(child) for child in children)],
        period=period,
        structure=structure,
    )
    return UnitRecruitment(
        from_year=period.first_year,
        to_year=period.last_year,
        period=PeriodPublic.of(period),
        unit=figures[0],
        children=figures[1:],
    )
