"""A unit's code, name and kind over time: versions with validity [valid_from, valid_to). The
unit's own row holds the version in force today; an answer for another day reads that day's
version. An edit effective on D ends the version in force and begins a new one on D, so every
earlier day keeps its answer (issue 12); only a correction rewrites a version in place."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Select, func, insert, select
from sqlmodel import Session, col

from app.core.errors import ConflictError
from app.core.i18n import t
from app.models import UNTIL_CHANGED, Unit, UnitClosure, UnitVersion
from app.tree.closure import valid_on

VERSIONED = ("code", "name", "kind")


@dataclass(frozen=True)
class Named:
    """A unit as a report row names it: as it stood in the tree the figures are read under."""

    id: int
    code: str
    name: str
    parent_id: int | None
    depth: int = 0

    @classmethod
    def of(cls, row: Mapping[Any, Any], depth: int = 0) -> "Named":
        """From a row of `units_on`."""
        return cls(row["id"], row["code"], row["name"], row["parent_id"], depth)


def first_version(session: Session, unit: Unit) -> None:
    session.execute(
        insert(UnitVersion).values(
            unit_id=unit.id, **{field: getattr(unit, field) for field in VERSIONED}
        )
    )


def backfill(connection: sa.Connection, units: sa.ColumnElement[bool]) -> int:
    """First versions of units loaded in bulk (the generator), from their rows; returns how
    many."""
    result = connection.execute(
        insert(UnitVersion).from_select(
            ["unit_id", *VERSIONED],
            select(col(Unit.id), *(col(getattr(Unit, field)) for field in VERSIONED)).where(units),
        )
    )
    return result.rowcount


def latest(session: Session, unit_id: int) -> UnitVersion:
    version: UnitVersion = session.execute(
        select(UnitVersion).where(
            col(UnitVersion.unit_id) == unit_id, col(UnitVersion.valid_to) == UNTIL_CHANGED
        )
    ).scalar_one()
    return version


def change(session: Session, *, unit: Unit, changes: dict[str, Any], on: date) -> None:
    """Begin a version with `changes` (of VERSIONED fields) on `on`, today or earlier."""
    assert unit.id is not None
    current = latest(session, unit.id)
    if current.valid_from > on:
        raise ConflictError(
            t(
                "Unit {code} took its present code, name and kind on {valid_from}, after {on}: "
                "an edit can take effect on {valid_from} or later, or the past can be corrected "
                "with POST /api/v1/units/{{id}}/corrections.",
                code=unit.code,
                valid_from=current.valid_from,
                on=on,
            )
        )
    values = {field: changes.get(field, getattr(current, field)) for field in VERSIONED}
    if current.valid_from == on:
        current.sqlmodel_update(values)
        session.add(current)
        return
    current.valid_to = on
    session.add(current)
    session.add(UnitVersion(unit_id=unit.id, valid_from=on, **values))


def units_on(day: date, *, with_level: bool = True) -> Select[Any]:
    """Units as they stood on `day`: that day's code, name and kind (app/tree/versions.py),
    parent and level (the closure of that day), as the columns of UnitPublic. The level is a
    lookup per row: leave it out (`with_level=False`) where only names and parents are read."""
    version, parent, line = UnitVersion, sa.orm.aliased(UnitClosure), sa.orm.aliased(UnitClosure)
    level = (
        select(func.max(line.depth))
        .where(col(line.descendant_id) == col(Unit.id), valid_on(line, day))
        .correlate(Unit)
        .scalar_subquery()
    )
    statement: Any = (
        select(
            col(Unit.id).label("id"),
            col(version.code).label("code"),
            col(version.name).label("name"),
            col(version.kind).label("kind"),
            col(parent.ancestor_id).label("parent_id"),
            *([func.coalesce(level, 0).label("level")] if with_level else []),
            col(Unit.valid_from).label("valid_from"),
            col(Unit.valid_to).label("valid_to"),
            col(Unit.created_at).label("created_at"),
            col(Unit.updated_at).label("updated_at"),
        )
        .select_from(Unit)
        .join(version, sa.and_(col(version.unit_id) == col(Unit.id), valid_on(version, day)))
        .outerjoin(
            parent,
            sa.and_(
                col(parent.descendant_id) == col(Unit.id),
                col(parent.depth) == 1,
                valid_on(parent, day),
            ),
        )
    )
    return statement  # type: ignore[no-any-return]


def version_of(session: Session, unit_id: int, day: date) -> UnitVersion | None:
    found: UnitVersion | None = session.execute(
        select(UnitVersion).where(col(UnitVersion.unit_id) == unit_id, valid_on(UnitVersion, day))
    ).scalar_one_or_none()
    return found
