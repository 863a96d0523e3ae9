"""Reorganisations: one dated, audited event that establishes, merges, splits, moves, renames and
dissolves units, carries their open work over and links predecessors to successors, without
rewriting any earlier day (issue 12; the reorganisation of 1 July 2025, FACTS-2025.md:
Resolution 202/2025/QH15, Regulation 294-QĐ/TW).

Every operation is the unit service's own (add, move, rename, close): one code path, one set of
rules. A dry run applies them in the same way and rolls everything back; each operation runs in
a savepoint, so that a dry run lists every operation's conflicts and not only the first."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited, record_event, snapshot
from app.commitments.workflow import FINISHED
from app.core import clock
from app.core.errors import AppError, ConflictError, InvalidValueError, NotFoundError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.core.text import search_key
from app.models import (
    Commitment,
    CommitmentAction,
    CommitmentEvent,
    CommitmentStatus,
    LineageKind,
    RecruitmentTarget,
    Reorganisation,
    ReorganisationUnit,
    Unit,
    UnitLineage,
)
from app.reorganisations.schemas import (
    CarriedRecord,
    Conflict,
    Dissolve,
    Establish,
    Merge,
    Move,
    OpenCommitments,
    Operation,
    Plan,
    PlannedClose,
    PlannedMove,
    PlannedRename,
    PlannedUnit,
    Rename,
    ReorganisationCreate,
    Split,
)
from app.tree import versions
from app.tree.closure import children_ids
from app.tree.holdings import closed_by
from app.tree.lineage import lock_lines
from app.units import service as units


class OperationRefusedError(AppError):
    """An operation of the event breaks a rule: the answer names it by its index."""

    def __init__(self, index: int, operation: Operation, error: AppError) -> None:
        detail = t(
            "Operation {index} ({op}): {detail}", index=index, op=operation.op, detail=error.detail
        )
        field = [str(part) for part in (error.errors or [{}])[0].get("loc", [])[1:]]
        super().__init__(
            detail,
            errors=[
                {
                    "loc": ["body", "operations", index, *field],
                    "msg": error.detail,
                    "type": "conflict" if error.status == 409 else "value",
                }
            ],
            # The members the operation's own problem adds (the approval a lock names).
            extensions=error.extensions,
        )
        self.status, self.title, self.type = error.status, error.title, error.type


def _ids(operation: Operation) -> list[int]:
    """The existing units an operation names."""
    match operation:
        case Establish():
            refs: list[Any] = [operation.parent]
        case Merge():
            refs = [*operation.sources, operation.into]
        case Split():
            refs = [operation.source, *operation.into, *(a.unit for a in operation.children)]
        case Move():
            refs = [operation.unit, operation.parent]
        case Rename():
            refs = [operation.unit]
        case Dissolve():
            refs = [operation.unit, operation.children_to]
    return [ref for ref in refs if isinstance(ref, int)]


class _Event:
    """The operations applied one after the other, with what they planned."""

    def __init__(
        self, session: Session, scope: Scope, body: ReorganisationCreate, event_id: int | None
    ) -> None:
        self.session, self.scope, self.body, self.event_id = session, scope, body, event_id
        self.on = body.effective_on
        self.refs: dict[str, int] = {}
        self.plan = Plan()
        self.index = 0
        self.touched: set[int] = set()

    # --- references -------------------------------------------------------------------------

    def unit(self, ref: int | str | None, field: str) -> Unit | None:
        if ref is None:
            return None
        if isinstance(ref, str):
            if ref not in self.refs:
                raise InvalidValueError(
                    field,
                    t("No unit established earlier in this event is called {ref!r}.", ref=ref),
                )
            ref = self.refs[ref]
        unit = self.session.get(Unit, ref)
        if unit is None:
            raise InvalidValueError(field, t("Unit {ref} does not exist.", ref=ref))
        return unit

    def existing(self, unit_id: int, field: str) -> Unit:
        unit = self.unit(unit_id, field)
        assert unit is not None
        return unit

    def open_children(self, unit: Unit) -> list[Unit]:
        """The units directly below `unit` in the tree of the effective day, open on it."""
        return list(
            self.session.execute(
                select(Unit)
                .where(
                    col(Unit.id).in_(children_ids(unit.id, self.on)),
                    sa.or_(col(Unit.valid_to).is_(None), col(Unit.valid_to) > self.on),
                )
                .order_by(col(Unit.id))
            ).scalars()
        )

    # --- the operations ---------------------------------------------------------------------

    def apply(self, operation: Operation) -> None:
        match operation:
            case Establish():
                self.establish(operation)
            case Merge():
                into = self.open_unit(operation.into, "into")
                for i, source_id in enumerate(operation.sources):
                    source = self.existing(source_id, f"sources.{i}")
                    self.close_into(
                        source,
                        successors=[into],
                        history_to=into,
                        kind=LineageKind.merged,
                        children={c.id: into for c in self.open_children(source) if c.id},
                        targets=operation.targets,
                        commitments=operation,
                    )
            case Split():
                self.split(operation)
            case Move():
                unit = self.existing(operation.unit, "unit")
                parent = self.unit(operation.parent, "parent")
                self.move(unit, parent)
            case Rename():
                self.rename(operation)
            case Dissolve():
                unit = self.existing(operation.unit, "unit")
                to = self.unit(operation.children_to, "children_to")
                children = self.open_children(unit)
                if children and to is None:
                    raise InvalidValueError(
                        "children_to",
                        t(
                            "Unit {code} has {count} open unit(s) below it: say where they go.",
                            code=unit.code,
                            count=len(children),
                        ),
                    )
                self.close_into(
                    unit,
                    successors=[],
                    history_to=None,
                    kind=LineageKind.dissolved,
                    children={child.id: to for child in children if child.id},
                    targets=None,
                    commitments=operation,
                )

    def require_open(self, unit: Unit) -> None:
        """409 for a unit with no life on the effective day (app/tree/holdings.py)."""
        if closed_by(unit.valid_to, self.on):
            raise ConflictError(
                t("Unit {code} closed on {valid_to}.", code=unit.code, valid_to=unit.valid_to)
            )

    def open_unit(self, ref: int | str, field: str) -> Unit:
        """A unit open on the effective day: an existing one or one established before."""
        unit = self.unit(ref, field)
        assert unit is not None
        self.require_open(unit)
        return unit

    def establish(self, operation: Establish) -> None:
        if operation.ref in self.refs:
            raise InvalidValueError(
                "ref", t("{ref!r} names another unit already.", ref=operation.ref)
            )
        parent = self.unit(operation.parent, "parent")
        unit = Unit(
            code=operation.code,
            name=operation.name,
            kind=operation.kind,
            parent_id=parent.id if parent else None,
            valid_from=self.on,
            search_key=search_key(operation.name, operation.code),
        )
        units.add(self.session, unit=unit)
        assert unit.id is not None
        self.refs[operation.ref] = unit.id
        self.record(unit, None, action="create")
        self.link(LineageKind.established, None, unit.id)
        self.plan.opened.append(
            PlannedUnit(
                unit_id=unit.id,
                code=unit.code,
                name=unit.name,
                parent_id=unit.parent_id,
                ref=operation.ref,
            )
        )

    def move(self, unit: Unit, parent: Unit | None) -> None:
        self.require_open(unit)
        before = snapshot(unit)
        old_parent = unit.parent_id
        units.move(self.session, unit=unit, parent_id=parent.id if parent else None, on=self.on)
        self.record(unit, before)
        assert unit.id is not None
        self.plan.moved.append(
            PlannedMove(
                unit_id=unit.id,
                from_parent_id=old_parent,
                to_parent_id=unit.parent_id,
                operation=self.index,
            )
        )

    def rename(self, operation: Rename) -> None:
        unit = self.existing(operation.unit, "unit")
        changes = operation.model_dump(include=set(versions.VERSIONED), exclude_none=True)
        if not changes:
            raise InvalidValueError("name", t("A rename names a new code, name or kind."))
        self.require_open(unit)
        before = snapshot(unit)
        old = {field: str(getattr(unit, field)) for field in changes}
        units.rename(self.session, unit=unit, changes=changes, on=self.on)
        self.record(unit, before)
        assert unit.id is not None
        self.plan.renamed.append(
            PlannedRename(
                unit_id=unit.id,
                before=old,
                after={field: str(value) for field, value in changes.items()},
                operation=self.index,
            )
        )

    def split(self, operation: Split) -> None:
        source = self.existing(operation.source, "source")
        into = [self.open_unit(ref, f"into.{i}") for i, ref in enumerate(operation.into)]
        history_to = (
            self.open_unit(operation.history_to, "history_to")
            if operation.history_to is not None
            else into[0]
        )
        if history_to.id not in {u.id for u in into}:
            raise InvalidValueError("history_to", t("history_to must be one of `into`."))
        children = {child.id: child for child in self.open_children(source) if child.id}
        assigned: dict[int, Unit | None] = {}
        for i, assignment in enumerate(operation.children):
            if assignment.unit not in children:
                raise InvalidValueError(
                    f"children.{i}.unit",
                    t(
                        "Unit {unit} is not an open unit directly below {code}.",
                        unit=assignment.unit,
                        code=source.code,
                    ),
                )
            to = self.open_unit(assignment.to, f"children.{i}.to")
            if to.id not in {u.id for u in into}:
                raise InvalidValueError(f"children.{i}.to", t("A child goes to one of `into`."))
            assigned[assignment.unit] = to
        missing = sorted(set(children) - set(assigned))
        if missing:
            raise InvalidValueError(
                "children",
                t(
                    "Every open unit below {code} goes somewhere: units {missing} are not "
                    "assigned.",
                    code=source.code,
                    missing=missing,
                ),
            )
        self.close_into(
            source,
            successors=into,
            history_to=history_to,
            kind=LineageKind.split_,
            children=assigned,
            targets=operation.targets,
            commitments=operation,
        )

    def close_into(
        self,
        unit: Unit,
        *,
        successors: list[Unit],
        history_to: Unit | None,
        kind: LineageKind,
        children: dict[int, Unit | None],
        targets: str | None,
        commitments: OpenCommitments,
    ) -> None:
        """Close `unit` on the effective day: its open units below go where `children` says,
        its unfinished commitments to `history_to` or to their end as `commitments` says, its
        targets to `history_to`, and it hangs under `history_to` from then on, so that
        `structure=current` reads its figures there and its successor's managers read them."""
        if unit.valid_to is not None:
            raise ConflictError(
                t(
                    "Unit {code} closed on {valid_to} already.",
                    code=unit.code,
                    valid_to=unit.valid_to,
                )
            )
        if any(s.id == unit.id for s in successors):
            raise InvalidValueError(
                "into", t("Unit {code} cannot carry on from itself.", code=unit.code)
            )
        for child_id, to in children.items():
            self.move(self.existing(child_id, "children"), to)
        if commitments.close_reason is not None:
            self.close_commitments(unit, commitments.close_reason)
        elif history_to is not None:
            self.carry_commitments(unit, history_to)
        if history_to is not None and targets is not None:
            self.carry_targets(unit, history_to, targets)
        before = snapshot(unit)
        for term in units.close(self.session, scope=self.scope, unit=unit, valid_to=self.on):
            self.plan.records.append(
                CarriedRecord(
                    kind=type(term).__tablename__,
                    id=term.id,
                    action="ended",
                    operation=self.index,
                )
            )
        if history_to is not None:
            units.move(self.session, unit=unit, parent_id=history_to.id, on=self.on)
        self.record(unit, before, action="close")
        assert unit.id is not None
        for successor in successors:
            self.link(kind, unit.id, successor.id, carries=successor is history_to)
        if not successors:
            self.link(kind, unit.id, None)
        self.plan.closed.append(
            PlannedClose(
                unit_id=unit.id,
                code=unit.code,
                kind=kind,
                successor_ids=[s.id for s in successors if s.id is not None],
                history_to=history_to.id if history_to else None,
                operation=self.index,
            )
        )

    def unfinished_commitments(self, unit: Unit) -> list[Commitment]:
        """The unit's unfinished commitments: its own, and those it carried on from units
        closed before."""
        carried_here = sa.or_(
            sa.and_(col(Commitment.unit_id) == unit.id, col(Commitment.carried_to_id).is_(None)),
            col(Commitment.carried_to_id) == unit.id,
        )
        return list(
            self.session.execute(
                select(Commitment)
                .where(carried_here, col(Commitment.status).not_in(tuple(FINISHED)))
                .order_by(col(Commitment.id))
            ).scalars()
        )

    def close_commitments(self, unit: Unit, reason: str) -> None:
        """End the unit's unfinished commitments as cancelled, the event's reason their note:
        a step of each one's history like any other, taken by the event's author."""
        for commitment in self.unfinished_commitments(unit):
            before = snapshot(commitment)
            commitment.apply({"status": CommitmentStatus.cancelled})
            self.session.add(
                CommitmentEvent(
                    commitment_id=commitment.id,  # type: ignore[arg-type]
                    action=CommitmentAction.cancel,
                    from_status=before["status"],
                    to_status=CommitmentStatus.cancelled,
                    note=reason,
                    actor=self.scope.principal.name,
                )
            )
            self.record(commitment, before)
            self.plan.records.append(
                CarriedRecord(
                    kind="commitment", id=commitment.id, action="closed", operation=self.index
                )
            )

    def carry_commitments(self, unit: Unit, to: Unit) -> None:
        """The unit's unfinished commitments pass their work to `to`."""
        for commitment in self.unfinished_commitments(unit):
            before = snapshot(commitment)
            commitment.apply({"carried_to_id": to.id})
            self.record(commitment, before)
            self.plan.records.append(
                CarriedRecord(
                    kind="commitment",
                    id=commitment.id,
                    action="carried",
                    to_unit_id=to.id,
                    operation=self.index,
                )
            )

    def carry_targets(self, unit: Unit, to: Unit, targets: str) -> None:
        """Targets of the effective day's year and later are added to `to`'s own (or dropped)."""
        if targets == "drop":
            self.drop_targets(unit)
            return
        for target in self.targets_from(unit):
            own = self.session.execute(
                select(RecruitmentTarget).where(
                    col(RecruitmentTarget.unit_id) == to.id,
                    col(RecruitmentTarget.year) == target.year,
                )
            ).scalar_one_or_none()
            if own is None:
                before = snapshot(target)
                target.apply({"unit_id": to.id})
                self.record(target, before)
                carried = target
            else:
                before = snapshot(own)
                own.apply({"target": own.target + target.target})
                self.record(own, before)
                self.delete(target)
                carried = own
            self.plan.records.append(
                CarriedRecord(
                    kind="target",
                    id=carried.id,
                    action="carried" if own is None else "added",
                    to_unit_id=to.id,
                    operation=self.index,
                )
            )

    def targets_from(self, unit: Unit) -> list[RecruitmentTarget]:
        return list(
            self.session.execute(
                select(RecruitmentTarget)
                .where(
                    col(RecruitmentTarget.unit_id) == unit.id,
                    col(RecruitmentTarget.year) >= self.on.year,
                )
                .order_by(col(RecruitmentTarget.id))
            ).scalars()
        )

    def drop_targets(self, unit: Unit) -> None:
        for target in self.targets_from(unit):
            self.delete(target)
            self.plan.records.append(
                CarriedRecord(
                    kind="target",
                    id=target.id,
                    action="dropped",
                    operation=self.index,
                )
            )

    # --- the trail ----------------------------------------------------------------------------

    def delete(self, record: Any) -> None:
        before = snapshot(record)
        self.session.delete(record)
        self.session.flush()
        record_event(
            self.session,
            scope=self.scope,
            action="delete",
            entity=record,
            before=before,
            unit_id=getattr(record, "unit_id", None),
        )

    def record(self, entity: Any, before: dict[str, Any] | None, action: str = "update") -> None:
        if isinstance(entity, Unit) and self.event_id is not None:
            self.touched.add(entity.id)  # type: ignore[arg-type]
        record_event(
            self.session,
            scope=self.scope,
            action=action,
            entity=entity,
            before=before,
            unit_id=entity.id if isinstance(entity, Unit) else getattr(entity, "unit_id", None),
        )

    def link(
        self,
        kind: LineageKind,
        predecessor: int | None,
        successor: int | None,
        *,
        carries: bool = False,
    ) -> None:
        if self.event_id is None:  # a dry run: no event to link to
            return
        self.session.add(
            UnitLineage(
                reorganisation_id=self.event_id,
                kind=kind,
                predecessor_id=predecessor,
                successor_id=successor,
                effective_on=self.on,
                carries_history=carries,
            )
        )


def _run(event: _Event, *, collect: bool) -> None:
    """Apply each operation in a savepoint: a refused one leaves nothing behind. Collecting (a
    dry run), every refusal is listed; otherwise the first one answers."""
    for index, operation in enumerate(event.body.operations):
        event.index = index
        savepoint = event.session.begin_nested()
        try:
            event.apply(operation)
            event.session.flush()
        except AppError as error:
            savepoint.rollback()
            if not collect:
                raise OperationRefusedError(index, operation, error) from error
            event.plan.conflicts.append(
                Conflict(operation=index, status=error.status, detail=str(error.detail))
            )
        else:
            savepoint.commit()


def reorganise(
    session: Session, *, scope: Scope, body: ReorganisationCreate, dry_run: bool
) -> dict[str, Any]:
    """Apply the event atomically (or, in a dry run, plan it and write nothing)."""
    if body.effective_on > clock.today():
        raise InvalidValueError(
            "effective_on",
            t(
                "{effective_on} lies ahead: an event is recorded on the day it takes effect, or "
                "later.",
                effective_on=body.effective_on,
            ),
        )
    named: set[int] = set()
    for index, operation in enumerate(body.operations):
        for unit_id in set(_ids(operation)) - named:
            try:
                scope.require_write(unit_id, t("reorganise this unit"))
            except AppError as error:
                raise OperationRefusedError(index, operation, error) from error
            named.add(unit_id)
    operations = [operation.model_dump(mode="json") for operation in body.operations]
    # Every line the event touches, and the subtrees it may re-hang, first (the lock order).
    lines = subtrees = sorted(set(named))
    if dry_run:
        lock_lines(session, *lines, subtrees=subtrees)
        event = _Event(session, scope, body, None)
        _run(event, collect=True)
        session.rollback()
        return {
            "id": None,
            "effective_on": body.effective_on,
            "legal_basis": body.legal_basis,
            "note": body.note,
            "operations": operations,
            "plan": event.plan,
            "dry_run": True,
        }
    reorganisation = Reorganisation(
        effective_on=body.effective_on,
        legal_basis=body.legal_basis,
        note=body.note,
        operations=operations,
        plan={},
    )
    with audited(
        session,
        scope=scope,
        action="create",
        entity=reorganisation,
        lines=lines,
        subtrees=subtrees,
        unit_id=None,
    ):
        session.add(reorganisation)
        session.flush()
        event = _Event(session, scope, body, reorganisation.id)
        _run(event, collect=False)
        reorganisation.plan = event.plan.model_dump(mode="json")
        assert reorganisation.id is not None
        session.add_all(
            ReorganisationUnit(reorganisation_id=reorganisation.id, unit_id=unit_id)
            for unit_id in sorted(event.touched)
        )
    return {**reorganisation.model_dump(), "plan": event.plan, "dry_run": False}


def _visible(scope: Scope) -> sa.ColumnElement[bool]:
    """Events that touched a unit of the caller's scope (all of them for admins)."""
    if scope.principal.is_admin:
        return sa.true()
    touched = select(col(ReorganisationUnit.reorganisation_id)).where(
        scope.covers(ReorganisationUnit.unit_id)
    )
    return col(Reorganisation.id).in_(touched)


def list_reorganisations(
    session: Session, *, scope: Scope, params: PageParams, unit_id: int | None
) -> dict[str, Any]:
    """Newest effective day first, those the caller may see. With `unit_id`, those that touched
    that unit."""
    statement = select(Reorganisation).where(_visible(scope))
    if unit_id is not None:
        touched = select(col(ReorganisationUnit.reorganisation_id)).where(
            col(ReorganisationUnit.unit_id) == unit_id
        )
        statement = statement.where(col(Reorganisation.id).in_(touched))
    statement = statement.order_by(
        col(Reorganisation.effective_on).desc(), col(Reorganisation.id).desc()
    )
    return paginate(session, statement, params, plain=True)


def get_reorganisation(session: Session, *, scope: Scope, reorganisation_id: int) -> Reorganisation:
    found: Reorganisation | None = session.execute(
        select(Reorganisation).where(col(Reorganisation.id) == reorganisation_id, _visible(scope))
    ).scalar_one_or_none()
    if found is None:
        raise NotFoundError(
            t(
                "Reorganisation {reorganisation_id} does not exist.",
                reorganisation_id=reorganisation_id,
            )
        )
    return found


def lineage(session: Session, *, unit: Unit) -> dict[str, Any]:
    """The unit's predecessors and successors, each with the day, the kind of link and the
    event (with its legal basis) that made it."""
    other = sa.orm.aliased(Unit)

    def links(own: str, theirs: str) -> list[dict[str, Any]]:
        rows = session.execute(
            select(UnitLineage, col(Reorganisation.legal_basis), col(other.code), col(other.name))
            .join(Reorganisation, col(Reorganisation.id) == col(UnitLineage.reorganisation_id))
            .outerjoin(other, col(other.id) == getattr(UnitLineage, theirs))
            .where(getattr(UnitLineage, own) == unit.id)
            .order_by(col(UnitLineage.effective_on), col(UnitLineage.id))
        ).all()
        return [
            {
                "unit_id": getattr(link, theirs),
                "code": code,
                "name": name,
                "kind": link.kind,
                "kind_label": link.kind.label,
                "effective_on": link.effective_on,
                "carries_history": link.carries_history,
                "reorganisation_id": link.reorganisation_id,
                "legal_basis": basis,
            }
            for link, basis, code, name in rows
        ]

    return {
        "unit_id": unit.id,
        "valid_from": unit.valid_from,
        "valid_to": unit.valid_to,
        "predecessors": links("successor_id", "predecessor_id"),
        "successors": links("predecessor_id", "successor_id"),
    }
