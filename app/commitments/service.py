"""Commitments: registration with the superior committee, the workflow, progress, lists."""

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import REPORT_ROLES, Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited
from app.commitments.schemas import (
    CommitmentCreate,
    CommitmentUpdate,
    ProgressUpdateCreate,
    TransitionIn,
)
from app.commitments.workflow import (
    ACCEPTS_PROGRESS,
    EDITABLE,
    FINISHED,
    TRANSITIONS,
    Side,
    allowed_actions,
)
from app.core import clock
from app.core.errors import ConflictError, InvalidReferenceError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams, paginate
from app.core.periods import Period
from app.core.text import contains_pattern, search_key
from app.models import (
    AreaOfCharge,
    Commitment,
    CommitmentAction,
    CommitmentCategory,
    CommitmentEvent,
    CommitmentKind,
    CommitmentStatus,
    Directive,
    Person,
    Position,
    ProgressUpdate,
    Unit,
    UnitClosure,
)
from app.tree.closure import lineage_ids, subtree_ids, valid_on
from app.tree.holdings import require_open, year_start


class CommitmentSort(StrEnum):
    deadline = "deadline"
    year = "year"
    status = "status"
    updated_at = "updated_at"


@dataclass(frozen=True)
class CommitmentFilters:
    root_id: int | None = None
    as_of: date | None = None
    registered_with_id: int | None = None
    period: Period | None = None
    status: CommitmentStatus | None = None
    kind: CommitmentKind | None = None
    category: CommitmentCategory | None = None
    directive_id: int | None = None
    directing_person_id: int | None = None
    responsible_person_id: int | None = None
    overdue: bool | None = None
    q: str | None = None
    sort: CommitmentSort = CommitmentSort.updated_at
    descending: bool = False


def overdue_condition(today: date) -> sa.ColumnElement[bool]:
    return sa.and_(
        col(Commitment.deadline).is_not(None),
        col(Commitment.deadline) < today,
        col(Commitment.status).not_in(list(FINISHED)),
    )


def commitments_in(period: Period) -> sa.ColumnElement[bool]:
    """The commitments a period covers: those of its years, and for part of a year those due
    in it (a commitment belongs to a year; its deadline is the one date that places it within
    the year, so one without a deadline counts for whole years only)."""
    of_years = col(Commitment.year).between(period.first_year, period.last_year)
    if period.whole_years:
        return of_years
    return sa.and_(of_years, col(Commitment.deadline).between(period.start, period.end))


def list_commitments(
    session: Session, *, scope: Scope, params: PageParams, filters: CommitmentFilters
) -> dict[str, Any]:
    statement = select(Commitment).where(scope.covers(Commitment.unit_id, Commitment.year))
    if filters.root_id is not None:
        statement = statement.where(
            col(Commitment.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    equal = {
        Commitment.registered_with_id: filters.registered_with_id,
        Commitment.status: filters.status,
        Commitment.kind: filters.kind,
        Commitment.category: filters.category,
        Commitment.directive_id: filters.directive_id,
        Commitment.directing_person_id: filters.directing_person_id,
        Commitment.responsible_person_id: filters.responsible_person_id,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(col(column) == value)
    if filters.period is not None:
        statement = statement.where(commitments_in(filters.period))
    if filters.overdue is not None:
        overdue = overdue_condition(clock.today())
        statement = statement.where(overdue if filters.overdue else sa.not_(overdue))
    if filters.q:
        statement = statement.where(col(Commitment.search_key).like(contains_pattern(filters.q)))
    key, tie = col(getattr(Commitment, filters.sort.value)), col(Commitment.id)
    # Undated commitments sort last, on every database; descending is the exact reverse, which
    # an index on (key, id) serves read backwards.
    if filters.descending:
        order = (key.desc().nulls_first(), tie.desc())
    else:
        order = (key.asc().nulls_last(), tie.asc())
    return paginate(session, statement.order_by(*order), params, plain=True)


def _term_overlaps_year(model: type[Position] | type[AreaOfCharge], year: int) -> Any:
    start, end = date(year, 1, 1), date(year + 1, 1, 1)
    return sa.and_(
        sa.or_(col(model.start_on).is_(None), col(model.start_on) < end),
        sa.or_(col(model.end_on).is_(None), col(model.end_on) > start),
    )


def _may_direct(
    session: Session, *, person_id: int, unit_id: int, superior_id: int, year: int
) -> bool:
    """In charge of the unit (or of a unit above it), or holding a post in the superior
    committee, at some time in the commitment's year."""
    in_charge = select(col(AreaOfCharge.id)).where(
        col(AreaOfCharge.person_id) == person_id,
        col(AreaOfCharge.unit_id).in_(lineage_ids(unit_id)),
        _term_overlaps_year(AreaOfCharge, year),
    )
    in_superior = select(col(Position.id)).where(
        col(Position.person_id) == person_id,
        col(Position.unit_id) == superior_id,
        _term_overlaps_year(Position, year),
    )
    return session.execute(sa.union_all(in_charge, in_superior).limit(1)).first() is not None


def _check(session: Session, scope: Scope, commitment: Commitment) -> None:
    """The rules every saved commitment keeps."""
    if session.get(Unit, commitment.unit_id) is None:
        raise InvalidReferenceError(
            "unit_id", t("Unit {unit_id} does not exist.", unit_id=commitment.unit_id)
        )
    superior_id = commitment.registered_with_id
    no_superior = InvalidReferenceError(
        "registered_with_id", t("Unit {superior_id} does not exist.", superior_id=superior_id)
    )
    if session.get(Unit, superior_id) is None:
        raise no_superior
    is_ancestor = session.execute(
        select(col(UnitClosure.depth)).where(
            col(UnitClosure.ancestor_id) == superior_id,
            col(UnitClosure.descendant_id) == commitment.unit_id,
            col(UnitClosure.depth) > 0,
            valid_on(UnitClosure),
        )
    ).first()
    if is_ancestor is None:
        # The superior of one's own unit may lie above one's scope; any other unit outside it
        # answers as if it did not exist.
        if not scope.can_read(superior_id):
            raise no_superior
        raise ConflictError(
            t(
                "A commitment is registered with a superior committee: unit {superior_id} is "
                "not above unit {unit_id}.",
                superior_id=superior_id,
                unit_id=commitment.unit_id,
            )
        )
    if session.get(Directive, commitment.directive_id) is None:
        raise InvalidReferenceError(
            "directive_id",
            t("Directive {directive_id} does not exist.", directive_id=commitment.directive_id),
        )
    for field in ("responsible_person_id", "directing_person_id"):
        person_id = getattr(commitment, field)
        if person_id is not None and session.get(Person, person_id) is None:
            raise InvalidReferenceError(
                field, t("Person {person_id} does not exist.", person_id=person_id)
            )
    if commitment.directing_person_id is not None and not _may_direct(
        session,
        person_id=commitment.directing_person_id,
        unit_id=commitment.unit_id,
        superior_id=commitment.registered_with_id,
        year=commitment.year,
    ):
        raise ConflictError(
            t(
                "Person {directing_person_id} neither is in charge of the unit nor holds a post "
                "in the superior committee in {year}.",
                directing_person_id=commitment.directing_person_id,
                year=commitment.year,
            )
        )
    if commitment.deadline is not None and commitment.deadline.year < commitment.year:
        raise InvalidValueError("deadline", t("The deadline falls before the commitment's year."))
    _require_open(session, commitment, commitment.status)


def _require_open(session: Session, commitment: Commitment, status: CommitmentStatus) -> None:
    """A commitment not finished lives on, which a closed unit does not (unless a reorganisation
    carried its work to a successor); a finished one belongs to its year."""
    on = year_start(commitment.year) if status in FINISHED else None
    require_open(
        session, commitment.carried_to_id or commitment.unit_id, on=on, what=t("commitment")
    )


def create_commitment(
    session: Session, *, scope: Scope, commitment_in: CommitmentCreate
) -> Commitment:
    scope.require_write(commitment_in.unit_id, t("register commitments for this unit"))
    commitment = Commitment.model_validate(
        commitment_in,
        update={"search_key": search_key(commitment_in.title, commitment_in.description)},
    )
    with audited(
        session, scope=scope, action="create", entity=commitment, lines=[commitment.unit_id]
    ):
        require_unlocked(session, unit_id=commitment.unit_id, year=commitment.year)
        _check(session, scope, commitment)
        session.add(commitment)
    return commitment


def update_commitment(
    session: Session, *, scope: Scope, commitment: Commitment, commitment_in: CommitmentUpdate
) -> Commitment:
    scope.require_write(commitment.unit_id, t("change this unit's commitments"))
    if commitment.status not in EDITABLE:
        raise ConflictError(
            t(
                "Commitment {id} is {status}: only a draft can be edited.",
                id=commitment.id,
                status=commitment.status,
            )
        )
    changes = commitment_in.model_dump(exclude_unset=True)
    if "title" in changes or "description" in changes:
        changes["search_key"] = search_key(
            changes.get("title", commitment.title),
            changes.get("description", commitment.description),
        )
    # The unit stays: the line locked is the commitment's.
    with (
        audited(
            session, scope=scope, action="update", entity=commitment, lines=[commitment.unit_id]
        ),
        # Checked before any flush: a bad reference answers 422, not an integrity error.
        session.no_autoflush,
    ):
        require_unlocked(session, unit_id=commitment.unit_id, year=commitment.year)
        if commitment.apply(changes):
            require_unlocked(session, unit_id=commitment.unit_id, year=commitment.year)
            _check(session, scope, commitment)
    return commitment


def transition(
    session: Session, *, scope: Scope, commitment: Commitment, transition_in: TransitionIn
) -> Commitment:
    rule = TRANSITIONS[transition_in.action]
    if commitment.status not in rule.sources:
        allowed: list[Any] = list(allowed_actions(commitment.status)) or [t("none")]
        raise ConflictError(
            t(
                "Cannot {action} a commitment that is {status}; allowed now: {allowed}.",
                action=rule.action,
                status=commitment.status,
                allowed=allowed,
            )
        )
    side_unit = commitment.unit_id if rule.side == Side.unit else commitment.registered_with_id
    scope.require_write(side_unit, t("{action} this commitment", action=rule.action))
    for field in rule.requires:
        if not getattr(transition_in, field):
            raise InvalidValueError(
                field, t("To {action}, give {field}.", action=rule.action, field=field)
            )
    changes: dict[str, Any] = {"status": rule.target}
    if rule.target in {CommitmentStatus.completed, CommitmentStatus.not_completed}:
        changes["result_summary"] = transition_in.result_summary
    if rule.action == CommitmentAction.escalate:
        changes["escalated_to"] = transition_in.escalated_to
    with audited(
        session,
        scope=scope,
        action=rule.action.value,
        entity=commitment,
        lines=[commitment.unit_id],
    ) as before:
        assert before is not None
        _require_open(session, commitment, rule.target)
        require_unlocked(session, unit_id=commitment.unit_id, year=commitment.year)
        commitment.apply(changes)
        session.add(
            CommitmentEvent(
                commitment_id=commitment.id,  # type: ignore[arg-type]
                action=rule.action,
                from_status=before["status"],
                to_status=rule.target,
                note=transition_in.note,
                actor=scope.principal.name,
            )
        )
    return commitment


def list_history(session: Session, *, commitment: Commitment) -> list[CommitmentEvent]:
    return list(
        session.execute(
            select(CommitmentEvent)
            .where(col(CommitmentEvent.commitment_id) == commitment.id)
            .order_by(col(CommitmentEvent.id))
        ).scalars()
    )


def list_progress(session: Session, *, commitment: Commitment) -> list[ProgressUpdate]:
    return list(
        session.execute(
            select(ProgressUpdate)
            .where(col(ProgressUpdate.commitment_id) == commitment.id)
            .order_by(col(ProgressUpdate.reported_on), col(ProgressUpdate.id))
        ).scalars()
    )


def add_progress(
    session: Session, *, scope: Scope, commitment: Commitment, update_in: ProgressUpdateCreate
) -> ProgressUpdate:
    scope.require_write(commitment.unit_id, t("report progress for this unit"), REPORT_ROLES)
    if commitment.status not in ACCEPTS_PROGRESS:
        raise ConflictError(
            t(
                "Progress is reported on accepted or running commitments; this one is {status}.",
                status=commitment.status,
            )
        )
    if update_in.reported_on > clock.today():
        raise InvalidValueError(
            "reported_on", t("A progress report cannot be dated in the future.")
        )
    update = ProgressUpdate(
        commitment_id=commitment.id,  # type: ignore[arg-type]
        reported_on=update_in.reported_on,
        progress_percent=update_in.progress_percent,
        note=update_in.note,
        evidence_links=[str(link) for link in update_in.evidence_links],
        actor=scope.principal.name,
    )
    with audited(
        session,
        scope=scope,
        action="create",
        entity=update,
        lines=[commitment.unit_id, commitment.carried_to_id],
        unit_id=commitment.unit_id,
    ):
        # Progress dated after the unit closed is its successor's, if the work passed on: read
        # afresh under the line lock, as a reorganisation committed meanwhile may have passed it.
        carried_to = session.execute(
            select(col(Commitment.carried_to_id)).where(col(Commitment.id) == commitment.id)
        ).scalar_one()
        carrier = carried_to or commitment.unit_id
        require_open(session, carrier, on=update_in.reported_on, what=t("progress report"))
        require_unlocked(session, unit_id=commitment.unit_id, year=commitment.year)
        session.add(update)
        session.flush()
        # The latest assessed report sets the progress, whatever order reports arrive in.
        latest = session.execute(
            select(col(ProgressUpdate.progress_percent))
            .where(
                col(ProgressUpdate.commitment_id) == commitment.id,
                col(ProgressUpdate.progress_percent).is_not(None),
            )
            .order_by(col(ProgressUpdate.reported_on).desc(), col(ProgressUpdate.id).desc())
            .limit(1)
        ).scalar()
        if latest is not None:
            commitment.apply({"progress_percent": latest})
    return update
