"""People, the posts they hold and the units they are personally in charge of.

Positions and areas of charge are both terms: a person, a unit and a period [start_on, end_on).
"""

from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited
from app.core.errors import ConflictError, InvalidReferenceError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.core.text import contains_pattern, search_key
from app.models import POST_UNIT_KINDS, AreaOfCharge, Person, Position, Post, Unit
from app.people.schemas import PersonCreate, PersonUpdate
from app.tree.holdings import require_open

Term = TypeVar("Term", Position, AreaOfCharge)


def list_people(session: Session, *, params: PageParams, q: str | None) -> dict[str, Any]:
    statement = select(Person)
    if q:
        statement = statement.where(col(Person.search_key).like(contains_pattern(q)))
    return paginate(
        session, statement.order_by(col(Person.search_key), col(Person.id)), params, plain=True
    )


def create_person(session: Session, *, scope: Scope, person_in: PersonCreate) -> Person:
    scope.require_role(t("record people"))
    person = Person.model_validate(
        person_in, update={"search_key": search_key(person_in.full_name)}
    )
    # A person belongs to no unit: no line to lock.
    with audited(session, scope=scope, action="create", entity=person):
        session.add(person)
    return person


def update_person(
    session: Session, *, scope: Scope, person: Person, person_in: PersonUpdate
) -> Person:
    scope.require_role(t("change people"))
    changes = person_in.model_dump(exclude_unset=True)
    if "full_name" in changes:
        changes["search_key"] = search_key(changes["full_name"])
    with audited(session, scope=scope, action="update", entity=person):
        person.apply(changes)
    return person


def delete_person(session: Session, *, scope: Scope, person: Person) -> None:
    """Only a person nothing refers to can be deleted; the database enforces it."""
    scope.require_role(t("delete people"))
    with audited(session, scope=scope, action="delete", entity=person):
        session.delete(person)


@dataclass(frozen=True)
class TermFilters:
    person_id: int | None = None
    unit_id: int | None = None
    as_of: date | None = None


def list_terms(
    session: Session,
    model: type[Term],
    *,
    scope: Scope,
    params: PageParams,
    filters: TermFilters,
    post: Post | None = None,
) -> dict[str, Any]:
    statement = select(model).where(scope.covers(model.unit_id))
    if filters.person_id is not None:
        statement = statement.where(col(model.person_id) == filters.person_id)
    if filters.unit_id is not None:
        statement = statement.where(col(model.unit_id) == filters.unit_id)
    if filters.as_of is not None:
        statement = statement.where(
            sa.or_(col(model.start_on).is_(None), col(model.start_on) <= filters.as_of),
            sa.or_(col(model.end_on).is_(None), col(model.end_on) > filters.as_of),
        )
    if post is not None:
        statement = statement.where(col(Position.post) == post)
    order = (
        col(model.unit_id),
        col(model.start_on).is_(None),
        col(model.start_on),
        col(model.id),
    )
    return paginate(session, statement.order_by(*order), params, plain=True)


def _check_term(session: Session, term: Position | AreaOfCharge) -> None:
    """The rules a term must keep after any create or update."""
    if session.get(Person, term.person_id) is None:
        raise InvalidReferenceError(
            "person_id", t("Person {person_id} does not exist.", person_id=term.person_id)
        )
    unit = session.get(Unit, term.unit_id)
    if unit is None:
        raise InvalidReferenceError(
            "unit_id", t("Unit {unit_id} does not exist.", unit_id=term.unit_id)
        )
    if term.start_on is not None and term.end_on is not None and term.end_on <= term.start_on:
        raise InvalidValueError("end_on", t("end_on must be after start_on."))
    if term.start_on is not None:
        require_open(
            session, term.unit_id, on=term.start_on, what=t("post or area of charge starting")
        )
        if unit.valid_from is not None and term.start_on < unit.valid_from:
            raise ConflictError(
                t(
                    "Unit {code} only exists from {valid_from}.",
                    code=unit.code,
                    valid_from=unit.valid_from,
                )
            )
    if isinstance(term, Position):
        kinds = POST_UNIT_KINDS.get(term.post)
        if kinds is not None and unit.kind not in kinds:
            raise ConflictError(
                t(
                    "The post {label} ({post}) does not exist in a {kind_label} ({kind}).",
                    label=term.post.label,
                    post=term.post,
                    kind_label=unit.kind.label,
                    kind=unit.kind,
                )
            )


def create_term(session: Session, model: type[Term], *, scope: Scope, term_in: Any) -> Term:
    term = model.model_validate(term_in)
    # Scope first: checking the references first would tell whether an unseen unit exists.
    scope.require_write(term.unit_id, t("record posts and areas of charge in this unit"))
    with audited(session, scope=scope, action="create", entity=term, lines=[term.unit_id]):
        _check_term(session, term)
        session.add(term)
    return term


def update_term(session: Session, *, scope: Scope, term: Term, term_in: Any) -> Term:
    scope.require_write(term.unit_id, t("change posts and areas of charge in this unit"))
    with audited(session, scope=scope, action="update", entity=term, lines=[term.unit_id]):
        if term.apply(term_in.model_dump(exclude_unset=True)):
            _check_term(session, term)
    return term


def delete_term(session: Session, *, scope: Scope, term: Position | AreaOfCharge) -> None:
    scope.require_write(term.unit_id, t("delete posts and areas of charge in this unit"))
    with audited(session, scope=scope, action="delete", entity=term, lines=[term.unit_id]):
        session.delete(term)
