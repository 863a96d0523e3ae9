"""Admission targets: assigned by a unit's parent, one per unit and year; bulk allocation."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import aliased
from sqlmodel import Session, col

from app.access.scope import Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited, record_event, snapshot
from app.core.errors import ConflictError, InvalidRowsError
from app.core.i18n import Msg, t
from app.core.pagination import PageParams, paginate
from app.models import RecruitmentTarget, Unit
from app.recruitment.schemas import (
    AllocationIn,
    AllocationPublic,
    TargetCreate,
    TargetPublic,
    TargetUpdate,
)
from app.tree.closure import subtree_ids
from app.tree.holdings import closed_by, require_open, year_start
from app.tree.lineage import lock_lines


@dataclass(frozen=True)
class TargetFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    parent_id: int | None = None
    year: int | None = None


def _allocated(session: Session, targets: list[RecruitmentTarget]) -> dict[tuple[int, int], int]:
    """The sum of the children's targets for each (parent, year) among `targets`, one query."""
    if not targets:
        return {}
    child = aliased(Unit)
    rows = session.execute(
        select(
            col(child.parent_id), col(RecruitmentTarget.year), func.sum(RecruitmentTarget.target)
        )
        .join(child, col(child.id) == col(RecruitmentTarget.unit_id))
        .where(
            col(child.parent_id).in_({t.unit_id for t in targets}),
            col(RecruitmentTarget.year).in_({t.year for t in targets}),
        )
        .group_by(col(child.parent_id), col(RecruitmentTarget.year))
    )
    return {(parent_id, year): int(total) for parent_id, year, total in rows}


def publish(session: Session, targets: list[RecruitmentTarget]) -> list[TargetPublic]:
    allocated = _allocated(session, targets)
    public = []
    for target in targets:
        children = allocated.get((target.unit_id, target.year))
        public.append(
            TargetPublic.model_validate(
                target.model_dump()
                | {
                    "allocated_to_children": children,
                    "gap": None if children is None else target.target - children,
                }
            )
        )
    return public


def list_targets(
    session: Session, *, scope: Scope, params: PageParams, filters: TargetFilters
) -> dict[str, Any]:
    statement = select(RecruitmentTarget).where(
        scope.covers(RecruitmentTarget.unit_id, RecruitmentTarget.year)
    )
    if filters.root_id is not None:
        statement = statement.where(
            col(RecruitmentTarget.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    if filters.parent_id is not None:
        children = select(col(Unit.id)).where(col(Unit.parent_id) == filters.parent_id)
        statement = statement.where(col(RecruitmentTarget.unit_id).in_(children))
    if filters.unit_id is not None:
        statement = statement.where(col(RecruitmentTarget.unit_id) == filters.unit_id)
    if filters.year is not None:
        statement = statement.where(col(RecruitmentTarget.year) == filters.year)
    order = (col(RecruitmentTarget.year), col(RecruitmentTarget.unit_id))
    page = paginate(session, statement.order_by(*order), params)
    page["items"] = publish(session, page["items"])
    return page


def _find(session: Session, unit_id: int, year: int) -> RecruitmentTarget | None:
    return session.execute(
        select(RecruitmentTarget).where(
            col(RecruitmentTarget.unit_id) == unit_id, col(RecruitmentTarget.year) == year
        )
    ).scalar_one_or_none()


def create_target(session: Session, *, scope: Scope, target_in: TargetCreate) -> RecruitmentTarget:
    unit = scope.named_unit(target_in.unit_id)
    scope.require_write(unit.parent_id, t("assign targets to this unit (its parent's managers do)"))
    target = RecruitmentTarget.model_validate(target_in)
    with audited(session, scope=scope, action="create", entity=target, lines=[unit.id]):
        require_open(session, unit.id, on=year_start(target.year), what=t("target for the year"))
        require_unlocked(session, unit_id=unit.id, year=target.year)
        existing = _find(session, target_in.unit_id, target_in.year)
        if existing is not None:
            raise ConflictError(
                t(
                    "Unit {unit_id} already has target {id} for {year}: change that one.",
                    unit_id=target_in.unit_id,
                    id=existing.id,
                    year=target_in.year,
                )
            )
        session.add(target)
    return target


def update_target(
    session: Session, *, scope: Scope, target: RecruitmentTarget, target_in: TargetUpdate
) -> RecruitmentTarget:
    parent_id = session.get_one(Unit, target.unit_id).parent_id
    scope.require_write(parent_id, t("change this unit's targets (its parent's managers do)"))
    with audited(session, scope=scope, action="update", entity=target, lines=[target.unit_id]):
        require_open(
            session, target.unit_id, on=year_start(target.year), what=t("target for the year")
        )
        require_unlocked(session, unit_id=target.unit_id, year=target.year)
        target.apply(target_in.model_dump(exclude_unset=True))
    return target


def delete_target(session: Session, *, scope: Scope, target: RecruitmentTarget) -> None:
    parent_id = session.get_one(Unit, target.unit_id).parent_id
    scope.require_write(parent_id, t("remove this unit's targets (its parent's managers do)"))
    with audited(session, scope=scope, action="delete", entity=target, lines=[target.unit_id]):
        require_unlocked(session, unit_id=target.unit_id, year=target.year)
        session.delete(target)


def get_allocation(
    session: Session, *, scope: Scope, parent_id: int, year: int
) -> AllocationPublic:
    scope.unit(parent_id)
    own = _find(session, parent_id, year)
    children = list(
        session.execute(
            select(RecruitmentTarget)
            .join(Unit, col(Unit.id) == col(RecruitmentTarget.unit_id))
            .where(col(Unit.parent_id) == parent_id, col(RecruitmentTarget.year) == year)
            .order_by(col(Unit.code))
        ).scalars()
    )
    allocated = sum(t.target for t in children)
    return AllocationPublic(
        parent_id=parent_id,
        year=year,
        target=own.target if own else None,
        allocated_to_children=allocated,
        gap=own.target - allocated if own else None,
        children=publish(session, children),
    )


def allocate(session: Session, *, scope: Scope, allocation_in: AllocationIn) -> AllocationPublic:
    """Set the targets of several direct children in one transaction: every row is checked
    first, and one bad row writes nothing."""
    parent_id = allocation_in.parent_id
    scope.named_unit(parent_id, "parent_id")
    scope.require_write(parent_id, t("allocate targets to this unit's children"))
    rows = allocation_in.targets
    # First of all (app/tree/lineage.py): the parent's line and the children the rows name.
    lock_lines(session, parent_id, *(row.unit_id for row in rows))
    children = {
        unit.id: unit
        for unit in session.execute(
            select(Unit).where(
                col(Unit.parent_id) == parent_id, col(Unit.id).in_({r.unit_id for r in rows})
            )
        ).scalars()
    }
    problems: list[tuple[tuple[str | int, ...], Msg]] = []
    seen: set[int] = set()
    for index, row in enumerate(rows):
        where = ("body", "targets", index, "unit_id")
        if row.unit_id in seen:
            problems.append(
                (where, t("Unit {unit_id} appears more than once.", unit_id=row.unit_id))
            )
        elif row.unit_id not in children:
            problems.append(
                (
                    where,
                    t(
                        "Unit {unit_id} is not a direct child of unit {parent_id}.",
                        unit_id=row.unit_id,
                        parent_id=parent_id,
                    ),
                )
            )
        elif closed_by(children[row.unit_id].valid_to, year_start(allocation_in.year)):
            problems.append(
                (
                    where,
                    t(
                        "Unit {unit_id} closed before {year} began.",
                        unit_id=row.unit_id,
                        year=allocation_in.year,
                    ),
                )
            )
        seen.add(row.unit_id)
    if problems:
        raise InvalidRowsError(
            t(
                "{count} of {total} rows are wrong: nothing was written.",
                count=len(problems),
                total=len(rows),
            ),
            problems,
        )
    require_unlocked(session, unit_ids=seen, year=allocation_in.year)
    existing = {
        t.unit_id: t
        for t in session.execute(
            select(RecruitmentTarget).where(
                col(RecruitmentTarget.unit_id).in_(seen),
                col(RecruitmentTarget.year) == allocation_in.year,
            )
        ).scalars()
    }
    # Several records in one transaction: `audited` covers one record and commits it, so each
    # row records its own event here and the allocation commits once.
    for row in rows:
        target = existing.get(row.unit_id)
        if target is None:
            target = RecruitmentTarget(
                unit_id=row.unit_id, year=allocation_in.year, target=row.target, note=row.note
            )
            session.add(target)
            record_event(
                session,
                scope=scope,
                action="create",
                entity=target,
                before=None,
                unit_id=row.unit_id,
            )
        else:
            before = snapshot(target)
            if target.apply({"target": row.target, "note": row.note}):
                record_event(
                    session,
                    scope=scope,
                    action="update",
                    entity=target,
                    before=before,
                    unit_id=row.unit_id,
                )
    session.commit()
    return get_allocation(session, scope=scope, parent_id=parent_id, year=allocation_in.year)
