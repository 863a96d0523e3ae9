from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited
from app.core.errors import ConflictError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.core.text import contains_pattern, search_key
from app.directives.schemas import DirectiveCreate, DirectiveUpdate
from app.models import Directive


def list_directives(session: Session, *, params: PageParams, q: str | None) -> dict[str, Any]:
    statement = select(Directive)
    if q:
        statement = statement.where(col(Directive.search_key).like(contains_pattern(q)))
    return paginate(
        session,
        statement.order_by(col(Directive.issued_on).desc(), col(Directive.id)),
        params,
        plain=True,
    )


def _ensure_code_free(session: Session, code: str, *, exclude_id: int | None = None) -> None:
    statement = select(col(Directive.id)).where(col(Directive.code) == code)
    if exclude_id is not None:
        statement = statement.where(col(Directive.id) != exclude_id)
    if session.execute(statement).first() is not None:
        raise ConflictError(t("A directive with code {code!r} already exists.", code=code))


def create_directive(session: Session, *, scope: Scope, directive_in: DirectiveCreate) -> Directive:
    scope.require_admin(t("record directives"))
    _ensure_code_free(session, directive_in.code)
    directive = Directive.model_validate(
        directive_in, update={"search_key": search_key(directive_in.code, directive_in.title)}
    )
    # A directive belongs to no unit: no line to lock.
    with audited(session, scope=scope, action="create", entity=directive):
        session.add(directive)
    return directive


def update_directive(
    session: Session, *, scope: Scope, directive: Directive, directive_in: DirectiveUpdate
) -> Directive:
    scope.require_admin(t("change directives"))
    changes = directive_in.model_dump(exclude_unset=True)
    if "code" in changes and changes["code"] != directive.code:
        _ensure_code_free(session, changes["code"], exclude_id=directive.id)
    if "code" in changes or "title" in changes:
        changes["search_key"] = search_key(
            changes.get("code", directive.code), changes.get("title", directive.title)
        )
    with audited(session, scope=scope, action="update", entity=directive):
        directive.apply(changes)
    return directive


def delete_directive(session: Session, *, scope: Scope, directive: Directive) -> None:
    """Only a directive nothing refers to can be deleted; the database enforces it."""
    scope.require_admin(t("delete directives"))
    with audited(session, scope=scope, action="delete", entity=directive):
        session.delete(directive)
