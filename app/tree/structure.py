"""Changes of the tree's shape: re-hanging a subtree under another parent keeps the closure,
the levels and the subtree sums exact in one transaction."""

import sqlalchemy as sa
from sqlalchemy import delete, insert, select, update
from sqlmodel import Session, col

from app.models import Unit, UnitClosure
from app.tree.closure import lineage_ids, subtree_ids
from app.tree.sums import carry_subtree


def rehang(session: Session, *, unit: Unit, new_parent: Unit | None) -> None:
    """Re-hang the unit's subtree under `new_parent` in the closure table and shift its levels.
    The caller holds the old line, the new one and the subtree (app/tree/lineage.py): no
    candidate's flows are added meanwhile, and no writer below waits on a row this updates."""
    assert unit.id is not None
    carry_subtree(session, unit_id=unit.id, sign=-1)
    subtree = subtree_ids(unit.id)
    old_ancestors = lineage_ids(unit.id).where(col(UnitClosure.depth) > 0)
    session.execute(
        delete(UnitClosure).where(
            col(UnitClosure.descendant_id).in_(subtree.scalar_subquery()),
            col(UnitClosure.ancestor_id).in_(old_ancestors.scalar_subquery()),
        )
    )
    new_level = new_parent.level + 1 if new_parent else 0
    if new_parent is not None:
        above = sa.orm.aliased(UnitClosure)
        below = sa.orm.aliased(UnitClosure)
        session.execute(
            insert(UnitClosure).from_select(
                ["ancestor_id", "descendant_id", "depth"],
                select(
                    col(above.ancestor_id),
                    col(below.descendant_id),
                    col(above.depth) + col(below.depth) + 1,
                )
                # every ancestor of the new parent with every unit of the moved subtree
                .select_from(above)
                .join(below, sa.true())
                .where(
                    col(above.descendant_id) == new_parent.id, col(below.ancestor_id) == unit.id
                ),
            )
        )
    carry_subtree(session, unit_id=unit.id, sign=1)
    session.execute(
        update(Unit)
        .where(col(Unit.id).in_(subtree.scalar_subquery()))
        .values(level=col(Unit.level) + (new_level - unit.level))
        .execution_options(synchronize_session=False)
    )
    unit.level = new_level
