"""Sums kept per unit over its whole subtree, exact under every write (DESIGN.md's "per-unit,
per-year summary table"): today the candidates' stage flows (`candidate_flow`, kept by
app/recruitment/flows.py). A write adds its difference to the unit's line; a move of a unit
carries its subtree's sums from the old line to the new one."""

import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.models import CandidateFlow, UnitClosure


def add_to_sums(session: Session, source: sa.Selectable) -> sa.Executable:
    """Add the (unit_id, stage, year, entered, exited) rows of `source` to the table, creating
    the rows it lacks."""
    table = CandidateFlow.__table__  # type: ignore[attr-defined]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).from_select(
        ["unit_id", "stage", "year", "entered", "exited"], source
    )
    upsert: sa.Executable = statement.on_conflict_do_update(
        index_elements=["unit_id", "stage", "year"],
        set_={
            "entered": table.c.entered + statement.excluded.entered,
            "exited": table.c.exited + statement.excluded.exited,
        },
    )
    return upsert


def carry_subtree(session: Session, *, unit_id: int, sign: int) -> None:
    """Add (`sign` 1) or take away (-1) the unit's subtree sums to or from every unit above it:
    around a move, the old units above lose them and the new ones gain them. The caller holds
    the old and new lines (app/tree/lineage.py), so no candidate's flows are added meanwhile."""
    flow = CandidateFlow
    source = (
        select(
            col(UnitClosure.ancestor_id),
            col(flow.stage),
            col(flow.year),
            col(flow.entered) * sign,
            col(flow.exited) * sign,
        )
        .join(flow, col(flow.unit_id) == col(UnitClosure.descendant_id))
        .where(col(UnitClosure.descendant_id) == unit_id, col(UnitClosure.depth) > 0)
        .order_by(col(UnitClosure.ancestor_id), col(flow.stage), col(flow.year))
    )
    session.execute(add_to_sums(session, source))
