"""Reports over a subtree and a period: each is a few grouped SQL statements over the closure
table, whatever the number of units, never one query per unit."""

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.commitments.service import commitments_in, overdue_condition
from app.core import clock
from app.core.periods import Period, PeriodPublic
from app.disciplines.counts import disciplined_in
from app.evaluations.schemas import EvaluationPublic
from app.evaluations.service import suggest
from app.models import (
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Evaluation,
    PeriodKind,
    Person,
    Structure,
    Unit,
    UnitClosure,
    UnitVersion,
)
from app.recruitment.rollup import recruitment_figures
from app.reports.schemas import (
    CommitmentFigures,
    CommitmentLine,
    CommitmentsReport,
    RecruitmentReport,
    RecruitmentRow,
    Scorecard,
)
from app.tree.closure import (
    histories_carried,
    open_during,
    subtree_ids,
    valid_on,
)
from app.tree.versions import Named, units_on

NOT_YET_ACCEPTED = (CommitmentStatus.draft, CommitmentStatus.registered)


def _unit_on(session: Session, unit: Unit, day: date) -> Named:
    """The unit with the code, name and parent it had on `day`."""
    view = units_on(day, with_level=False)
    return Named.of(session.execute(view.where(col(Unit.id) == unit.id)).mappings().one())


def _rows_below(
    session: Session, *, root: Unit, day: date, depth: int, start: date, end: date
) -> tuple[Named, list[Named]]:
    """The root and the units down to `depth` below it in the tree of `day` (app/tree), open at
    some time from `start` to the later of `end` and `day` (a report under today's tree also
    shows the units that carry a period's figures on today), with the code, name and parent
    they had on `day`."""
    # The units first, then their versions and parents: given the ids, the planner knows how
    # few rows it joins. As one join it took a root's average subtree for this one's and read
    # every unit's versions (30 of a province report's 100 ms on the country, bench/RESULTS.md).
    closure = session.execute(
        select(col(UnitClosure.descendant_id), col(UnitClosure.depth)).where(
            col(UnitClosure.ancestor_id) == root.id,
            col(UnitClosure.depth).between(1, depth),
            valid_on(UnitClosure, day),
        )
    )
    depth_of = dict(closure.all())
    below = session.execute(
        units_on(day, with_level=False).where(
            col(Unit.id).in_(list(depth_of)), open_during(start, max(end, day))
        )
    ).mappings()
    return _unit_on(session, root, day), [Named.of(m, depth_of[m["id"]]) for m in below]


def _tree_order(root_id: int | None, units: list[Named]) -> list[Named]:
    """Depth first, siblings by name: each unit right under its parent, as reports read."""
    children: dict[int | None, list[Named]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: (u.name, u.id)):
        children[unit.parent_id].append(unit)
    ordered: list[Named] = []
    stack = list(reversed(children[root_id]))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(reversed(children[unit.id]))
    return ordered


def tree_day(period: Period, structure: Structure) -> date:
    """The day whose tree a report's rows stand in: the period's last, or today if sooner
    (as_of), or today (current)."""
    today = clock.today()
    return min(period.end, today) if structure == Structure.as_of else today


def recruitment_report(
    session: Session,
    *,
    root: Unit,
    period: Period,
    depth: int,
    structure: Structure = Structure.as_of,
) -> RecruitmentReport:
    # Rows in the tree of the period's last day (as_of: each year's figures in that year's
    # tree) or of today (current).
    day = tree_day(period, structure)
    top, below = _rows_below(
        session, root=root, day=day, depth=depth, start=period.start, end=period.end
    )
    units = _tree_order(root.id, below)
    figures = recruitment_figures(session, units=[top, *units], period=period, structure=structure)
    carried = histories_carried(session, [unit.id for unit in units], day)
    rows = [
        # The figures are validated already: not a second time per row (a province at full
        # depth has 10,000 of them).
        RecruitmentRow.model_construct(
            **f.__dict__,
            parent_id=unit.parent_id,
            depth=unit.depth,
            carries_history_of=carried.get(unit.id, []),
        )
        for unit, f in zip(units, figures[1:], strict=True)
    ]
    return RecruitmentReport(
        root_id=root.id,
        from_year=period.first_year,
        to_year=period.last_year,
        period=PeriodPublic.of(period),
        depth=depth,
        structure=structure,
        issued_on=clock.today(),
        rows=rows,
        totals=figures[0],
    )


def _empty_figures(unit: Named) -> dict[str, Any]:
    return {
        "unit_id": unit.id,
        "code": unit.code,
        "name": unit.name,
        "total": 0,
        "by_status": dict.fromkeys(CommitmentStatus, 0),
        "by_kind": dict.fromkeys(CommitmentKind, 0),
        "by_category": dict.fromkeys(CommitmentCategory, 0),
        "by_status_and_category": {
            s: dict.fromkeys(CommitmentCategory, 0) for s in CommitmentStatus
        },
        "overdue": 0,
        "not_yet_accepted": 0,
    }


def commitment_figures(
    session: Session, *, units: list[Named], period: Period, today: date, structure: Structure
) -> list[CommitmentFigures]:
    """One grouped statement for every unit's subtree in the tree of the period (or of today)."""
    figures = {unit.id: _empty_figures(unit) for unit in units}
    overdue = sa.case((overdue_condition(today), 1), else_=0)
    rows = session.execute(
        select(
            col(UnitClosure.ancestor_id),
            col(Commitment.status),
            col(Commitment.category),
            col(Commitment.kind),
            func.count(),
            func.sum(overdue),
        )
        .join(Commitment, col(Commitment.unit_id) == col(UnitClosure.descendant_id))
        .where(
            col(UnitClosure.ancestor_id).in_(list(figures)),
            valid_on(UnitClosure, tree_day(period, structure)),
            commitments_in(period),
        )
        .group_by(
            col(UnitClosure.ancestor_id),
            col(Commitment.status),
            col(Commitment.category),
            col(Commitment.kind),
        )
    )
    for unit_id, status, category, kind, count, overdue_count in rows:
        f = figures[unit_id]
        f["total"] += count
        f["by_status"][status] += count
        f["by_kind"][kind] += count
        f["by_category"][category] += count
        f["by_status_and_category"][status][category] += count
        f["overdue"] += int(overdue_count or 0)
        if status in NOT_YET_ACCEPTED:
            f["not_yet_accepted"] += count
    carried = histories_carried(
        session, [unit.id for unit in units[1:]], tree_day(period, structure)
    )
    return [
        CommitmentFigures.model_validate(
            figures[unit.id]
            | {"structure": structure, "carries_history_of": carried.get(unit.id, [])}
        )
        for unit in units
    ]


def commitment_lines(
    session: Session, *, where: sa.ColumnElement[bool], period: Period, today: date
) -> list[CommitmentLine]:
    """The commitments of the period matching `where` with their unit (as it was named at the
    period's end) and directing member, by member."""
    named = UnitVersion
    rows = session.execute(
        select(
            col(Commitment.id),
            col(Commitment.unit_id),
            col(named.code).label("unit_code"),
            col(named.name).label("unit_name"),
            col(Commitment.registered_with_id),
            col(Commitment.title),
            col(Commitment.kind),
            col(Commitment.category),
            col(Commitment.status),
            col(Commitment.progress_percent),
            col(Commitment.deadline),
            sa.case((overdue_condition(today), True), else_=False).label("overdue"),
            col(Commitment.directing_person_id),
            col(Person.full_name).label("directing_person_name"),
        )
        .join(
            named,
            sa.and_(
                col(named.unit_id) == col(Commitment.unit_id),
                valid_on(named, min(period.end, today)),
            ),
        )
        .outerjoin(Person, col(Person.id) == col(Commitment.directing_person_id))
        .where(where, commitments_in(period))
        .order_by(col(Person.full_name).asc().nulls_last(), col(named.name), col(Commitment.id))
    ).mappings()
    return [CommitmentLine.model_validate(dict(row)) for row in rows]


def commitments_report(
    session: Session, *, root: Unit, period: Period, structure: Structure = Structure.as_of
) -> CommitmentsReport:
    today = clock.today()
    day = tree_day(period, structure)
    top, children = _rows_below(
        session, root=root, day=day, depth=1, start=period.start, end=period.end
    )
    children.sort(key=lambda row: (row.name, row.id))
    figures = commitment_figures(
        session, units=[top, *children], period=period, today=today, structure=structure
    )
    subtree = subtree_ids(root.id, day)
    return CommitmentsReport(
        root_id=root.id,
        year=period.last_year,
        period=PeriodPublic.of(period),
        structure=structure,
        issued_on=today,
        rows=figures[1:],
        totals=figures[0],
        commitments=commitment_lines(
            session, where=col(Commitment.unit_id).in_(subtree), period=period, today=today
        ),
    )


def scorecard(
    session: Session, *, unit: Unit, period: Period, structure: Structure = Structure.as_of
) -> Scorecard:
    """For part of a year, the evaluation and the suggested grade (set per year) are empty."""
    assert unit.id is not None
    today = clock.today()
    day = tree_day(period, structure)
    year = period.last_year
    top = _unit_on(session, unit, day)
    (recruitment,) = recruitment_figures(session, units=[top], period=period, structure=structure)
    evaluation = (
        session.execute(
            select(Evaluation).where(
                col(Evaluation.unit_id) == unit.id,
                col(Evaluation.year) == year,
                col(Evaluation.period_kind) == PeriodKind.year,
            )
        ).scalar_one_or_none()
        if period.whole_years
        else None
    )
    disciplined = disciplined_in(
        session, unit_id=unit.id, start=period.start, end=period.end, tree_day=day
    )
    return Scorecard(
        unit_id=unit.id,
        code=top.code,
        name=top.name,
        year=year,
        period=PeriodPublic.of(period),
        issued_on=today,
        commitments=commitment_lines(
            session, where=col(Commitment.unit_id) == unit.id, period=period, today=today
        ),
        recruitment=recruitment,
        evaluation=EvaluationPublic.model_validate(evaluation, from_attributes=True)
        if evaluation
        else None,
        suggestion=suggest(session, unit=unit, year=year, figures=recruitment)
        if period.whole_years
        else None,
        disciplined_organisations=disciplined.organisations,
        disciplined_leaders=disciplined.leaders,
    )
