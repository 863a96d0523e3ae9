"""Who is calling and which part of the tree they may read and write.

A grant gives a role on a unit's subtree (the unit included); `admin` gives everything. Reading
outside the scope answers 404 (existence is not revealed), writing outside it 403.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, select
from sqlmodel import Session, col

from app.core.errors import ForbiddenError, InvalidReferenceError, NotFoundError
from app.core.i18n import Msg, joined, t
from app.models import Role, Unit, UnitClosure
from app.tree.closure import in_year_structure, structure_day, valid_on

READ_ROLES = frozenset(Role)
WRITE_ROLES = frozenset({Role.manager})
REPORT_ROLES = frozenset({Role.manager, Role.reporter})


@dataclass(frozen=True)
class Principal:
    """A signed-in user or an API key, with its grants as (role, unit id)."""

    name: str
    grants: tuple[tuple[Role, int | None], ...]
    user_id: int | None = None
    api_key_id: int | None = None

    @property
    def key(self) -> str:
        """Stable identity for idempotency records."""
        return f"user:{self.user_id}" if self.user_id is not None else f"key:{self.api_key_id}"

    @property
    def is_admin(self) -> bool:
        return any(role == Role.admin for role, _ in self.grants)

    def roots(self, roles: Iterable[Role]) -> list[int]:
        wanted = set(roles)
        return sorted({unit for role, unit in self.grants if role in wanted and unit is not None})

    def has_role(self, roles: Iterable[Role]) -> bool:
        wanted = set(roles)
        return self.is_admin or any(role in wanted for role, _ in self.grants)


class UnitRecord(Protocol):
    unit_id: int


Record = TypeVar("Record", bound=UnitRecord)


SYSTEM = Principal(name="system", grants=((Role.admin, None),))


def _year_of(record: Any) -> int | None:
    """The year whose tree a record belongs to: its own, or its period's last (outcomes)."""
    year = getattr(record, "year", None)
    if isinstance(year, int):
        return year
    period_end = getattr(record, "period_end", None)
    return period_end.year if period_end is not None else None


class Scope:
    def __init__(self, session: Session, principal: Principal) -> None:
        self.session = session
        self.principal = principal

    def units(self, roles: Iterable[Role] = READ_ROLES) -> Select[int]:
        """Ids of the units in the subtrees where the principal holds one of the roles, in the
        tree of today: a unit moved away leaves its old superiors' scope; a closed unit stays in
        it, where it stood or under its successor (app/tree)."""
        return select(col(UnitClosure.descendant_id)).where(
            col(UnitClosure.ancestor_id).in_(self.principal.roots(roles)), valid_on(UnitClosure)
        )

    def covers(self, unit_column: Any, year: Any = None) -> ColumnElement[bool]:
        """A WHERE clause keeping rows whose unit lies in the readable scope: in today's tree,
        or, for a record of a year (`year`, a column), in the tree of that year, so that the
        superiors of a unit that has since moved still read its records of their time."""
        if self.principal.is_admin:
            return sa.true()
        today = col(unit_column).in_(self.units())
        if year is None:
            return today
        then = sa.orm.aliased(UnitClosure)
        in_that_year = (
            select(col(then.depth))
            .where(
                col(then.descendant_id) == unit_column,
                col(then.ancestor_id).in_(self.principal.roots(READ_ROLES)),
                in_year_structure(then, year),
            )
            .exists()
        )
        return sa.or_(today, in_that_year)

    def _holds(self, unit_id: int, roles: Iterable[Role], year: int | None = None) -> bool:
        if self.principal.is_admin:
            return True
        roots = self.principal.roots(roles)
        if not roots:
            return False
        days = [valid_on(UnitClosure)]
        if year is not None:
            days.append(valid_on(UnitClosure, structure_day(year)))
        statement = select(col(UnitClosure.depth)).where(
            col(UnitClosure.descendant_id) == unit_id,
            col(UnitClosure.ancestor_id).in_(roots),
            sa.or_(*days),
        )
        return self.session.execute(statement.limit(1)).first() is not None

    def named_unit(self, unit_id: int, field: str = "unit_id") -> Unit:
        """The unit a payload names: 422 when it does not exist. Checked before the grants,
        so every create answers alike: 422 for no such unit, then 403 for one outside them."""
        unit = self.session.get(Unit, unit_id)
        if unit is None:
            raise InvalidReferenceError(field, t("Unit {unit_id} does not exist.", unit_id=unit_id))
        return unit

    def can_read(self, unit_id: int) -> bool:
        return self._holds(unit_id, READ_ROLES)

    def get(self, model: type[Record], record_id: int, label: Msg) -> Record:
        """The record, if it exists and its unit is readable (in today's tree, or in that of
        the record's year); 404 alike otherwise, so that nothing outside the scope reveals its
        existence."""
        missing = t("{label} {record_id} does not exist.", label=label, record_id=record_id)
        record = self.session.get(model, record_id)
        if record is None:
            raise NotFoundError(missing)
        if not self._holds(record.unit_id, READ_ROLES, year=_year_of(record)):
            raise NotFoundError(missing)
        return record

    def unit(self, unit_id: int) -> Unit:
        """The unit, if it exists and is readable; 404 alike otherwise."""
        missing = t("Unit {unit_id} does not exist.", unit_id=unit_id)
        unit = self.session.get(Unit, unit_id)
        if unit is None:
            raise NotFoundError(missing)
        self.require_read(unit_id, missing)
        return unit

    def require_read(self, unit_id: int, not_found: Msg) -> None:
        if not self.can_read(unit_id):
            raise NotFoundError(not_found)

    def require_write(
        self, unit_id: int | None, action: Msg, roles: Iterable[Role] = WRITE_ROLES
    ) -> None:
        """A unit of None stands for the top of the tree, which only an admin may write."""
        if unit_id is None:
            if not self.principal.is_admin:
                raise ForbiddenError(t("Only an admin may {action}.", action=action))
            return
        if not self._holds(unit_id, roles):
            names = joined(sorted(roles), "or")
            raise ForbiddenError(
                t(
                    "You need the {names} role over unit {unit_id} to {action}.",
                    names=names,
                    unit_id=unit_id,
                    action=action,
                )
            )

    def require_role(self, action: Msg, roles: Iterable[Role] = WRITE_ROLES) -> None:
        """For records shared by the whole tree (directives, people)."""
        if not self.principal.has_role(roles):
            names = joined(sorted(roles), "or")
            raise ForbiddenError(
                t("You need the {names} role to {action}.", names=names, action=action)
            )

    def require_admin(self, action: Msg) -> None:
        if not self.principal.is_admin:
            raise ForbiddenError(t("Only an admin may {action}.", action=action))
