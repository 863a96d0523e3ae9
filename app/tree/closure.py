"""Queries over the unit tree of a day: a unit's subtree and line (one indexed join on the
closure table, whatever the depth), the units open during a period, and which tree a year's
figures are read under.

The tree has a time axis (issue 12): closure rows hold during their own validity, so every query
names its day, by default today (Vietnam's date, app/core/clock.py). A year's figures are read
under the tree of the year's last day, or of today for the current year (`structure_day`): a
unit moved during the year counts for the whole year where it stood at its end, a unit closed
during it where it stood when it closed; no figure is counted twice or lost.
"""

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, col

from app.core import clock
from app.models import Unit, UnitClosure, UnitLineage


def valid_on(model: Any, day: date | None = None) -> ColumnElement[bool]:
    """Rows of a versioned table (`valid_from`, `valid_to`) in force on `day` (default today)."""
    on = day if day is not None else clock.today()
    return sa.and_(col(model.valid_from) <= on, col(model.valid_to) > on)


def structure_day(year: int) -> date:
    """The day whose tree a year's figures are read under: its last, or today if sooner."""
    return min(date(year, 12, 31), clock.today())


def in_year_structure(model: Any, year: Any) -> ColumnElement[bool]:
    """Rows in force on `structure_day(year)`, for a year that is a column (a record's year).

    The same rows as `valid_on(model, structure_day(year))`, since no change of the tree takes
    effect after today: a row holds on the year's last day (or today) exactly when it began in
    that year or before and ended after it."""
    return sa.and_(
        sa.extract("year", col(model.valid_from)) <= year,
        sa.extract("year", col(model.valid_to)) > year,
    )


def subtree_ids(
    root_id: Any, on: date | None = None, *, since_ever: bool = False
) -> sa.Select[int]:
    """Ids of a unit and of every unit below it on `on` (default today), or on any day."""
    statement = sa.select(col(UnitClosure.descendant_id)).where(
        col(UnitClosure.ancestor_id) == root_id
    )
    return statement if since_ever else statement.where(valid_on(UnitClosure, on))


def lineage_ids(
    unit_id: Any, on: date | None = None, *, since_ever: bool = False
) -> sa.Select[int]:
    """Ids of a unit and of every unit above it on `on` (default today), or on any day;
    `.where(UnitClosure.depth > 0)` for those above only."""
    statement = sa.select(col(UnitClosure.ancestor_id)).where(
        col(UnitClosure.descendant_id) == unit_id
    )
    return statement if since_ever else statement.where(valid_on(UnitClosure, on))


def children_ids(parent_id: Any, on: date | None = None) -> sa.Select[int]:
    """Ids of the units directly below `parent_id` on `on` (default today)."""
    return sa.select(col(UnitClosure.descendant_id)).where(
        col(UnitClosure.ancestor_id) == parent_id,
        col(UnitClosure.depth) == 1,
        valid_on(UnitClosure, on),
    )


def parent_id_on(unit_id: Any, on: date | None = None) -> sa.Select[int]:
    """The id of the unit directly above `unit_id` on `on` (default today); no row for a root."""
    return sa.select(col(UnitClosure.ancestor_id)).where(
        col(UnitClosure.descendant_id) == unit_id,
        col(UnitClosure.depth) == 1,
        valid_on(UnitClosure, on),
    )


def open_during(first: date, last: date) -> ColumnElement[bool]:
    """Units whose validity [valid_from, valid_to) meets the days first..last (inclusive)."""
    return sa.and_(
        sa.or_(col(Unit.valid_from).is_(None), col(Unit.valid_from) <= last),
        sa.or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) > first),
    )


def open_on(day: date) -> ColumnElement[bool]:
    return open_during(day, day)


def histories_carried(session: Session, unit_ids: list[int], on: date) -> dict[int, list[int]]:
    """For each unit, the closed units whose history it carries on in the tree of `on` (a
    reorganisation effective by then hung them under it): their figures count in its subtree
    from the event on, and for every year when read under today's tree."""
    rows = session.execute(
        sa.select(col(UnitLineage.successor_id), col(UnitLineage.predecessor_id))
        .where(
            col(UnitLineage.successor_id).in_(unit_ids),
            col(UnitLineage.carries_history),
            col(UnitLineage.predecessor_id).is_not(None),
            col(UnitLineage.effective_on) <= on,
        )
        .order_by(col(UnitLineage.predecessor_id))
    )
    carried: dict[int, list[int]] = {}
    for successor, predecessor in rows:
        carried.setdefault(successor, []).append(predecessor)
    return carried
