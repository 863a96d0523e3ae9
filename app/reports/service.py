"""Reports over a subtree and a period: each is a few grouped SQL statements over the closure
table, whatever the number of units, never one query per unit."""

from collections import defaultdict
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.commitments.service import overdue_condition
from app.core import clock
from app.evaluations.schemas import EvaluationPublic
from app.evaluations.service import suggest
from app.models import (
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Evaluation,
    Person,
    Unit,
    UnitClosure,
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
from app.tree.closure import open_during, subtree_ids

NOT_YET_ACCEPTED = (CommitmentStatus.draft, CommitmentStatus.registered)


def _tree_order(root_id: int | None, units: list[Unit]) -> list[Unit]:
    """Depth first, siblings by name: each unit right under its parent, as reports read."""
    children: dict[int | None, list[Unit]] = defaultdict(list)
    for unit in sorted(units, key=lambda u: (u.name, u.id or 0)):
        children[unit.parent_id].append(unit)
    ordered: list[Unit] = []
    stack = list(reversed(children[root_id]))
    while stack:
        unit = stack.pop()
        ordered.append(unit)
        stack.extend(reversed(children[unit.id]))
    return ordered


def recruitment_report(
    session: Session, *, root: Unit, from_year: int, to_year: int, depth: int
) -> RecruitmentReport:
    start, end = date(from_year, 1, 1), date(to_year, 12, 31)
    below = session.execute(
        select(Unit, col(UnitClosure.depth))
        .join(UnitClosure, col(UnitClosure.descendant_id) == col(Unit.id))
        .where(
            col(UnitClosure.ancestor_id) == root.id,
            col(UnitClosure.depth).between(1, depth),
            open_during(start, end),
        )
    ).all()
    depth_of = {unit.id: level for unit, level in below}
    units = _tree_order(root.id, [unit for unit, _ in below])
    figures = recruitment_figures(
        session, units=[root, *units], from_year=from_year, to_year=to_year
    )
    rows = [
        # The figures are validated already: not a second time per row (a province at full
        # depth has 10,000 of them).
        RecruitmentRow.model_construct(
            **f.__dict__, parent_id=unit.parent_id, depth=depth_of[unit.id]
        )
        for unit, f in zip(units, figures[1:], strict=True)
    ]
    return RecruitmentReport(
        root_id=root.id,
        from_year=from_year,
        to_year=to_year,
        depth=depth,
        issued_on=clock.today(),
        rows=rows,
        totals=figures[0],
    )


def _empty_figures(unit: Unit) -> dict[str, Any]:
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
    session: Session, *, units: list[Unit], year: int, today: date
) -> list[CommitmentFigures]:
    """One grouped statement for every unit's subtree."""
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
        .where(col(UnitClosure.ancestor_id).in_(list(figures)), col(Commitment.year) == year)
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
    return [CommitmentFigures.model_validate(figures[unit.id]) for unit in units]


def commitment_lines(
    session: Session, *, where: sa.ColumnElement[bool], year: int, today: date
) -> list[CommitmentLine]:
    """The commitments matching `where` with their unit and directing member, by member."""
    rows = session.execute(
        select(
            col(Commitment.id),
            col(Commitment.unit_id),
            col(Unit.code).label("unit_code"),
            col(Unit.name).label("unit_name"),
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
        .join(Unit, col(Unit.id) == col(Commitment.unit_id))
        .outerjoin(Person, col(Person.id) == col(Commitment.directing_person_id))
        .where(where, col(Commitment.year) == year)
        .order_by(col(Person.full_name).asc().nulls_last(), col(Unit.name), col(Commitment.id))
    ).mappings()
    return [CommitmentLine.model_validate(dict(row)) for row in rows]


def commitments_report(session: Session, *, root: Unit, year: int) -> CommitmentsReport:
    today = clock.today()
    children = list(
        session.execute(
            select(Unit)
            .where(
                col(Unit.parent_id) == root.id, open_during(date(year, 1, 1), date(year, 12, 31))
            )
            .order_by(col(Unit.name), col(Unit.id))
        ).scalars()
    )
    figures = commitment_figures(session, units=[root, *children], year=year, today=today)
    subtree = subtree_ids(root.id)
    return CommitmentsReport(
        root_id=root.id,
        year=year,
        issued_on=today,
        rows=figures[1:],
        totals=figures[0],
        commitments=commitment_lines(
            session, where=col(Commitment.unit_id).in_(subtree), year=year, today=today
        ),
    )


def scorecard(session: Session, *, unit: Unit, year: int) -> Scorecard:
    today = clock.today()
    (recruitment,) = recruitment_figures(session, units=[unit], from_year=year, to_year=year)
    evaluation = session.execute(
        select(Evaluation).where(col(Evaluation.unit_id) == unit.id, col(Evaluation.year) == year)
    ).scalar_one_or_none()
    return Scorecard(
        unit_id=unit.id,
        code=unit.code,
        name=unit.name,
        year=year,
        issued_on=today,
        commitments=commitment_lines(
            session, where=col(Commitment.unit_id) == unit.id, year=year, today=today
        ),
        recruitment=recruitment,
        evaluation=EvaluationPublic.model_validate(evaluation, from_attributes=True)
        if evaluation
        else None,
        suggestion=suggest(session, unit=unit, year=year, figures=recruitment),
    )
