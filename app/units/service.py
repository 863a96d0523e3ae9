"""The party organisation tree: queries and rules. A unit's subtree includes the unit itself."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, func, insert, select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited, record_event, snapshot
from app.commitments.workflow import FINISHED
from app.core import clock
from app.core.errors import (
    AppError,
    ConflictError,
    InvalidReferenceError,
    InvalidValueError,
)
from app.core.pagination import PageParams, paginate
from app.core.text import contains_pattern, search_key
from app.models import AreaOfCharge, Position, Unit, UnitClosure, UnitKind
from app.tree.closure import open_on
from app.tree.holdings import held_from, open_terms
from app.tree.structure import rehang
from app.units.schemas import UnitCreate, UnitUpdate

# A nested tree is built in memory; larger subtrees are read page by page from /descendants.
MAX_TREE_NODES = 10_000
# Kinds that never have units below them.
LEAF_KINDS = frozenset({UnitKind.party_cell})


class TreeTooLargeError(AppError):
    status = 422
    title = "Result Too Large"
    type = "/problems/too-large"


@dataclass(frozen=True)
class UnitFilters:
    q: str | None = None
    kind: UnitKind | None = None
    as_of: date | None = None
    include_closed: bool = False


def _not_closed(today: date) -> ColumnElement[bool]:
    return sa.or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) > today)


def _filtered(statement: Select[Any], filters: UnitFilters) -> Select[Any]:
    if filters.q:
        statement = statement.where(col(Unit.search_key).like(contains_pattern(filters.q)))
    if filters.kind:
        statement = statement.where(col(Unit.kind) == filters.kind)
    if filters.as_of:
        statement = statement.where(open_on(filters.as_of))
    elif not filters.include_closed:
        statement = statement.where(_not_closed(clock.today()))
    return statement


def list_units(
    session: Session,
    *,
    scope: Scope,
    params: PageParams,
    filters: UnitFilters,
    parent_id: int | None = None,
    root_id: int | None = None,
    min_depth: int = 0,
    max_depth: int | None = None,
) -> dict[str, Any]:
    """Units matching the filters, ordered by level, name and id.

    `root_id` limits the list to that unit's subtree, between `min_depth` and `max_depth` levels
    below it.
    """
    statement = select(Unit).where(scope.covers(Unit.id))
    if parent_id is not None:
        statement = statement.where(col(Unit.parent_id) == parent_id)
    if root_id is not None:
        statement = statement.join(
            UnitClosure, col(UnitClosure.descendant_id) == col(Unit.id)
        ).where(col(UnitClosure.ancestor_id) == root_id, col(UnitClosure.depth) >= min_depth)
        if max_depth is not None:
            statement = statement.where(col(UnitClosure.depth) <= max_depth)
    statement = _filtered(statement, filters).order_by(
        col(Unit.level), col(Unit.name), col(Unit.id)
    )
    return paginate(session, statement, params, plain=True)


def list_ancestors(session: Session, *, scope: Scope, unit: Unit) -> list[Unit]:
    """The unit's superiors within the caller's scope, from the top down to its parent."""
    statement = (
        select(Unit)
        .join(UnitClosure, col(UnitClosure.ancestor_id) == col(Unit.id))
        .where(
            col(UnitClosure.descendant_id) == unit.id,
            col(UnitClosure.depth) > 0,
            scope.covers(Unit.id),
        )
        .order_by(col(UnitClosure.depth).desc())
    )
    return list(session.execute(statement).scalars())


def get_tree(
    session: Session, *, unit: Unit, validity: UnitFilters, max_depth: int | None
) -> dict[str, Any]:
    """The unit and its subtree as nested dicts; filtered-out units hide their own subtree."""
    statement = (
        select(Unit)
        .join(UnitClosure, col(UnitClosure.descendant_id) == col(Unit.id))
        .where(col(UnitClosure.ancestor_id) == unit.id, col(UnitClosure.depth) > 0)
    )
    if max_depth is not None:
        statement = statement.where(col(UnitClosure.depth) <= max_depth)
    statement = _filtered(statement, validity)
    rows = list(
        session.execute(
            statement.order_by(col(Unit.level), col(Unit.name), col(Unit.id)).limit(
                MAX_TREE_NODES + 1
            )
        ).scalars()
    )
    if len(rows) > MAX_TREE_NODES:
        raise TreeTooLargeError(
            f"The subtree has more than {MAX_TREE_NODES} units; pass max_depth or page through "
            "/descendants."
        )
    assert unit.id is not None
    nodes: dict[int, dict[str, Any]] = {}
    root = {**unit.model_dump(), "children": []}
    nodes[unit.id] = root
    for row in rows:  # parents come before children: ordered by level
        parent = nodes.get(row.parent_id)
        if parent is not None:
            node = {**row.model_dump(), "children": []}
            parent["children"].append(node)
            nodes[row.id] = node
    return root


def _ensure_code_free(session: Session, code: str, *, exclude_id: int | None = None) -> None:
    statement = select(col(Unit.code)).where(func.lower(col(Unit.code)) == code.lower())
    if exclude_id is not None:
        statement = statement.where(col(Unit.id) != exclude_id)
    taken = session.execute(statement).scalar()
    if taken is not None:
        raise ConflictError(
            f"A unit with code {taken!r} already exists (codes are compared without regard to "
            "case)."
        )


def _open_parent(session: Session, parent_id: int) -> Unit:
    parent = session.get(Unit, parent_id)
    if parent is None:
        raise InvalidReferenceError("parent_id", f"Unit {parent_id} does not exist.")
    if parent.valid_to is not None:
        raise ConflictError(f"The parent unit {parent.code} closed on {parent.valid_to}.")
    if parent.kind in LEAF_KINDS:
        raise ConflictError(f"A {parent.kind.label} ({parent.kind}) cannot have units below it.")
    return parent


def create_unit(session: Session, *, scope: Scope, unit_in: UnitCreate) -> Unit:
    scope.require_write(unit_in.parent_id, "create a unit there")
    unit = Unit.model_validate(
        unit_in, update={"search_key": search_key(unit_in.name, unit_in.code)}
    )
    # The closure rows reference every unit above: their line first.
    with audited(session, scope=scope, action="create", entity=unit, lines=[unit_in.parent_id]):
        _ensure_code_free(session, unit_in.code)
        parent = _open_parent(session, unit_in.parent_id) if unit_in.parent_id is not None else None
        unit.level = parent.level + 1 if parent else 0
        session.add(unit)
        session.flush()
        session.execute(
            insert(UnitClosure).values(ancestor_id=unit.id, descendant_id=unit.id, depth=0)
        )
        if parent is not None:
            session.execute(
                insert(UnitClosure).from_select(
                    ["ancestor_id", "descendant_id", "depth"],
                    select(
                        col(UnitClosure.ancestor_id),
                        sa.literal(unit.id),
                        col(UnitClosure.depth) + 1,
                    ).where(col(UnitClosure.descendant_id) == parent.id),
                )
            )
    return unit


def _is_in_subtree(session: Session, *, root_id: int, unit_id: int) -> bool:
    statement = select(col(UnitClosure.depth)).where(
        col(UnitClosure.ancestor_id) == root_id, col(UnitClosure.descendant_id) == unit_id
    )
    return session.execute(statement).first() is not None


def update_unit(session: Session, *, scope: Scope, unit: Unit, unit_in: UnitUpdate) -> Unit:
    scope.require_write(unit.id, "change this unit")
    changes = unit_in.model_dump(exclude_unset=True)
    moves = "parent_id" in changes and changes["parent_id"] != unit.parent_id
    assert unit.id is not None
    if moves:
        if unit.valid_to is not None:
            raise ConflictError(f"Unit {unit.code} is closed and cannot be moved.")
        # Before any lock: a caller may not hold up a line it may not write to.
        scope.require_write(changes["parent_id"], "move a unit there")
    # A move locks both lines and the subtree whose levels it shifts, in the one order.
    with audited(
        session,
        scope=scope,
        action="update",
        entity=unit,
        lines=[unit.id, changes["parent_id"] if moves else None],
        subtrees=[unit.id] if moves else [],
    ):
        if "code" in changes and changes["code"] != unit.code:
            _ensure_code_free(session, changes["code"], exclude_id=unit.id)
        valid_from = changes.get("valid_from", unit.valid_from)
        if valid_from is not None and unit.valid_to is not None and unit.valid_to <= valid_from:
            raise InvalidValueError(
                "valid_from", f"The unit closed on {unit.valid_to}, before {valid_from}."
            )
        if changes.get("kind") in LEAF_KINDS and unit.kind not in LEAF_KINDS:
            has_children = session.execute(
                select(col(Unit.id)).where(col(Unit.parent_id) == unit.id)
            ).first()
            if has_children is not None:
                raise ConflictError(
                    f"Unit {unit.code} has units below it and cannot become a {changes['kind']}."
                )
        if moves:
            new_parent_id = changes["parent_id"]
            new_parent = _open_parent(session, new_parent_id) if new_parent_id is not None else None
            if new_parent is not None:
                assert new_parent.id is not None
                if _is_in_subtree(session, root_id=unit.id, unit_id=new_parent.id):
                    raise ConflictError(
                        f"Unit {new_parent.code} lies in the subtree of {unit.code}: "
                        "that would make a cycle."
                    )
            rehang(session, unit=unit, new_parent=new_parent)
        if "code" in changes or "name" in changes:
            changes["search_key"] = search_key(
                changes.get("name", unit.name), changes.get("code", unit.code)
            )
        unit.apply(changes)
    return unit


def close_unit(session: Session, *, scope: Scope, unit: Unit, valid_to: date) -> Unit:
    scope.require_write(unit.id, "close this unit")
    with audited(session, scope=scope, action="close", entity=unit, lines=[unit.id]):
        if unit.valid_to is not None:
            raise ConflictError(f"Unit {unit.code} already closed on {unit.valid_to}.")
        if unit.valid_from is not None and valid_to <= unit.valid_from:
            raise InvalidValueError(
                "valid_to", f"valid_to must be after valid_from ({unit.valid_from})."
            )
        open_children = session.execute(
            select(func.count()).where(col(Unit.parent_id) == unit.id, _not_closed(valid_to))
        ).scalar_one()
        if open_children:
            raise ConflictError(
                f"Unit {unit.code} still has {open_children} open unit(s) below it on "
                f"{valid_to}: close or move them first."
            )
        # Checked under the unit's line lock: a write racing the close either came first and
        # is seen here, or waits and then meets the closed unit (app/tree/holdings.py).
        held = held_from(session, unit_id=unit.id, day=valid_to, finished=FINISHED)
        if held:
            raise ConflictError(
                f"Unit {unit.code} holds records dated on or after {valid_to}: "
                + "; ".join(held)
                + "."
            )
        unit.apply({"valid_to": valid_to})
        # Posts and areas of charge on a closed unit end on its closing day (issue 12, item 3).
        for model in (Position, AreaOfCharge):
            for term in open_terms(session, model, unit_id=unit.id, day=valid_to):
                before = snapshot(term)
                term.apply({"end_on": valid_to})
                record_event(
                    session,
                    scope=scope,
                    action="update",
                    entity=term,
                    before=before,
                    unit_id=unit.id,
                )
    return unit
