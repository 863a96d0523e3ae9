"""Candidates: the admission pipeline of one person, its statutory dates and alerts.

Candidates are personal data: only callers whose grants cover the unit see them.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import REPORT_ROLES, Scope
from app.approvals.locks import require_unlocked
from app.audit.service import audited
from app.core import clock
from app.core.errors import ConflictError, InvalidReferenceError, InvalidValueError
from app.core.i18n import t
from app.core.pagination import PageParams
from app.core.text import contains_pattern, search_key
from app.models import (
    AreaOfCharge,
    Candidate,
    CandidateAction,
    CandidateAlert,
    CandidateEvent,
    CandidateStage,
    Person,
    Position,
    RecruitmentOutcome,
    UnitClosure,
)
from app.recruitment import calendar, dues, flows
from app.recruitment.schemas import (
    CandidateCreate,
    CandidatePublic,
    CandidateTransitionIn,
    CandidateUpdate,
)
from app.recruitment.workflow import STEP_DATES, STEPS, allowed_actions
from app.rules.registry import admission_rules
from app.tree.closure import in_year_structure, lineage_ids, subtree_ids
from app.tree.holdings import require_open

S = CandidateStage


def alert_conditions(today: date) -> dict[CandidateAlert, sa.ColumnElement[bool]]:
    """Each alert as a SQL condition on a candidate: the one definition behind the `alerts`
    of every answer, the `alert=` filter and the counts of the reports."""
    c = Candidate
    admitted = col(c.stage) == S.admitted
    no_ceremony = sa.and_(admitted, col(c.ceremony_on).is_(None))
    proposed = sa.and_(col(c.stage) == S.verified, col(c.decision_due_on).is_not(None))
    return {
        CandidateAlert.course_expired: sa.and_(
            col(c.stage) == S.awareness_course, col(c.course_valid_until) < today
        ),
        CandidateAlert.decision_due: sa.and_(proposed, col(c.decision_due_on) >= today),
        CandidateAlert.decision_overdue: sa.and_(proposed, col(c.decision_due_on) < today),
        CandidateAlert.referred: sa.and_(
            col(c.stage).in_((S.verified, S.admitted)), col(c.referred_on).is_not(None)
        ),
        CandidateAlert.ceremony_due: sa.and_(no_ceremony, col(c.ceremony_due_on) >= today),
        CandidateAlert.ceremony_overdue: sa.and_(no_ceremony, col(c.ceremony_due_on) < today),
        CandidateAlert.recognition_due: sa.and_(
            admitted, col(c.probation_ends_on) <= today, col(c.recognition_due_on) >= today
        ),
        CandidateAlert.recognition_overdue: sa.and_(admitted, col(c.recognition_due_on) < today),
    }


def outcome_coverage(outcome_ids: list[int] | None = None) -> sa.Subquery:
    """Each unit with the periods that reported outcomes of it, or of a unit above it, stand
    for: an individual admission of the unit on such a day is already in the count (reports
    do not count it twice). Of the outcomes named, or of all. Outcomes are few, so this is
    small and joins by hash."""
    return (
        select(
            col(UnitClosure.descendant_id).label("unit_id"),
            col(RecruitmentOutcome.period_start),
            col(RecruitmentOutcome.period_end),
        )
        .join(RecruitmentOutcome, col(RecruitmentOutcome.unit_id) == col(UnitClosure.ancestor_id))
        .where(
            sa.true() if outcome_ids is None else col(RecruitmentOutcome.id).in_(outcome_ids),
            # Below the outcome's unit in the tree of its period's last year, as its figures are.
            in_year_structure(UnitClosure, sa.extract("year", col(RecruitmentOutcome.period_end))),
        )
        .subquery("coverage")
    )


@dataclass(frozen=True)
class CandidateFilters:
    root_id: int | None = None
    as_of: date | None = None
    unit_id: int | None = None
    stage: CandidateStage | None = None
    alert: CandidateAlert | None = None
    in_charge_person_id: int | None = None
    q: str | None = None


def _alert_columns(today: date) -> list[sa.ColumnElement[Any]]:
    return [
        sa.case((condition, True), else_=False).label(alert.value)
        for alert, condition in alert_conditions(today).items()
    ]


def _publish(candidate: Candidate, flags: Any) -> CandidatePublic:
    alerts = [alert for alert in CandidateAlert if getattr(flags, alert.value)]
    return CandidatePublic.model_validate(candidate, update={"alerts": alerts})


def publish(session: Session, candidate: Candidate) -> CandidatePublic:
    flags = session.execute(
        select(*_alert_columns(clock.today())).where(col(Candidate.id) == candidate.id)
    ).one()
    return _publish(candidate, flags)


def list_candidates(
    session: Session, *, scope: Scope, params: PageParams, filters: CandidateFilters
) -> dict[str, Any]:
    today = clock.today()
    statement = select(Candidate).where(scope.covers(Candidate.unit_id))
    if filters.root_id is not None:
        statement = statement.where(
            col(Candidate.unit_id).in_(subtree_ids(filters.root_id, filters.as_of))
        )
    equal = {
        Candidate.unit_id: filters.unit_id,
        Candidate.stage: filters.stage,
        Candidate.in_charge_person_id: filters.in_charge_person_id,
    }
    for column, value in equal.items():
        if value is not None:
            statement = statement.where(col(column) == value)
    if filters.alert is not None:
        statement = statement.where(alert_conditions(today)[filters.alert])
    if filters.q:
        statement = statement.where(col(Candidate.search_key).like(contains_pattern(filters.q)))
    total = session.execute(select(sa.func.count()).select_from(statement.subquery())).scalar_one()
    rows = session.execute(
        statement.add_columns(*_alert_columns(today))
        .order_by(col(Candidate.search_key), col(Candidate.id))
        .limit(params.limit)
        .offset(params.offset)
    )
    items = [_publish(row[0], row) for row in rows]
    return {"items": items, "total": total, "limit": params.limit, "offset": params.offset}


def _follows(session: Session, *, person_id: int, unit_id: int, on: date) -> bool:
    """In charge of the unit or of a unit above it, or holding a post in a committee above it,
    on that day."""
    above_or_self = lineage_ids(unit_id)
    above = above_or_self.where(col(UnitClosure.depth) > 0)

    def current(model: type[AreaOfCharge] | type[Position]) -> sa.ColumnElement[bool]:
        return sa.and_(
            sa.or_(col(model.start_on).is_(None), col(model.start_on) <= on),
            sa.or_(col(model.end_on).is_(None), col(model.end_on) > on),
        )

    in_charge = select(col(AreaOfCharge.id)).where(
        col(AreaOfCharge.person_id) == person_id,
        col(AreaOfCharge.unit_id).in_(above_or_self),
        current(AreaOfCharge),
    )
    in_committee = select(col(Position.id)).where(
        col(Position.person_id) == person_id, col(Position.unit_id).in_(above), current(Position)
    )
    return session.execute(sa.union_all(in_charge, in_committee).limit(1)).first() is not None


def _check(session: Session, candidate: Candidate) -> None:
    for field in ("helper_person_id", "in_charge_person_id"):
        person_id = getattr(candidate, field)
        if person_id is not None and session.get(Person, person_id) is None:
            raise InvalidReferenceError(
                field, t("Person {person_id} does not exist.", person_id=person_id)
            )
    if candidate.in_charge_person_id is not None and not _follows(
        session,
        person_id=candidate.in_charge_person_id,
        unit_id=candidate.unit_id,
        on=clock.today(),
    ):
        raise ConflictError(
            t(
                "Person {in_charge_person_id} is neither in charge of unit {unit_id} nor a "
                "member of a committee above it today.",
                in_charge_person_id=candidate.in_charge_person_id,
                unit_id=candidate.unit_id,
            )
        )


def _birth(changes: dict[str, Any], stored: date | None = None) -> dict[str, Any]:
    """A birth date (the one sent, else the `stored` one) sets the birth year; a year sent
    must agree with it (422)."""
    born = changes.get("birth_date", stored)
    if born is None:
        return changes
    if changes.get("birth_year") not in (None, born.year):
        raise InvalidValueError("birth_year", t("The birth date falls in {year}.", year=born.year))
    return changes | {"birth_year": born.year}


def create_candidate(session: Session, *, scope: Scope, candidate_in: CandidateCreate) -> Candidate:
    unit = scope.named_unit(candidate_in.unit_id)
    scope.require_write(unit.id, t("follow candidates of this unit"), REPORT_ROLES)
    candidate = Candidate.model_validate(
        candidate_in,
        update=_birth(candidate_in.model_dump(include={"birth_date", "birth_year"}))
        | {"stage": S.source, "search_key": search_key(candidate_in.full_name)},
    )
    with audited(session, scope=scope, action="create", entity=candidate, lines=[unit.id]):
        # A candidate enters the pipeline, which a closed unit no longer holds.
        require_open(session, unit.id, on=None, what=t("candidate in the pipeline"))
        if candidate_in.source_since > clock.today():
            raise InvalidValueError("source_since", t("The date lies in the future."))
        require_unlocked(session, unit_id=unit.id, day=candidate_in.source_since)
        _check(session, candidate)
        session.add(candidate)
        flows.record(
            session,
            unit_id=candidate.unit_id,
            before=flows.flows_of(None),
            after=flows.flows_of(candidate),
        )
        dues.record(session, unit_id=candidate.unit_id, before=None, after=dues.due_of(candidate))
    return candidate


def update_candidate(
    session: Session, *, scope: Scope, candidate: Candidate, candidate_in: CandidateUpdate
) -> Candidate:
    scope.require_write(candidate.unit_id, t("change candidates of this unit"), REPORT_ROLES)
    changes = _birth(candidate_in.model_dump(exclude_unset=True), candidate.birth_date)
    if "full_name" in changes:
        changes["search_key"] = search_key(changes["full_name"])
    followers = {"helper_person_id", "in_charge_person_id"}
    # Only a follower that changes is checked: a form sent whole to change the note is not
    # refused because the person in charge has since moved on.
    new_followers = any(
        changes.get(f, getattr(candidate, f)) != getattr(candidate, f) for f in followers
    )
    with (
        audited(session, scope=scope, action="update", entity=candidate, lines=[candidate.unit_id]),
        # Checked before any flush: a bad reference answers 422, not an integrity error.
        session.no_autoflush,
    ):
        if candidate.apply(changes) and new_followers:
            _check(session, candidate)
    return candidate


def _outcome_covering(
    session: Session, candidate: Candidate, day: date
) -> RecruitmentOutcome | None:
    """A reported outcome of the candidate's unit or a unit above whose period holds `day`."""
    return session.execute(
        select(RecruitmentOutcome)
        .join(UnitClosure, col(UnitClosure.ancestor_id) == col(RecruitmentOutcome.unit_id))
        .where(
            col(UnitClosure.descendant_id) == candidate.unit_id,
            in_year_structure(UnitClosure, sa.extract("year", col(RecruitmentOutcome.period_end))),
            col(RecruitmentOutcome.period_start) <= day,
            col(RecruitmentOutcome.period_end) >= day,
        )
        .limit(1)
    ).scalar_one_or_none()


StepRule = Callable[[Session, Candidate, CandidateTransitionIn], dict[str, Any]]


def _complete_course(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    day = step_in.on
    renewed = {"course_completed_on": c.course_completed_on, "course_renewed_on": day}
    return (renewed if c.stage == S.awareness_course else {}) | {
        "course_valid_until": calendar.course_valid_until(day)
    }


def _apply(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    if c.course_valid_until is not None and step_in.on > c.course_valid_until:
        raise ConflictError(
            t(
                "The awareness-course certificate expired on {course_valid_until}: the "
                "candidate must complete the course again before applying.",
                course_valid_until=c.course_valid_until,
            )
        )
    return {}


def _propose(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    if c.proposed_on is not None:
        raise ConflictError(
            t("The cell proposed the admission on {proposed_on}.", proposed_on=c.proposed_on)
        )
    _check_age(c, step_in.on, step_in.over_60_decision, required=True)
    return {
        "decision_due_on": calendar.decision_due_on(step_in.on),
        "over_60_decision": step_in.over_60_decision,
    }


def _admit(session: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    day = step_in.on
    if c.proposed_on is None:
        # Admitted without a recorded proposal: the age rule is checked on the decision day,
        # when the birth date is known.
        _check_age(c, day, step_in.over_60_decision, required=False)
    # The caller holds the line: an outcome written meanwhile is seen.
    outcome = _outcome_covering(session, c, day)
    if outcome is not None and not outcome.replaces_individual:
        raise ConflictError(
            t(
                "Outcome {id} already reports the admissions of unit {unit_id} from "
                "{period_start} to {period_end} as a count: mark it as replacing individual "
                "admissions first.",
                id=outcome.id,
                unit_id=outcome.unit_id,
                period_start=outcome.period_start,
                period_end=outcome.period_end,
            )
        )
    return {
        "decision_number": step_in.decision_number,
        "over_60_decision": step_in.over_60_decision or c.over_60_decision,
        "ceremony_due_on": calendar.ceremony_due_on(day),
        # A new question for the cell's votes: the recognition.
        "failed_votes": 0,
        "referred_on": None,
    }


def _hold_ceremony(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    if c.ceremony_on is not None:
        raise ConflictError(
            t(
                "The admission ceremony was already held on {ceremony_on}.",
                ceremony_on=c.ceremony_on,
            )
        )
    # Probation runs 12 months from the ceremony (Party Charter, Article 5.1).
    ends = calendar.probation_ends_on(step_in.on)
    return {
        "probation_ends_on": ends,
        "recognition_due_on": calendar.recognition_proposal_due_on(ends),
    }


def _after_probation(c: Candidate, day: date) -> date:
    if c.ceremony_on is None or c.probation_ends_on is None:
        raise ConflictError(t("Hold the admission ceremony first: probation runs from it."))
    if day < c.probation_ends_on:
        raise ConflictError(
            t(
                "Probation ends on {probation_ends_on}: recognition is considered after it.",
                probation_ends_on=c.probation_ends_on,
            )
        )
    return c.probation_ends_on


def _propose_recognition(
    _: Session, c: Candidate, step_in: CandidateTransitionIn
) -> dict[str, Any]:
    _after_probation(c, step_in.on)
    if c.recognition_proposed_on is not None:
        raise ConflictError(
            t(
                "The cell proposed the recognition on {recognition_proposed_on}.",
                recognition_proposed_on=c.recognition_proposed_on,
            )
        )
    return {"recognition_due_on": calendar.recognition_decision_due_on(step_in.on)}


def _recognise(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    # Official from the end of the 12 months, even when the cell or the committee acts late
    # (Guidance 06-HD/TW, FACTS-2025.md).
    return {"official_on": _after_probation(c, step_in.on)}


def _failed_vote(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    """One more vote without two thirds; at the rule's count the case is referred to the
    superior committee, and the cell votes no more on it."""
    if c.referred_on is not None:
        raise ConflictError(
            t(
                "The case went to the superior committee on {referred_on}: the cell does not "
                "vote on it again.",
                referred_on=c.referred_on,
            )
        )
    votes = c.failed_votes + 1
    referred = votes >= admission_rules(step_in.on).int_value("failed_votes_referred")
    return {"failed_votes": votes, "referred_on": step_in.on if referred else None}


def _drop(_: Session, c: Candidate, step_in: CandidateTransitionIn) -> dict[str, Any]:
    return {"dropped_from": c.stage, "drop_reason": step_in.reason}


# What each step checks and derives beyond its date (409 when the pipeline's rules refuse it).
# Every derived date is computed under the rules in force on the day it counts from
# (app/recruitment/calendar.py, app/rules/admission.py).
STEP_RULES: dict[CandidateAction, StepRule] = {
    CandidateAction.complete_course: _complete_course,
    CandidateAction.apply: _apply,
    CandidateAction.propose: _propose,
    CandidateAction.record_failed_vote: _failed_vote,
    CandidateAction.admit: _admit,
    CandidateAction.hold_ceremony: _hold_ceremony,
    CandidateAction.propose_recognition: _propose_recognition,
    CandidateAction.recognise: _recognise,
    CandidateAction.drop: _drop,
}


def _step_changes(
    session: Session, candidate: Candidate, step_in: CandidateTransitionIn
) -> dict[str, Any]:
    """What the step sets: its date, and what its rule derives."""
    rule = STEP_RULES.get(step_in.action)
    derived = rule(session, candidate, step_in) if rule else {}
    return {STEPS[step_in.action].date_field: step_in.on} | derived


def _check_age(candidate: Candidate, day: date, over_60: str | None, *, required: bool) -> None:
    """The age rule on the day the cell considers the admission: 18 to 60, counted in months;
    over 60 only by decision of the committee directly under the Central Committee
    (app/rules/admission.py)."""
    if candidate.birth_date is None:
        if required:
            raise ConflictError(
                t(
                    "The age rule is checked on the cell's proposal: give the candidate's "
                    "birth_date first."
                )
            )
        return
    rules = admission_rules(day)
    months = calendar.age_in_months(candidate.birth_date, day)
    if months < rules.int_value("min_age_months"):
        raise ConflictError(
            t(
                "The candidate is {years} years {months} months old on {day}: the Party admits "
                "from 18 years ({code}).",
                years=months // 12,
                months=months % 12,
                day=day,
                code=rules.code,
            )
        )
    if months > rules.int_value("max_age_months") and over_60 is None:
        raise ConflictError(
            t(
                "The candidate is over 60 on {day}: give over_60_decision, the decision of the "
                "committee directly under the Central Committee ({code}).",
                day=day,
                code=rules.code,
            )
        )


def transition(
    session: Session, *, scope: Scope, candidate: Candidate, step_in: CandidateTransitionIn
) -> Candidate:
    step = STEPS[step_in.action]
    scope.require_write(candidate.unit_id, t("move candidates of this unit"), REPORT_ROLES)
    if candidate.stage not in step.sources:
        allowed: list[Any] = list(allowed_actions(candidate.stage)) or [t("none")]
        raise ConflictError(
            t(
                "Cannot {action} a candidate at stage {stage}: stages are not skipped; allowed "
                "now: {allowed}.",
                action=step.action,
                stage=candidate.stage,
                allowed=allowed,
            )
        )
    for field in step.requires:
        if not getattr(step_in, field):
            raise InvalidValueError(
                field, t("To {action}, give {field}.", action=step.action, field=field)
            )
    if step_in.on > clock.today():
        raise InvalidValueError("on", t("The date lies in the future."))
    last = max(d for d in (getattr(candidate, f) for f in STEP_DATES) if d is not None)
    if step_in.on < last:
        raise ConflictError(
            t("The candidate's last step is dated {last}: dates do not go backwards.", last=last)
        )
    with audited(
        session, scope=scope, action=step.action.value, entity=candidate, lines=[candidate.unit_id]
    ) as before:
        assert before is not None
        require_open(session, candidate.unit_id, on=step_in.on, what=t("candidate step"))
        stage = step.stage_after(candidate.stage)
        changes = _step_changes(session, candidate, step_in) | {"stage": stage}
        # A recognition dates the member official at the end of probation, which may lie in
        # an earlier, approved period than the decision: the lock covers both.
        official = changes.get("official_on") or step_in.on
        require_unlocked(
            session, unit_id=candidate.unit_id, first=min(official, step_in.on), last=step_in.on
        )
        flows_before, due_before = flows.flows_of(candidate), dues.due_of(candidate)
        candidate.apply(changes)
        flows.record(
            session,
            unit_id=candidate.unit_id,
            before=flows_before,
            after=flows.flows_of(candidate),
        )
        dues.record(
            session, unit_id=candidate.unit_id, before=due_before, after=dues.due_of(candidate)
        )
        session.add(
            CandidateEvent(
                candidate_id=candidate.id,  # type: ignore[arg-type]
                action=step.action,
                from_stage=before["stage"],
                to_stage=stage,
                on=step_in.on,
                note=step_in.note,
                actor=scope.principal.name,
            )
        )
    return candidate


def list_history(session: Session, *, candidate: Candidate) -> list[CandidateEvent]:
    return list(
        session.execute(
            select(CandidateEvent)
            .where(col(CandidateEvent.candidate_id) == candidate.id)
            .order_by(col(CandidateEvent.id))
        ).scalars()
    )
