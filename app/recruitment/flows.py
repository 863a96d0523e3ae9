"""Candidates' stage flows, summed over subtrees and kept exact by the write paths.

A `candidate_flow` row (unit, stage, year) holds how many candidates of the unit's whole subtree
in that year's tree entered the stage during the year, how many exited it, and how many a change
of the tree carried into or out of the subtree at the year's start (app/tree/sums.py). Then:

- candidates at a stage at the end of year Y = the sum of `entered - exited + carried` over years
  ≤ Y (step dates never lie in the future, so the current year's rows give the state as of today);
- admissions decided in years A..B = the sum of `entered` into `admitted` over A..B.

Reports thus read a few rows per unit instead of every candidate below it (DESIGN.md's "next
step": a per-unit, per-year summary table). Each write applies the difference of a candidate's
flows before and after to the unit and every unit above it in the tree of each year; moving a
unit carries its subtree's sums of the move's year on from the old units above to the new.
`recomputed()` derives the whole table from the candidates, with SQL of its own: the generator
loads with it and the tests hold the table to it.
"""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.core import clock
from app.models import (
    SINCE_EVER,
    UNTIL_CHANGED,
    Candidate,
    CandidateFlow,
    CandidateStage,
    Structure,
    UnitClosure,
)
from app.recruitment import dues
from app.tree.closure import in_year_structure, structure_day, valid_on
from app.tree.sums import KEY, SUMMED, add_to_sums

S = CandidateStage

# Each stage with the date a candidate entered it, in pipeline order. Dates never decrease along
# it (a step dated before the last one is refused), so a candidate is at a stage from its date
# until the next date it has; `dropped` can follow any stage before `official`.
STAGE_DATES: tuple[tuple[CandidateStage, str], ...] = (
    (S.source, "source_since"),
    (S.awareness_course, "course_completed_on"),
    (S.applied, "applied_on"),
    (S.verified, "verified_on"),
    (S.admitted, "admitted_on"),
    (S.official, "official_on"),
    (S.dropped, "dropped_on"),
)

Flows = Counter[tuple[CandidateStage, int, str]]


def flows_of(candidate: Candidate | None) -> Flows:
    """(stage, year, "entered" | "exited") → 1 for each move the candidate's dates record."""
    flows: Flows = Counter()
    if candidate is None:
        return flows
    dated = [(stage, day) for stage, field in STAGE_DATES if (day := getattr(candidate, field))]
    for (stage, day), following in zip(dated, [*dated[1:], None], strict=True):
        flows[(stage, day.year, "entered")] += 1
        if following is not None:
            flows[(stage, following[1].year, "exited")] += 1
    return flows


def _line_changes(session: Session, unit_id: int) -> list[int]:
    """The years in which the unit's line changed (a closure row of it began or ended)."""
    boundaries = sa.union(
        select(col(UnitClosure.valid_from)).where(
            col(UnitClosure.descendant_id) == unit_id, col(UnitClosure.valid_from) != SINCE_EVER
        ),
        select(col(UnitClosure.valid_to)).where(
            col(UnitClosure.descendant_id) == unit_id,
            col(UnitClosure.valid_to) != UNTIL_CHANGED,
        ),
    )
    return sorted({day.year for day in session.execute(boundaries).scalars()})


def record(session: Session, *, unit_id: int, before: Flows, after: Flows) -> None:
    """Apply a candidate's change of flows to its unit and every unit above it, in the caller's
    transaction, which holds the unit's line (app/tree/lineage.py): a move of a unit above reads
    the sums this adds to. In the `as_of` reading, to the units above in the tree of each year
    (app/tree/closure.py `structure_day`); in the `current` one, in the tree of today.

    A change of an earlier year also changes the stock each later change of the unit's line
    carried from the old units above to the new (`as_of`): carried again by the difference."""
    rows = []
    for stage, year in sorted({(stage, year) for stage, year, _ in before + after}):
        entered = after[(stage, year, "entered")] - before[(stage, year, "entered")]
        exited = after[(stage, year, "exited")] - before[(stage, year, "exited")]
        if entered or exited:
            rows.append((Structure.as_of, stage, year, structure_day(year), entered, exited, 0))
            rows.append((Structure.current, stage, year, clock.today(), entered, exited, 0))
    if not rows:
        return
    for changed in _line_changes(session, unit_id):
        for stage in sorted({row[1] for row in rows}):
            stock = sum(
                e - x
                for structure, s, y, _, e, x, _ in rows
                if structure == Structure.as_of and s == stage and y < changed
            )
            if stock:
                rows.append((Structure.as_of, stage, changed, structure_day(changed), 0, 0, stock))
                rows.append(
                    (Structure.as_of, stage, changed, structure_day(changed - 1), 0, 0, -stock)
                )
    day = sa.bindparam("day", type_=sa.Date)
    source = (
        select(
            col(UnitClosure.ancestor_id),
            sa.bindparam("structure", type_=sa.String),
            sa.bindparam("stage", type_=sa.String),
            sa.bindparam("year", type_=sa.Integer),
            sa.bindparam("entered", type_=sa.Integer),
            sa.bindparam("exited", type_=sa.Integer),
            sa.bindparam("carried", type_=sa.Integer),
        )
        .where(
            col(UnitClosure.descendant_id) == sa.bindparam("unit", type_=sa.Integer),
            col(UnitClosure.valid_from) <= day,
            col(UnitClosure.valid_to) > day,
        )
        .order_by(col(UnitClosure.ancestor_id))
    )
    # Sorted, as the units above are: concurrent writers take the row locks in one order.
    changes = [
        {
            "unit": unit_id,
            "structure": structure.value,
            "stage": stage.value,
            "year": year,
            "day": on,
            "entered": entered,
            "exited": exited,
            "carried": carried,
        }
        for structure, stage, year, on, entered, exited, carried in sorted(rows)
    ]
    session.execute(add_to_sums(session, source, CandidateFlow), changes)


def recomputed() -> sa.Select[Any]:
    """The table as the candidates alone say it should be (zero rows omitted)."""
    c = Candidate
    moves = []
    for position, (stage, field) in enumerate(STAGE_DATES):
        day = col(getattr(c, field))
        later = [col(getattr(c, f)) for _, f in STAGE_DATES[position + 1 :]]
        moves.append(
            select(
                col(c.unit_id),
                sa.literal(stage.value).label("stage"),
                sa.extract("year", day).label("year"),
                sa.literal(1).label("entered"),
                sa.literal(0).label("exited"),
            ).where(day.is_not(None))
        )
        if later:
            following = func.coalesce(*later) if len(later) > 1 else later[0]
            moves.append(
                select(
                    col(c.unit_id),
                    sa.literal(stage.value),
                    sa.extract("year", following),
                    sa.literal(0),
                    sa.literal(1),
                ).where(day.is_not(None), following.is_not(None))
            )
    each = sa.union_all(*moves).subquery("moves")
    per_unit = (
        select(
            each.c.unit_id,
            each.c.stage,
            each.c.year,
            func.sum(each.c.entered).label("entered"),
            func.sum(each.c.exited).label("exited"),
        )
        .group_by(each.c.unit_id, each.c.stage, each.c.year)
        .subquery("per_unit")
    )
    closure = UnitClosure
    # Each year's flows under the tree of that year, and under today's.
    yearly = (
        select(
            col(closure.ancestor_id).label("unit_id"),
            sa.literal(Structure.as_of.value).label("structure"),
            per_unit.c.stage,
            per_unit.c.year,
            per_unit.c.entered,
            per_unit.c.exited,
            sa.literal(0).label("carried"),
        )
        .select_from(closure)
        .join(per_unit, per_unit.c.unit_id == col(closure.descendant_id))
        .where(in_year_structure(closure, per_unit.c.year))
    )
    today = (
        select(
            col(closure.ancestor_id),
            sa.literal(Structure.current.value),
            per_unit.c.stage,
            per_unit.c.year,
            per_unit.c.entered,
            per_unit.c.exited,
            sa.literal(0),
        )
        .select_from(closure)
        .join(per_unit, per_unit.c.unit_id == col(closure.descendant_id))
        .where(valid_on(closure))
    )
    # Years whose tree differs from the year before's: those where a closure row begins or ends.
    changed = sa.union(
        select(sa.extract("year", col(closure.valid_from)).label("year")).where(
            col(closure.valid_from) != SINCE_EVER
        ),
        select(sa.extract("year", col(closure.valid_to))).where(
            col(closure.valid_to) != UNTIL_CHANGED
        ),
    ).subquery("changed")
    # Each unit's own candidates at each stage at the end of the year before such a year...
    stock = (
        select(
            per_unit.c.unit_id,
            per_unit.c.stage,
            changed.c.year,
            func.sum(per_unit.c.entered - per_unit.c.exited).label("stock"),
        )
        .join(changed, per_unit.c.year < changed.c.year)
        .group_by(per_unit.c.unit_id, per_unit.c.stage, changed.c.year)
        .subquery("stock")
    )

    # ... carried into the subtrees that hold the unit in that year's tree, and out of those
    # that held it in the year before's.
    def carried(year: Any, sign: int) -> sa.Select[Any]:
        return (
            select(
                col(closure.ancestor_id),
                sa.literal(Structure.as_of.value),
                stock.c.stage,
                stock.c.year,
                sa.literal(0),
                sa.literal(0),
                stock.c.stock * sign,
            )
            .select_from(closure)
            .join(stock, stock.c.unit_id == col(closure.descendant_id))
            .where(in_year_structure(closure, year))
        )

    each_row = sa.union_all(
        yearly, today, carried(stock.c.year, 1), carried(stock.c.year - 1, -1)
    ).subquery("each_row")
    sums = [func.sum(each_row.c[name]) for name in SUMMED]
    key = [each_row.c[name] for name in KEY]
    return (
        select(*key, *(total.label(name) for total, name in zip(sums, SUMMED, strict=True)))
        .group_by(*key)
        .having(sa.or_(*(total != 0 for total in sums)))
    )


def rebuild(connection: sa.Connection) -> int:
    """Replace the table with its recomputation (after a bulk load); returns its rows."""
    table = CandidateFlow.__table__  # type: ignore[attr-defined]
    if connection.dialect.name == "postgresql":
        # Tables loaded in bulk have no statistics yet: without them the planner took the
        # country's 2 M candidates for billions of rows and sorted on disk instead of hashing
        # (24 minutes, 11 GB of temporary files; bench/RESULTS.md).
        connection.execute(sa.text("ANALYZE candidate, unit_closure, unit"))
    connection.execute(sa.delete(table))
    connection.execute(sa.insert(table).from_select([*KEY, *SUMMED], recomputed()))
    return connection.execute(select(func.count()).select_from(table)).scalar_one()


def rebuild_sums(connection: sa.Connection) -> dict[str, int]:
    """Recompute every sum the write paths keep over the candidates (after a bulk load, or
    writes outside the API): the rows of each table."""
    return {"candidate_flow": rebuild(connection), "candidate_due": dues.rebuild(connection)}
