"""Approvals of a unit's figures for a period, bottom-up: the unit's managers submit them, the
managers of its superior (its parent in the tree of the period's last day) approve them once
every child's are approved, or return them with a reason; the superior's side withdraws an
approval with a reason. While approved, the figures are locked (app/approvals/locks.py) unless
the superior grants a lock exception. DHIS2's data approval (FACTS-2025.md, "What peers
offer") approves by level the same way; here the tree is the period's own, not today's."""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.approvals.periods import Period, parse_period
from app.approvals.schemas import (
    ApprovalCreate,
    ApprovalStep,
    Completeness,
    CompletenessUnit,
    LockExceptionCreate,
)
from app.audit.service import audited
from app.core import clock
from app.core.config import settings
from app.core.errors import ConflictError, InvalidValueError
from app.core.i18n import Msg, joined, t
from app.core.pagination import PageParams, paginate
from app.models import (
    Approval,
    ApprovalAction,
    ApprovalStatus,
    LockException,
    Unit,
    utcnow,
)
from app.tree.closure import children_ids, open_during, parent_id_on, subtree_ids


def tree_day(period: Period) -> date:
    """The day whose tree a period's figures are read under: its last, or today if sooner."""
    return min(period.end, clock.today())


def _period(key: str, field: str = "period", location: str = "body") -> Period:
    try:
        return parse_period(key)
    except ValueError as error:
        message = error.args[0] if error.args and isinstance(error.args[0], Msg) else None
        assert message is not None, "parse_period raises ValueError(t(...))"
        raise InvalidValueError(field, message, location=location) from error


def superior_of(session: Session, unit_id: int, period: Period) -> int | None:
    return session.execute(parent_id_on(unit_id, tree_day(period))).scalar_one_or_none()


def _find(session: Session, unit_id: int, period: str) -> Approval | None:
    return session.execute(
        select(Approval).where(col(Approval.unit_id) == unit_id, col(Approval.period) == period)
    ).scalar_one_or_none()


def _require_open_during(session: Session, unit_id: int, period: Period) -> None:
    opened = session.execute(
        select(col(Unit.id)).where(col(Unit.id) == unit_id, open_during(period.start, period.end))
    ).first()
    if opened is None:
        raise ConflictError(
            t(
                "Unit {unit_id} was not open during {key}: nothing to submit.",
                unit_id=unit_id,
                key=period.key,
            )
        )


def submit(session: Session, *, scope: Scope, approval_in: ApprovalCreate) -> Approval:
    unit = scope.named_unit(approval_in.unit_id)
    assert unit.id is not None
    scope.require_write(unit.id, t("submit this unit's figures"))
    period = _period(approval_in.period)
    if period.start > clock.today():
        raise InvalidValueError(
            "period", t("{key} has not begun: nothing to submit yet.", key=period.key)
        )
    approval = Approval(
        unit_id=unit.id,
        period=period.key,
        period_kind=period.kind,
        period_start=period.start,
        period_end=period.end,
        status=ApprovalStatus.submitted,
        submitted_at=utcnow(),
        submitted_by=scope.principal.name,
        first_submitted_on=clock.today(),
        note=approval_in.note,
    )
    with audited(session, scope=scope, action="create", entity=approval, lines=[unit.id]):
        _require_open_during(session, unit.id, period)
        existing = _find(session, unit.id, period.key)
        if existing is not None:
            raise ConflictError(
                t(
                    "Unit {id} already submitted {key} (approval {existing_id}, {status}): "
                    "resubmit that one after a return or a withdrawal.",
                    id=unit.id,
                    key=period.key,
                    existing_id=existing.id,
                    status=existing.status,
                )
            )
        approval.superior_id = superior_of(session, unit.id, period)
        session.add(approval)
    return approval


def _period_of(approval: Approval) -> Period:
    return parse_period(approval.period)


def _missing_children(session: Session, approval: Approval, period: Period) -> list[Unit]:
    """The units directly below the approval's unit in the period's tree, open during it,
    whose figures for the period are not approved."""
    approved = select(col(Approval.unit_id)).where(
        col(Approval.period) == period.key, col(Approval.status) == ApprovalStatus.approved
    )
    statement = (
        select(Unit)
        .where(
            col(Unit.id).in_(children_ids(approval.unit_id, tree_day(period))),
            open_during(period.start, period.end),
            col(Unit.id).not_in(approved),
        )
        .order_by(col(Unit.id))
    )
    return list(session.execute(statement).scalars())


def _require_status(approval: Approval, action: ApprovalAction, *wanted: ApprovalStatus) -> None:
    if approval.status not in wanted:
        allowed = joined(wanted, "or")
        raise ConflictError(
            t(
                "Approval {id} is {status}: only one {allowed} may be {done}.",
                id=approval.id,
                status=approval.status,
                allowed=allowed,
                action=action,
                done="returned" if action == ApprovalAction.return_ else action.value + "d",
            )
        )


def take_step(
    session: Session, *, scope: Scope, approval: Approval, step: ApprovalStep
) -> Approval:
    """Resubmit (the unit's managers), approve, return or withdraw (the superior's managers, or
    those of a unit above it)."""
    period = _period_of(approval)
    superior_id = superior_of(session, approval.unit_id, period)
    action = step.action
    if action == ApprovalAction.resubmit:
        scope.require_write(approval.unit_id, t("submit this unit's figures"))
    else:
        scope.require_write(
            superior_id,
            t("{action} this unit's figures (its superior's managers do)", action=action),
        )
    # The unit's line holds its superior's and every unit above: approvals of one line, and
    # the writes below them (app/approvals/locks.py), take their turns.
    with audited(
        session, scope=scope, action=action.value, entity=approval, lines=[approval.unit_id]
    ):
        if action == ApprovalAction.resubmit:
            _require_status(approval, action, ApprovalStatus.returned, ApprovalStatus.withdrawn)
            approval.apply(
                {
                    "status": ApprovalStatus.submitted,
                    "submitted_at": utcnow(),
                    "submitted_by": scope.principal.name,
                    "superior_id": superior_id,
                }
            )
            return approval
        if action == ApprovalAction.approve:
            _require_status(approval, action, ApprovalStatus.submitted)
            missing = _missing_children(session, approval, period)
            if missing:
                names = ", ".join(f"{unit.id} ({unit.code})" for unit in missing)
                raise ConflictError(
                    t(
                        "Approve the children of unit {unit_id} for {key} first (bottom-up): "
                        "{count} not approved: {names}.",
                        unit_id=approval.unit_id,
                        key=period.key,
                        count=len(missing),
                        names=names,
                    ),
                    extensions={"missing_unit_ids": [unit.id for unit in missing]},
                )
            status = ApprovalStatus.approved
        elif action == ApprovalAction.return_:
            _require_status(approval, action, ApprovalStatus.submitted)
            status = ApprovalStatus.returned
        else:
            _require_status(approval, action, ApprovalStatus.approved)
            above = _find(session, superior_id, period.key) if superior_id is not None else None
            if above is not None and above.status == ApprovalStatus.approved:
                raise ConflictError(
                    t(
                        "The superior's figures for {key} are approved (approval {id} of unit "
                        "{unit_id}): withdraw that one first (top-down).",
                        key=period.key,
                        id=above.id,
                        unit_id=above.unit_id,
                    ),
                    extensions={"approval": {"id": above.id, "unit_id": above.unit_id}},
                )
            status = ApprovalStatus.withdrawn
        approval.apply(
            {
                "status": status,
                "decided_at": utcnow(),
                "decided_by": scope.principal.name,
                "superior_id": superior_id,
                "reason": step.reason if action != ApprovalAction.approve else approval.reason,
            }
        )
    return approval


def _root_filter(session: Session, scope: Scope, root_id: int, on: date) -> sa.Select[int]:
    scope.unit(root_id)  # 404 outside the caller's grants
    return subtree_ids(root_id, on)


@dataclass(frozen=True)
class ApprovalFilters:
    root_id: int | None = None
    period: str | None = None
    unit_id: int | None = None
    status: ApprovalStatus | None = None


def list_approvals(
    session: Session, *, scope: Scope, params: PageParams, filters: ApprovalFilters
) -> dict[str, Any]:
    """In the caller's grants; under `root_id`, its subtree in the period's tree (today's
    without a period)."""
    statement = select(Approval).where(scope.covers(Approval.unit_id))
    period = _period(filters.period, location="query") if filters.period else None
    if filters.root_id is not None:
        on = tree_day(period) if period is not None else clock.today()
        statement = statement.where(
            col(Approval.unit_id).in_(_root_filter(session, scope, filters.root_id, on))
        )
    if period is not None:
        statement = statement.where(col(Approval.period) == period.key)
    if filters.unit_id is not None:
        statement = statement.where(col(Approval.unit_id) == filters.unit_id)
    if filters.status is not None:
        statement = statement.where(col(Approval.status) == filters.status)
    order = (col(Approval.period_end), col(Approval.period), col(Approval.unit_id))
    return paginate(session, statement.order_by(*order, col(Approval.id)), params, plain=True)


def grant_exception(
    session: Session, *, scope: Scope, exception_in: LockExceptionCreate
) -> LockException:
    unit = scope.named_unit(exception_in.unit_id)
    assert unit.id is not None
    period = _period(exception_in.period)
    superior_id = superior_of(session, unit.id, period)
    scope.require_write(
        superior_id, t("grant a lock exception for this unit (its superior's managers do)")
    )
    if exception_in.until < clock.today():
        raise InvalidValueError("until", t("{until} has passed.", until=exception_in.until))
    exception = LockException(
        unit_id=unit.id,
        period=period.key,
        period_start=period.start,
        period_end=period.end,
        until=exception_in.until,
        reason=exception_in.reason,
        granted_by=scope.principal.name,
    )
    with audited(session, scope=scope, action="create", entity=exception, lines=[unit.id]):
        session.add(exception)
    return exception


def list_exceptions(
    session: Session,
    *,
    scope: Scope,
    params: PageParams,
    root_id: int | None,
    period: str | None,
    unit_id: int | None,
) -> dict[str, Any]:
    statement = select(LockException).where(scope.covers(LockException.unit_id))
    parsed = _period(period, location="query") if period else None
    if root_id is not None:
        on = tree_day(parsed) if parsed is not None else clock.today()
        statement = statement.where(
            col(LockException.unit_id).in_(_root_filter(session, scope, root_id, on))
        )
    if parsed is not None:
        statement = statement.where(col(LockException.period) == parsed.key)
    if unit_id is not None:
        statement = statement.where(col(LockException.unit_id) == unit_id)
    order = (col(LockException.period_end), col(LockException.unit_id), col(LockException.id))
    return paginate(session, statement.order_by(*order), params, plain=True)


def due_on(period: Period) -> date:
    return period.end + timedelta(days=settings.approval_due_days)


def completeness(session: Session, *, scope: Scope, root_id: int, period_key: str) -> Completeness:
    """Every unit open during the period in the root's subtree (the period's tree) is expected
    to submit; one whose first submission came after the due day is late."""
    period = _period(period_key, location="query")
    root = scope.unit(root_id)
    assert root.id is not None
    due = due_on(period)
    statement = (
        select(
            col(Unit.id),
            col(Unit.code),
            col(Unit.name),
            col(Approval.status),
            col(Approval.first_submitted_on),
        )
        .outerjoin(
            Approval,
            sa.and_(col(Approval.unit_id) == col(Unit.id), col(Approval.period) == period.key),
        )
        .where(
            col(Unit.id).in_(subtree_ids(root.id, tree_day(period))),
            open_during(period.start, period.end),
        )
        .order_by(col(Unit.level), col(Unit.id))
    )
    units = [
        CompletenessUnit(
            unit_id=unit_id,
            code=code,
            name=name,
            status=status,
            first_submitted_on=submitted_on,
            on_time=(submitted_on <= due) if submitted_on is not None else None,
        )
        for unit_id, code, name, status, submitted_on in session.execute(statement)
    ]
    submitted = [unit for unit in units if unit.status is not None]
    return Completeness(
        root_id=root.id,
        period=period.key,
        due_on=due,
        expected=len(units),
        submitted=len(submitted),
        approved=sum(unit.status == ApprovalStatus.approved for unit in units),
        on_time=sum(bool(unit.on_time) for unit in submitted),
        late=sum(unit.on_time is False for unit in submitted),
        missing=len(units) - len(submitted),
        units=units,
    )
