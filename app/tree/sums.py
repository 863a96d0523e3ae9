"""Sums kept per unit over its whole subtree, exact under every write (DESIGN.md's "per-unit,
per-year summary table"): the candidates' stage flows (`candidate_flow`, kept by
app/recruitment/flows.py), in two readings (`Structure`), and the days admitted candidates'
steps fall due (`candidate_due`, app/recruitment/dues.py), in the tree of today:

- `as_of`: a year's row of a unit sums its subtree in the tree of that year (app/tree/closure.py
  `structure_day`). A move of a unit effective on D carries its subtree's sums of D's year and
  later from the old line to the new one, with the candidates it holds at each stage at the start
  of D's year as `carried`, so that every stock and every flow of an earlier year stays where it
  was.
- `current`, and the due days: every row sums the subtree in the tree of today, where a closed
  unit hangs under the unit that carries its history on. A move carries all of the subtree's
  sums.
"""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from app.models import CandidateDue, CandidateFlow, Structure, UnitClosure
from app.tree.closure import valid_on

SUMMED = ("entered", "exited", "carried")
KEY = ("unit_id", "structure", "stage", "year")
SumTable = type[CandidateFlow] | type[CandidateDue]


def add_to_sums(session: Session, source: sa.Selectable, model: SumTable) -> sa.Executable:
    """Add the rows of `source` (the table's key, then its sums, in the table's order) to the
    table, creating the rows it lacks. `source` has at most one row per key."""
    table = model.__table__  # type: ignore[union-attr]
    key = [c.name for c in table.primary_key]
    summed = [c.name for c in table.c if not c.primary_key]
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).from_select([*key, *summed], source)
    upsert: sa.Executable = statement.on_conflict_do_update(
        index_elements=key, set_={name: table.c[name] + statement.excluded[name] for name in summed}
    )
    return upsert


def carry_subtree(session: Session, *, unit_id: int, sign: int, on: date) -> None:
    """Add (`sign` 1) or take away (-1) the unit's subtree sums to or from every unit above it
    in the tree of `on`: around a move effective on `on`, the old units above lose them and the
    new ones gain them. In the `as_of` reading, the sums of `on`'s year and later, and the
    stock at that year's start; in the `current` one and the due days, all of them. The caller
    holds the old and new lines (app/tree/lineage.py), so no candidate's sums change meanwhile."""
    flow = CandidateFlow
    from_year = on.year
    own = col(flow.unit_id) == unit_id
    as_of = col(flow.structure) == Structure.as_of
    columns = (col(flow.structure), col(flow.stage), col(flow.year))
    moved_rows = select(*columns, *(col(getattr(flow, name)) for name in SUMMED)).where(
        own, sa.or_(col(flow.structure) == Structure.current, col(flow.year) >= from_year)
    )
    stock = (
        select(
            col(flow.structure),
            col(flow.stage),
            sa.literal(from_year),
            sa.literal(0),
            sa.literal(0),
            func.sum(col(flow.entered) - col(flow.exited) + col(flow.carried)),
        )
        .where(own, as_of, col(flow.year) < from_year)
        .group_by(col(flow.structure), col(flow.stage))
    )
    moved = sa.union_all(moved_rows, stock).subquery("moved")
    ancestor = col(UnitClosure.ancestor_id)
    key = (moved.c.structure, moved.c.stage, moved.c.year)
    source = (
        select(ancestor, *key, *(func.sum(moved.c[name]) * sign for name in SUMMED))
        .select_from(UnitClosure)
        .join(moved, sa.true())
        .where(
            col(UnitClosure.descendant_id) == unit_id,
            col(UnitClosure.depth) > 0,
            valid_on(UnitClosure, on),
        )
        .group_by(ancestor, *key)
        .order_by(ancestor, *key)
    )
    session.execute(add_to_sums(session, source, CandidateFlow))
    above = (
        select(ancestor)
        .where(
            col(UnitClosure.descendant_id) == unit_id,
            col(UnitClosure.depth) > 0,
            valid_on(UnitClosure, on),
        )
        .subquery("above")
    )
    due = CandidateDue
    dues = (
        select(above.c.ancestor_id, col(due.due_on), col(due.candidates) * sign)
        .select_from(due)
        .join(above, sa.true())
        .where(col(due.unit_id) == unit_id, col(due.candidates) != 0)
        .order_by(above.c.ancestor_id, col(due.due_on))
    )
    session.execute(add_to_sums(session, dues, CandidateDue))
