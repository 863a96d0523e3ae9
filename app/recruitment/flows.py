"""Candidates' stage flows, summed over subtrees and kept exact by the write paths.

A `candidate_flow` row (unit, stage, year) holds how many candidates of the unit's whole subtree
entered the stage during the year, and how many exited it. Then:

- candidates at a stage at the end of year Y = the sum of `entered - exited` over years ≤ Y (step
  dates never lie in the future, so the current year's rows give the state as of today);
- admissions decided in years A..B = the sum of `entered` into `admitted` over A..B.

Reports thus read a few rows per unit instead of every candidate below it (DESIGN.md's "next
step": a per-unit, per-year summary table). Each write applies the difference of a candidate's
flows before and after to the unit and every unit above it; moving a unit carries its subtree's
sums from the old units above to the new. `recomputed()` derives the whole table from the
candidates, with SQL of its own: the generator loads with it and the tests hold the table to it.
"""

from collections import Counter
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import Candidate, CandidateFlow, CandidateStage, UnitClosure
from app.tree.sums import add_to_sums

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


def record(session: Session, *, unit_id: int, before: Flows, after: Flows) -> None:
    """Apply a candidate's change of flows to its unit and every unit above it, in the caller's
    transaction, which holds the unit's line (app/tree/lineage.py): a move of a unit above
    reads the sums this adds to."""
    changes = [
        {
            "unit": unit_id,
            "stage": stage.value,
            "year": year,
            "entered": after[(stage, year, "entered")] - before[(stage, year, "entered")],
            "exited": after[(stage, year, "exited")] - before[(stage, year, "exited")],
        }
        # Sorted, as the units above are: concurrent writers take the row locks in one order.
        for stage, year in sorted({(stage, year) for stage, year, _ in before + after})
    ]
    changes = [c for c in changes if c["entered"] or c["exited"]]
    if not changes:
        return
    source = (
        select(
            col(UnitClosure.ancestor_id),
            sa.bindparam("stage", type_=sa.String),
            sa.bindparam("year", type_=sa.Integer),
            sa.bindparam("entered", type_=sa.Integer),
            sa.bindparam("exited", type_=sa.Integer),
        )
        .where(col(UnitClosure.descendant_id) == sa.bindparam("unit", type_=sa.Integer))
        .order_by(col(UnitClosure.ancestor_id))
    )
    session.execute(add_to_sums(session, source), changes)


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
    entered, exited = func.sum(per_unit.c.entered), func.sum(per_unit.c.exited)
    return (
        select(
            col(UnitClosure.ancestor_id).label("unit_id"),
            per_unit.c.stage,
            per_unit.c.year,
            entered.label("entered"),
            exited.label("exited"),
        )
        .join(per_unit, per_unit.c.unit_id == col(UnitClosure.descendant_id))
        .group_by(col(UnitClosure.ancestor_id), per_unit.c.stage, per_unit.c.year)
        .having(sa.or_(entered != 0, exited != 0))
    )


def rebuild(connection: sa.Connection) -> int:
    """Replace the table with its recomputation (after a bulk load); returns its rows."""
    table = CandidateFlow.__table__  # type: ignore[attr-defined]
    connection.execute(sa.delete(table))
    connection.execute(
        sa.insert(table).from_select(
            ["unit_id", "stage", "year", "entered", "exited"], recomputed()
        )
    )
    return connection.execute(select(func.count()).select_from(table)).scalar_one()
