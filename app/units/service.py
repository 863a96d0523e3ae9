"""The party organisation tree: queries and rules. A unit's subtree includes the unit itself."""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, Select, func, select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited, record_event, snapshot
from app.commitments.workflow import FINISHED
from app.core import clock
from app.core.errors import (
    AppError,
    ConflictError,
    InvalidReferenceError,
    InvalidValueError,
    NotFoundError,
)
from app.core.i18n import joined, t
from app.core.pagination import PageParams, paginate
from app.core.text import contains_pattern, search_key
from app.models import (
    SINCE_EVER,
    UNTIL_CHANGED,
    AreaOfCharge,
    Position,
    Unit,
    UnitClosure,
    UnitKind,
)
from app.tree import versions
from app.tree.closure import open_on, valid_on
from app.tree.holdings import held_from, open_terms
from app.tree.lineage import lock_lines
from app.tree.structure import hang_new, rehang
from app.tree.versions import units_on
from app.units.schemas import UnitCorrection, UnitCreate, UnitUpdate

# A nested tree is built in memory; larger subtrees are read page by page from /descendants.
MAX_TREE_NODES = 10_000
# Kinds that never have units below them.
LEAF_KINDS = frozenset({UnitKind.party_cell})


class TreeTooLargeError(AppError):
    status = 422
    title = t("Result Too Large")
    type = "/problems/too-large"


@dataclass(frozen=True)
class UnitFilters:
    q: str | None = None
    kind: UnitKind | None = None
    as_of: date | None = None
    include_closed: bool | None = None

    @property
    def shows_closed(self) -> bool:
        """Closed units are listed when asked, and by default when searching by name: a search
        for a name finds the unit that bore it, closed or not."""
        if self.include_closed is not None:
            return self.include_closed
        return bool(self.q)


def _not_closed(today: date) -> ColumnElement[bool]:
    return sa.or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) > today)


def _filtered(statement: Select[Any], filters: UnitFilters, kind: Any) -> Select[Any]:
    if filters.q:
        statement = statement.where(col(Unit.search_key).like(contains_pattern(filters.q)))
    if filters.kind:
        statement = statement.where(kind == filters.kind)
    if filters.as_of:
        statement = statement.where(open_on(filters.as_of))
    elif not filters.shows_closed:
        statement = statement.where(_not_closed(clock.today()))
    return statement


def _view(filters: UnitFilters) -> tuple[Select[Any], Any, Any, Any]:
    """The select of units for the filters' day, with its name, kind and parent columns."""
    if filters.as_of is None:
        return select(Unit), col(Unit.name), col(Unit.kind), col(Unit.parent_id)
    view = units_on(filters.as_of)
    columns = view.selected_columns
    return view, columns.name, columns.kind, columns.parent_id


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
    """Units matching the filters, ordered by level, name and id, in the tree of `as_of`
    (default today).

    `root_id` limits the list to that unit's subtree, between `min_depth` and `max_depth` levels
    below it.
    """
    statement, name, kind, parent = _view(filters)
    statement = statement.where(scope.covers(Unit.id))
    if parent_id is not None:
        statement = statement.where(parent == parent_id)
    if root_id is not None:
        statement = statement.join(
            UnitClosure, col(UnitClosure.descendant_id) == col(Unit.id)
        ).where(
            col(UnitClosure.ancestor_id) == root_id,
            col(UnitClosure.depth) >= min_depth,
            valid_on(UnitClosure, filters.as_of),
        )
        if max_depth is not None:
            statement = statement.where(col(UnitClosure.depth) <= max_depth)
    statement = _filtered(statement, filters, kind)
    level = statement.selected_columns.level
    return paginate(session, statement.order_by(level, name, col(Unit.id)), params, plain=True)


def list_ancestors(
    session: Session, *, scope: Scope, unit: Unit, as_of: date | None = None
) -> list[Any]:
    """The unit's superiors within the caller's scope on `as_of` (default today), from the top
    down to its parent."""
    statement, _, _, _ = _view(UnitFilters(as_of=as_of))
    statement = (
        statement.join(UnitClosure, col(UnitClosure.ancestor_id) == col(Unit.id))
        .where(
            col(UnitClosure.descendant_id) == unit.id,
            col(UnitClosure.depth) > 0,
            valid_on(UnitClosure, as_of),
            scope.covers(Unit.id),
        )
        .order_by(col(UnitClosure.depth).desc())
    )
    if as_of is None:
        return list(session.execute(statement).scalars())
    return [dict(row) for row in session.execute(statement).mappings()]


def get_unit_as_of(session: Session, *, unit: Unit, as_of: date | None) -> Any:
    """The unit as it stood on `as_of` (its own row when not given)."""
    if as_of is None:
        return unit
    row = session.execute(units_on(as_of).where(col(Unit.id) == unit.id)).mappings().one()
    return dict(row)


def get_tree(
    session: Session, *, unit: Unit, validity: UnitFilters, max_depth: int | None
) -> dict[str, Any]:
    """The unit and its subtree on `as_of` (default today) as nested dicts; filtered-out units
    hide their own subtree."""
    day = validity.as_of or clock.today()
    # Today's units are their own rows; another day's are read through its versions.
    view = units_on(day) if validity.as_of else select(*Unit.__table__.columns)  # type: ignore[attr-defined]
    statement = view.join(UnitClosure, col(UnitClosure.descendant_id) == col(Unit.id)).where(
        col(UnitClosure.ancestor_id) == unit.id,
        col(UnitClosure.depth) > 0,
        valid_on(UnitClosure, day),
    )
    if max_depth is not None:
        statement = statement.where(col(UnitClosure.depth) <= max_depth)
    statement = _filtered(statement, validity, view.selected_columns.kind)
    columns = statement.selected_columns
    rows = list(
        session.execute(
            statement.order_by(columns.level, columns.name, col(Unit.id)).limit(MAX_TREE_NODES + 1)
        ).mappings()
    )
    if len(rows) > MAX_TREE_NODES:
        raise TreeTooLargeError(
            t(
                "The subtree has more than {limit} units; pass max_depth or page through "
                "/descendants.",
                limit=MAX_TREE_NODES,
            )
        )
    assert unit.id is not None
    top = session.execute(view.where(col(Unit.id) == unit.id)).mappings().one()
    root = {**top, "children": []}
    nodes: dict[int, dict[str, Any]] = {unit.id: root}
    for row in rows:  # parents come before children: ordered by level
        parent = nodes.get(row["parent_id"])
        if parent is not None:
            node = {**row, "children": []}
            parent["children"].append(node)
            nodes[row["id"]] = node
    return root


def _ensure_code_free(session: Session, code: str, *, exclude_id: int | None = None) -> None:
    statement = select(col(Unit.code)).where(func.lower(col(Unit.code)) == code.lower())
    if exclude_id is not None:
        statement = statement.where(col(Unit.id) != exclude_id)
    taken = session.execute(statement).scalar()
    if taken is not None:
        raise ConflictError(
            t(
                "A unit with code {taken!r} already exists (codes are compared without regard "
                "to case).",
                taken=taken,
            )
        )


def _open_parent(session: Session, parent_id: int) -> Unit:
    parent = session.get(Unit, parent_id)
    if parent is None:
        raise InvalidReferenceError(
            "parent_id", t("Unit {parent_id} does not exist.", parent_id=parent_id)
        )
    if parent.valid_to is not None:
        raise ConflictError(
            t(
                "The parent unit {code} closed on {valid_to}.",
                code=parent.code,
                valid_to=parent.valid_to,
            )
        )
    if parent.kind in LEAF_KINDS:
        raise ConflictError(
            t(
                "A {label} ({kind}) cannot have units below it.",
                label=parent.kind.label,
                kind=parent.kind,
            )
        )
    return parent


def create_unit(session: Session, *, scope: Scope, unit_in: UnitCreate) -> Unit:
    scope.require_write(unit_in.parent_id, t("create a unit there"))
    unit = Unit.model_validate(
        unit_in, update={"search_key": search_key(unit_in.name, unit_in.code)}
    )
    # The closure rows reference every unit above: their line first.
    with audited(session, scope=scope, action="create", entity=unit, lines=[unit_in.parent_id]):
        add(session, unit=unit)
    return unit


def add(session: Session, *, unit: Unit) -> None:
    """Add a new unit (code free, parent open) with its closure rows and first version, in the
    caller's audited transaction (which holds the parent's line)."""
    _ensure_code_free(session, unit.code)
    parent = _open_parent(session, unit.parent_id) if unit.parent_id is not None else None
    unit.level = parent.level + 1 if parent else 0
    session.add(unit)
    session.flush()
    assert unit.id is not None
    hang_new(session, unit_id=unit.id, parent_id=unit.parent_id)
    versions.first_version(session, unit)


def _is_in_subtree(session: Session, *, root_id: int, unit_id: int) -> bool:
    statement = select(col(UnitClosure.depth)).where(
        col(UnitClosure.ancestor_id) == root_id,
        col(UnitClosure.descendant_id) == unit_id,
        valid_on(UnitClosure),
    )
    return session.execute(statement).first() is not None


def _check_validity_and_kind(session: Session, *, unit: Unit, changes: dict[str, Any]) -> None:
    valid_from = changes.get("valid_from", unit.valid_from)
    if valid_from is not None and unit.valid_to is not None and unit.valid_to <= valid_from:
        raise InvalidValueError(
            "valid_from",
            t(
                "The unit closed on {valid_to}, before {valid_from}.",
                valid_to=unit.valid_to,
                valid_from=valid_from,
            ),
        )
    if changes.get("kind") in LEAF_KINDS and unit.kind not in LEAF_KINDS:
        has_children = session.execute(
            select(col(Unit.id)).where(col(Unit.parent_id) == unit.id)
        ).first()
        if has_children is not None:
            raise ConflictError(
                t(
                    "Unit {code} has units below it and cannot become a {kind}.",
                    code=unit.code,
                    kind=changes["kind"],
                )
            )


def update_unit(session: Session, *, scope: Scope, unit: Unit, unit_in: UnitUpdate) -> Unit:
    """Change the fields sent from `effective_on` (default today): a new version of the code,
    name and kind, a move of the subtree; every earlier day keeps its answers."""
    scope.require_write(unit.id, t("change this unit"))
    changes = unit_in.model_dump(exclude_unset=True, exclude={"effective_on"})
    on = unit_in.effective_on or clock.today()
    if on > clock.today():
        raise InvalidValueError(
            "effective_on",
            t("{on} lies ahead: a change is recorded on the day it takes effect, or later.", on=on),
        )
    moves = "parent_id" in changes and changes["parent_id"] != unit.parent_id
    renamed = {f: changes[f] for f in versions.VERSIONED if f in changes}
    renamed = {f: v for f, v in renamed.items() if v != getattr(unit, f)}
    assert unit.id is not None
    if moves or renamed:
        _require_not_closed(unit, unit.valid_to)
    if moves:
        # Before any lock: a caller may not hold up a line it may not write to.
        scope.require_write(changes["parent_id"], t("move a unit there"))
    # A move locks both lines and the subtree whose levels it shifts, in the one order.
    with audited(
        session,
        scope=scope,
        action="update",
        entity=unit,
        lines=[unit.id, changes["parent_id"] if moves else None],
        subtrees=[unit.id] if moves else [],
    ):
        if moves or renamed:
            # Read afresh under the line lock: the unit was loaded before it, and a close (or a
            # reorganisation) committed meanwhile answers 409 here, not 412 at the flush.
            _require_not_closed(
                unit,
                session.execute(
                    select(col(Unit.valid_to)).where(col(Unit.id) == unit.id)
                ).scalar_one(),
            )
        if (moves or renamed) and unit.valid_from is not None and on < unit.valid_from:
            raise InvalidValueError(
                "effective_on",
                t(
                    "Unit {code} opened on {valid_from}, after {on}.",
                    code=unit.code,
                    valid_from=unit.valid_from,
                    on=on,
                ),
            )
        _check_validity_and_kind(session, unit=unit, changes=changes)
        if moves:
            move(session, unit=unit, parent_id=changes.pop("parent_id"), on=on)
        if renamed:
            rename(session, unit=unit, changes=renamed, on=on)
        unit.apply(changes)
    return unit


def _require_not_closed(unit: Unit, valid_to: date | None) -> None:
    if valid_to is not None:
        raise ConflictError(
            t(
                "Unit {code} closed on {valid_to}: its code, name, kind and place are those it "
                "closed with (a past mistake is corrected with POST "
                "/api/v1/units/{{id}}/corrections).",
                code=unit.code,
                valid_to=valid_to,
            )
        )


def move(session: Session, *, unit: Unit, parent_id: int | None, on: date) -> None:
    """Hang the unit and its subtree under an open parent from `on`, in the caller's audited
    transaction (which holds both lines and the subtree)."""
    new_parent = _open_parent(session, parent_id) if parent_id is not None else None
    if new_parent is not None:
        assert new_parent.id is not None
        assert unit.id is not None
        if _is_in_subtree(session, root_id=unit.id, unit_id=new_parent.id):
            raise ConflictError(
                t(
                    "Unit {code} lies in the subtree of {unit_code}: that would make a cycle.",
                    code=new_parent.code,
                    unit_code=unit.code,
                )
            )
    # The figures of `on`'s period move with the subtree, out of the old line into the new.
    require_unlocked(session, unit_id=unit.id, day=on)
    require_unlocked(session, unit_id=parent_id, day=on)
    rehang(session, unit=unit, new_parent=new_parent, on=on)
    unit.apply({"parent_id": parent_id})


def rename(session: Session, *, unit: Unit, changes: dict[str, Any], on: date) -> None:
    """A new code, name or kind from `on`, in the caller's audited transaction."""
    if "code" in changes and changes["code"].lower() != unit.code.lower():
        _ensure_code_free(session, changes["code"], exclude_id=unit.id)
    versions.change(session, unit=unit, changes=changes, on=on)
    unit.apply(
        changes
        | {"search_key": search_key(changes.get("name", unit.name), changes.get("code", unit.code))}
    )


def close_unit(session: Session, *, scope: Scope, unit: Unit, valid_to: date) -> Unit:
    scope.require_write(unit.id, t("close this unit"))
    with audited(session, scope=scope, action="close", entity=unit, lines=[unit.id]):
        close(session, scope=scope, unit=unit, valid_to=valid_to)
    return unit


def close(
    session: Session, *, scope: Scope, unit: Unit, valid_to: date
) -> list[Position | AreaOfCharge]:
    """Close the unit on `valid_to` under the rules of a close, in the caller's audited
    transaction (which holds the unit's line); returns the posts and areas of charge this
    ended."""
    if unit.valid_to is not None:
        raise ConflictError(
            t("Unit {code} already closed on {valid_to}.", code=unit.code, valid_to=unit.valid_to)
        )
    if unit.valid_from is not None and valid_to <= unit.valid_from:
        raise InvalidValueError(
            "valid_to",
            t("valid_to must be after valid_from ({valid_from}).", valid_from=unit.valid_from),
        )
    # A close (and a merge's successor) re-attributes the unit's figures from its day.
    require_unlocked(session, unit_id=unit.id, day=valid_to)
    open_children = session.execute(
        select(func.count()).where(col(Unit.parent_id) == unit.id, _not_closed(valid_to))
    ).scalar_one()
    if open_children:
        raise ConflictError(
            t(
                "Unit {code} still has {open_children} open unit(s) below it on {valid_to}: "
                "close or move them first.",
                code=unit.code,
                open_children=open_children,
                valid_to=valid_to,
            )
        )
    # Checked under the unit's line lock: a write racing the close either came first and
    # is seen here, or waits and then meets the closed unit (app/tree/holdings.py).
    held = held_from(session, unit_id=unit.id, day=valid_to, finished=FINISHED)
    if held:
        raise ConflictError(
            t(
                "Unit {code} holds records dated on or after {valid_to}: {held}.",
                code=unit.code,
                valid_to=valid_to,
                held=joined(held, ";"),
            )
        )
    unit.apply({"valid_to": valid_to})
    # Posts and areas of charge on a closed unit end on its closing day (issue 12, item 3).
    ended: list[Position | AreaOfCharge] = []
    for model in (Position, AreaOfCharge):
        for term in open_terms(session, model, unit_id=unit.id, day=valid_to):
            before = snapshot(term)
            term.apply({"end_on": valid_to})
            record_event(
                session, scope=scope, action="update", entity=term, before=before, unit_id=unit.id
            )
            ended.append(term)
    return ended


def correct(
    session: Session, *, scope: Scope, unit: Unit, correction: UnitCorrection
) -> dict[str, Any]:
    """Rewrite the code, name or kind of the version in force on `correction.on` over its
    whole validity: the one operation that changes earlier answers, audited as `correct` with
    the reason, and saying which days' answers it changed."""
    scope.require_write(unit.id, t("correct this unit"))
    assert unit.id is not None
    changes = correction.model_dump(include=set(versions.VERSIONED), exclude_none=True)
    if not changes:
        raise InvalidValueError("name", t("A correction names a code, name or kind."))
    # The line first (app/tree/lineage.py), then the version and the unit read under it: an
    # edit committed meanwhile may have ended this version, and only today's version is also
    # the unit's own row.
    lock_lines(session, unit.id)
    session.refresh(unit)
    version = versions.version_of(session, unit.id, correction.on)
    if version is None:
        raise NotFoundError(
            t("Unit {code} has no version on {on}.", code=unit.code, on=correction.on)
        )
    with audited(
        session, scope=scope, action="correct", entity=version, lines=[unit.id], unit_id=unit.id
    ) as before:
        assert before is not None
        if changes.get("code", version.code).lower() != version.code.lower():
            _ensure_code_free(session, changes["code"], exclude_id=unit.id)
        version.sqlmodel_update(changes | {"correction_reason": correction.reason})
        session.add(version)
        if version.valid_to == UNTIL_CHANGED:  # today's version: the unit's row too
            unit.apply(
                changes
                | {
                    "search_key": search_key(
                        changes.get("name", unit.name), changes.get("code", unit.code)
                    )
                }
            )
        after = {field: getattr(version, field) for field in versions.VERSIONED}
    return {
        "unit_id": unit.id,
        "valid_from": None if version.valid_from == SINCE_EVER else version.valid_from,
        "valid_to": None if version.valid_to == UNTIL_CHANGED else version.valid_to,
        "before": {field: before[field] for field in versions.VERSIONED},
        "after": after,
        "reason": correction.reason,
    }
