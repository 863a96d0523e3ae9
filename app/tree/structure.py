"""Changes of the tree's shape, effective on a day: re-hanging a subtree under another parent
keeps the closure of every day, the levels and the subtree sums exact in one transaction, and
leaves every day before the change as it was (issue 12)."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy import delete, func, insert, select, update
from sqlmodel import Session, col

from app.core.errors import ConflictError
from app.core.i18n import Msg, t
from app.models import SINCE_EVER, UNTIL_CHANGED, Unit, UnitClosure
from app.tree.closure import lineage_ids, subtree_ids, valid_on
from app.tree.sums import carry_subtree


def last_change(session: Session, units: sa.Select[int] | list[int]) -> date | None:
    """The last day the line of any of `units` changed (a closure row began or ended)."""
    descendant = col(UnitClosure.descendant_id).in_(units)
    began = select(func.max(UnitClosure.valid_from)).where(
        descendant, col(UnitClosure.valid_from) != SINCE_EVER
    )
    ended = select(func.max(UnitClosure.valid_to)).where(
        descendant, col(UnitClosure.valid_to) != UNTIL_CHANGED
    )
    days = [session.execute(q).scalar() for q in (began, ended)]
    found = [day for day in days if day is not None]
    return max(found) if found else None


def require_no_later_change(
    session: Session, *, unit: Unit, units: sa.Select[int] | list[int], on: date, what: Msg
) -> None:
    """409 when the lines of `units` changed after `on`: a change effective on `on` would be
    inserted under a later one and rewrite the days between (a correction does that, openly)."""
    last = last_change(session, units)
    if last is not None and last > on:
        raise ConflictError(
            t(
                "The tree around unit {code} changed on {last}, after {on}: {what} can take "
                "effect on {last} or later, or the past can be corrected with POST "
                "/api/v1/units/{{id}}/corrections.",
                code=unit.code,
                last=last,
                on=on,
                what=what,
            )
        )


def hang_new(session: Session, *, unit_id: int, parent_id: int | None) -> None:
    """Closure rows of a new unit: itself since ever, and under its parent as the parent has
    stood on every day (so the tree of each earlier day stays a tree)."""
    session.execute(insert(UnitClosure).values(ancestor_id=unit_id, descendant_id=unit_id, depth=0))
    if parent_id is None:
        return
    session.execute(
        insert(UnitClosure).from_select(
            ["ancestor_id", "descendant_id", "valid_from", "valid_to", "depth"],
            select(
                col(UnitClosure.ancestor_id),
                sa.literal(unit_id),
                col(UnitClosure.valid_from),
                col(UnitClosure.valid_to),
                col(UnitClosure.depth) + 1,
            ).where(col(UnitClosure.descendant_id) == parent_id),
        )
    )


def rehang(session: Session, *, unit: Unit, new_parent: Unit | None, on: date) -> None:
    """Re-hang the unit's subtree under `new_parent` from `on` (today or earlier) and shift its
    levels. The rows linking the subtree to the units above end on `on` (or go, when they began
    that day); the new ones begin on it. The caller holds the old line, the new one and the
    subtree (app/tree/lineage.py): no candidate's flows are added meanwhile, and no writer
    below waits on a row this updates."""
    assert unit.id is not None
    watched = [*([new_parent.id] if new_parent is not None and new_parent.id else [])]
    # Every unit below it on `on` or any later day: one that joined its subtree after `on`
    # changed the line after `on` too (re-hanging only the subtree of `on` would leave it under
    # the old line, with two parents above it from the day it joined).
    below_since = select(col(UnitClosure.descendant_id)).where(
        col(UnitClosure.ancestor_id) == unit.id, col(UnitClosure.valid_to) > on
    )
    require_no_later_change(session, unit=unit, units=below_since, on=on, what=t("a move"))
    if watched:
        require_no_later_change(session, unit=unit, units=watched, on=on, what=t("a move"))
    carry_subtree(session, unit_id=unit.id, sign=-1, on=on)
    # The units above, read before their rows end; the subtree's rows are not touched.
    above = list(
        session.execute(lineage_ids(unit.id, on).where(col(UnitClosure.depth) > 0)).scalars()
    )
    subtree = subtree_ids(unit.id, on).scalar_subquery()
    broken = sa.and_(
        col(UnitClosure.descendant_id).in_(subtree),
        col(UnitClosure.ancestor_id).in_(above),
        valid_on(UnitClosure, on),
    )
    session.execute(delete(UnitClosure).where(broken, col(UnitClosure.valid_from) == on))
    session.execute(
        update(UnitClosure)
        .where(broken)
        .values(valid_to=on)
        .execution_options(synchronize_session=False)
    )
    new_level = new_parent.level + 1 if new_parent else 0
    if new_parent is not None:
        upper = sa.orm.aliased(UnitClosure)
        lower = sa.orm.aliased(UnitClosure)
        session.execute(
            insert(UnitClosure).from_select(
                ["ancestor_id", "descendant_id", "valid_from", "valid_to", "depth"],
                select(
                    col(upper.ancestor_id),
                    col(lower.descendant_id),
                    sa.literal(on, sa.Date),
                    sa.literal(UNTIL_CHANGED, sa.Date),
                    col(upper.depth) + col(lower.depth) + 1,
                )
                # every ancestor of the new parent with every unit of the moved subtree
                .select_from(upper)
                .join(lower, sa.true())
                .where(
                    col(upper.descendant_id) == new_parent.id,
                    valid_on(upper, on),
                    col(lower.ancestor_id) == unit.id,
                    valid_on(lower, on),
                ),
            )
        )
    carry_subtree(session, unit_id=unit.id, sign=1, on=on)
    session.execute(
        update(Unit)
        .where(col(Unit.id).in_(subtree_ids(unit.id, on).scalar_subquery()))
        .values(level=col(Unit.level) + (new_level - unit.level))
        .execution_options(synchronize_session=False)
    )
    unit.level = new_level
