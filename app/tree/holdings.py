"""What a unit holds from a day on, and the one rule every write to a closed unit keeps.

A unit closed on day D (`valid_to`, exclusive) has no life on or after D: no record of its own may
be dated there (issue 12, item 3: "writes that would change a closed unit's past after its
closing are refused with 409"). Closing checks the records already there (`held_from`); every
write path checks the record it writes (`require_open`), inside its `audited` block, after the
unit's line is locked, so a close and a write racing on one unit take turns."""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import ColumnElement, select
from sqlmodel import Session, col

from app.core.errors import ConflictError
from app.core.i18n import Msg, t
from app.models import (
    CANDIDATE_STEP_DATES,
    AreaOfCharge,
    Candidate,
    CandidateStage,
    Commitment,
    CommitmentStatus,
    Discipline,
    Evaluation,
    Position,
    RecruitmentOutcome,
    RecruitmentTarget,
    Unit,
)

# Dates of a candidate's steps: a step on or after D belongs to the unit's life after its closing.
_CANDIDATE_STEPS = (*CANDIDATE_STEP_DATES, "dropped_on")
_OUT_OF_PIPELINE = (CandidateStage.official, CandidateStage.dropped)


def year_start(year: int) -> date:
    return date(year, 1, 1)


def _year_from(column: Any, day: date) -> ColumnElement[bool]:
    """Records of a year that begins on or after `day`: the year D falls in is allowed when D is
    not 1 January, the unit lived part of it."""
    first = day.year if day == year_start(day.year) else day.year + 1
    return col(column) >= first


def _candidates(day: date, finished: Collection[CommitmentStatus]) -> ColumnElement[bool]:
    return sa.or_(
        col(Candidate.stage).not_in(_OUT_OF_PIPELINE),
        *(col(getattr(Candidate, step)) >= day for step in _CANDIDATE_STEPS),
    )


def _terms_from(model: type[Position] | type[AreaOfCharge]) -> Callable[..., ColumnElement[bool]]:
    return lambda day, finished: col(model.start_on) >= day


@dataclass(frozen=True)
class Holding:
    kind: Msg
    model: type[Any]
    # The unit's records of this kind that belong to its life on or after `day`.
    from_day: Callable[[date, Collection[CommitmentStatus]], ColumnElement[bool]]
    remedy: Msg
    # The column naming the unit that holds them.
    held_by: str = "unit_id"


# The checks of a close, one query each. Positions and areas of charge open on D (begun before)
# do not stand in the way: the close ends them on D (`open_terms`).
HOLDINGS: tuple[Holding, ...] = (
    Holding(t("candidates"), Candidate, _candidates, t("move or drop them first")),
    Holding(
        t("recruitment outcomes"),
        RecruitmentOutcome,
        lambda day, finished: col(RecruitmentOutcome.period_end) >= day,
        t("end their periods before the closing"),
    ),
    Holding(
        t("recruitment targets"),
        RecruitmentTarget,
        lambda day, finished: _year_from(RecruitmentTarget.year, day),
        t("re-assign or remove them first"),
    ),
    Holding(
        t("commitments"),
        Commitment,
        # One carried to a successor by a reorganisation is the successor's work now.
        lambda day, finished: sa.and_(
            col(Commitment.carried_to_id).is_(None),
            sa.or_(
                _year_from(Commitment.year, day), col(Commitment.status).not_in(tuple(finished))
            ),
        ),
        t("finish or cancel them first, or close the unit after their year"),
    ),
    Holding(
        t("unfinished commitments carried on from closed units"),
        Commitment,
        lambda day, finished: col(Commitment.status).not_in(tuple(finished)),
        t("finish them first, or carry them on in a reorganisation"),
        held_by="carried_to_id",
    ),
    Holding(
        t("evaluations"),
        Evaluation,
        lambda day, finished: _year_from(Evaluation.year, day),
        t("close the unit after their year"),
    ),
    Holding(
        t("disciplinary decisions"),
        Discipline,
        lambda day, finished: col(Discipline.decided_on) >= day,
        t("close the unit after them, or correct their dates"),
    ),
    Holding(
        t("positions"), Position, _terms_from(Position), t("change their start or remove them")
    ),
    Holding(
        t("areas of charge"),
        AreaOfCharge,
        _terms_from(AreaOfCharge),
        t("change their start or remove them"),
    ),
)

# Ids named in a refusal, of each kind.
SHOWN_IDS = 5


def held_from(
    session: Session, *, unit_id: int | None, day: date, finished: Collection[CommitmentStatus]
) -> list[Msg]:
    """What stands in the way of closing the unit on `day`, one phrase per kind of record
    (how many, the first few ids, what to do); empty when nothing does. `finished` names the
    commitment statuses that end one (app/commitments/workflow.py)."""
    found = []
    for holding in HOLDINGS:
        model_id = col(holding.model.id)
        condition = sa.and_(
            col(getattr(holding.model, holding.held_by)) == unit_id,
            holding.from_day(day, finished),
        )
        # One query a kind: the first ids, and how many there are (counted before the limit).
        rows = session.execute(
            select(model_id, sa.func.count().over())
            .where(condition)
            .order_by(model_id)
            .limit(SHOWN_IDS)
        ).all()
        if not rows:
            continue
        ids, count = [row[0] for row in rows], rows[0][1]
        shown = ", ".join(str(i) for i in ids) + (", …" if count > len(ids) else "")
        found.append(
            t(
                "{count} {kind} (ids {shown}): {remedy}",
                count=count,
                kind=holding.kind,
                shown=shown,
                remedy=holding.remedy,
            )
        )
    return found


def open_terms(
    session: Session, model: type[Position] | type[AreaOfCharge], *, unit_id: int | None, day: date
) -> list[Position | AreaOfCharge]:
    """The unit's terms of `model` begun before `day` (or of unknown start) and not ended by
    it: a close on `day` ends them then."""
    return list(
        session.execute(
            select(model)
            .where(
                col(model.unit_id) == unit_id,
                sa.or_(col(model.start_on).is_(None), col(model.start_on) < day),
                sa.or_(col(model.end_on).is_(None), col(model.end_on) > day),
            )
            .order_by(col(model.id))
        )
        .scalars()
        .all()
    )


def require_open(session: Session, unit_id: int | None, *, on: date | None, what: Msg) -> None:
    """409 when the unit closed on or before `on`, the day the written record belongs to
    (None: a record with no end, such as a candidate still in the pipeline, which a closed
    unit never holds).

    Reads the unit's validity afresh, not from the session: under the unit's line lock (the
    caller's `audited` block) it sees a close committed meanwhile."""
    row = session.execute(
        select(col(Unit.code), col(Unit.valid_to)).where(col(Unit.id) == unit_id)
    ).one_or_none()
    if row is None or not closed_by(row.valid_to, on):
        return
    assert row.valid_to is not None
    when = t("dated {on}", on=on) if on is not None else t("still open")
    last = (row.valid_to - timedelta(days=1)).isoformat()
    raise ConflictError(
        t(
            "Unit {code} closed on {valid_to} (its last day was {last}): a {what} {when} would "
            "belong to its life after its closing.",
            code=row.code,
            valid_to=row.valid_to,
            last=last,
            what=what,
            when=when,
        )
    )


def closed_by(valid_to: date | None, on: date | None) -> bool:
    """A unit closed on `valid_to` has no life on `on` (None: a record with no end)."""
    return valid_to is not None and (on is None or on >= valid_to)
