"""Queries over the unit tree: a unit's subtree and line (one indexed join on the closure table,
whatever the depth) and the units open during a period."""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import col

from app.models import Unit, UnitClosure


def subtree_ids(root_id: Any) -> sa.Select[int]:
    """Ids of a unit and of every unit below it (a unit's subtree includes itself)."""
    return sa.select(col(UnitClosure.descendant_id)).where(col(UnitClosure.ancestor_id) == root_id)


def lineage_ids(unit_id: Any) -> sa.Select[int]:
    """Ids of a unit and of every unit above it; `.where(UnitClosure.depth > 0)` for those
    above only."""
    return sa.select(col(UnitClosure.ancestor_id)).where(col(UnitClosure.descendant_id) == unit_id)


def open_during(first: date, last: date) -> ColumnElement[bool]:
    """Units whose validity [valid_from, valid_to) meets the days first..last (inclusive)."""
    return sa.and_(
        sa.or_(col(Unit.valid_from).is_(None), col(Unit.valid_from) <= last),
        sa.or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) > first),
    )


def open_on(day: date) -> ColumnElement[bool]:
    return open_during(day, day)
