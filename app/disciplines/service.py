"""Disciplinary decisions against an organisation or a person (the article's "violators are
disciplined"; Regulation 366-QĐ/TW's condition on excellent, app/disciplines/counts.py).

A record names a person's data: it is read only where the caller's grants cover its unit (the
organisation disciplined, or the one the person belongs to), like a candidate's. Recording one
takes a manager of both that unit and the issuing committee."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited
from app.core.errors import InvalidReferenceError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.disciplines.schemas import DisciplineCreate, DisciplineUpdate, form_problem
from app.models import Discipline, DisciplineForm, Person, Unit
from app.tree.closure import subtree_ids
from app.tree.holdings import require_open


@dataclass(frozen=True)
class DisciplineFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    person_id: int | None = None
    issued_by_id: int | None = None
    form: DisciplineForm | None = None
    decided_from: date | None = None
    decided_to: date | None = None


def list_disciplines(
    session: Session, *, scope: Scope, params: PageParams, filters: DisciplineFilters
) -> dict[str, Any]:
    statement = select(Discipline).where(scope.covers(Discipline.unit_id))
    if filters.root_id is not None:
        statement = statement.where(
            col(Discipline.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    equal = {
        Discipline.unit_id: filters.unit_id,
        Discipline.person_id: filters.person_id,
        Discipline.issued_by_id: filters.issued_by_id,
        Discipline.form: filters.form,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(col(column) == value)
    if filters.decided_from is not None:
        statement = statement.where(col(Discipline.decided_on) >= filters.decided_from)
    if filters.decided_to is not None:
        statement = statement.where(col(Discipline.decided_on) <= filters.decided_to)
    order = (col(Discipline.decided_on), col(Discipline.id))
    return paginate(session, statement.order_by(*order), params, plain=True)


def _check(session: Session, discipline: Discipline) -> None:
    """The rules a record keeps after any create or update (under the units' line locks)."""
    if session.get(Unit, discipline.issued_by_id) is None:
        raise InvalidReferenceError(
            "issued_by_id",
            t("Unit {issued_by_id} does not exist.", issued_by_id=discipline.issued_by_id),
        )
    if discipline.person_id is not None and session.get(Person, discipline.person_id) is None:
        raise InvalidReferenceError(
            "person_id", t("Person {person_id} does not exist.", person_id=discipline.person_id)
        )
    problem = form_problem(discipline.form, discipline.person_id)
    if problem:
        raise InvalidValueError("form", problem)
    require_open(
        session, discipline.unit_id, on=discipline.decided_on, what=t("disciplinary decision")
    )


def create_discipline(
    session: Session, *, scope: Scope, discipline_in: DisciplineCreate
) -> Discipline:
    scope.named_unit(discipline_in.unit_id)
    scope.named_unit(discipline_in.issued_by_id, "issued_by_id")
    scope.require_write(discipline_in.unit_id, t("record disciplines in this unit"))
    scope.require_write(discipline_in.issued_by_id, t("record this committee's decisions"))
    discipline = Discipline.model_validate(discipline_in)
    with audited(
        session,
        scope=scope,
        action="create",
        entity=discipline,
        lines=[discipline.unit_id, discipline.issued_by_id],
    ):
        require_unlocked(session, unit_id=discipline.unit_id, day=discipline.decided_on)
        _check(session, discipline)
        session.add(discipline)
    return discipline


def update_discipline(
    session: Session, *, scope: Scope, discipline: Discipline, discipline_in: DisciplineUpdate
) -> Discipline:
    changes = discipline_in.model_dump(exclude_unset=True)
    scope.require_write(discipline.unit_id, t("change disciplines in this unit"))
    scope.require_write(discipline.issued_by_id, t("change this committee's decisions"))
    if "issued_by_id" in changes:
        scope.named_unit(changes["issued_by_id"], "issued_by_id")
        scope.require_write(changes["issued_by_id"], t("record this committee's decisions"))
    with audited(
        session,
        scope=scope,
        action="update",
        entity=discipline,
        lines=[discipline.unit_id, discipline.issued_by_id, changes.get("issued_by_id")],
    ):
        # Counted in the evaluation of its day's period: both days, and both units, are checked.
        require_unlocked(session, unit_id=discipline.unit_id, day=discipline.decided_on)
        if discipline.apply(changes):
            require_unlocked(session, unit_id=discipline.unit_id, day=discipline.decided_on)
            _check(session, discipline)
    return discipline


def delete_discipline(session: Session, *, scope: Scope, discipline: Discipline) -> None:
    scope.require_write(discipline.unit_id, t("delete disciplines in this unit"))
    scope.require_write(discipline.issued_by_id, t("delete this committee's decisions"))
    with audited(
        session,
        scope=scope,
        action="delete",
        entity=discipline,
        lines=[discipline.unit_id, discipline.issued_by_id],
    ):
        require_unlocked(session, unit_id=discipline.unit_id, day=discipline.decided_on)
        session.delete(discipline)
