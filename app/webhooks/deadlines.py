"""Deadlines becoming due and overdue, announced once per Vietnamese day (app/core/clock.py) by
whichever worker first claims the day.

A deadline falls due on its last day and is overdue from the day after while the work is not
done. Both are read off the one definition of "overdue" of each record (commitments'
`overdue_condition`, candidates' `alert_conditions`): a record falls due on D when it is
overdue on D + 1 but not on D, and becomes overdue on D when it is overdue on D but not on
D - 1. So the events agree with the lists' `overdue` filters and the reports' alerts."""

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.commitments.service import overdue_condition
from app.models import Candidate, CandidateAlert, Commitment, DeadlineCheck, EventType
from app.outbox import enqueue
from app.recruitment.candidates import alert_conditions

# Days a worker that was stopped catches up on, at most.
CATCH_UP_DAYS = 31

Condition = Callable[[date], sa.ColumnElement[bool]]

# The candidates' deadlines: the alert that says a step is late, and the day it was due by.
_CANDIDATE_DEADLINES: dict[CandidateAlert, Any] = {
    CandidateAlert.course_expired: col(Candidate.course_valid_until),
    CandidateAlert.decision_overdue: col(Candidate.decision_due_on),
    CandidateAlert.ceremony_overdue: col(Candidate.ceremony_due_on),
    CandidateAlert.recognition_overdue: col(Candidate.recognition_due_on),
}


def _became(overdue: Condition, day: date) -> sa.ColumnElement[bool]:
    """Overdue on `day`, and not the day before."""
    return sa.and_(overdue(day), sa.not_(overdue(day - timedelta(days=1))))


def _candidate_overdue(alert: CandidateAlert) -> Condition:
    return lambda day: alert_conditions(day)[alert]


def announce(session: Session, day: date) -> int:
    """Add the events of `day` to the session's transaction; how many."""
    count = 0
    for kind, overdue_on in (
        (EventType.deadline_due, day + timedelta(days=1)),
        (EventType.deadline_overdue, day),
    ):
        commitments = session.execute(
            select(col(Commitment.id), col(Commitment.unit_id), col(Commitment.deadline))
            .where(_became(overdue_condition, overdue_on))
            .order_by(col(Commitment.id))
        ).all()
        for commitment_id, unit_id, deadline in commitments:
            _add(session, kind, "commitment", commitment_id, unit_id, deadline, day, None)
            count += 1
        for alert, deadline_column in _CANDIDATE_DEADLINES.items():
            candidates = session.execute(
                select(col(Candidate.id), col(Candidate.unit_id), deadline_column)
                .where(_became(_candidate_overdue(alert), overdue_on))
                .order_by(col(Candidate.id))
            ).all()
            for candidate_id, unit_id, deadline in candidates:
                _add(session, kind, "candidate", candidate_id, unit_id, deadline, day, alert)
                count += 1
    return count


def _add(
    session: Session,
    kind: EventType,
    entity_type: str,
    entity_id: int,
    unit_id: int,
    deadline: date,
    day: date,
    alert: CandidateAlert | None,
) -> None:
    enqueue(
        session,
        type=kind,
        unit_id=unit_id,
        data={
            "entity_type": entity_type,
            "entity_id": entity_id,
            "unit_id": unit_id,
            "deadline": deadline.isoformat(),
            "day": day.isoformat(),
            "alert": alert.value if alert is not None else None,
        },
    )


def check(session: Session, today: date) -> None:
    """Announce every day since the last one announced, up to `today`, each in a transaction
    of its own that first claims the day (a row of `deadline_check`): a worker that finds the
    day taken leaves it to the one that took it."""
    last = session.execute(select(func.max(col(DeadlineCheck.day)))).scalar()
    first = (
        today if last is None else max(last + timedelta(days=1), today - timedelta(CATCH_UP_DAYS))
    )
    day = first
    while day <= today:
        try:
            session.add(DeadlineCheck(day=day))
            session.flush()
        except IntegrityError:
            session.rollback()
            return
        announce(session, day)
        session.commit()
        day += timedelta(days=1)
