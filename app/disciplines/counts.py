"""How many subordinate organisations and leadership members of a unit were disciplined in a
period: the condition of Regulation 366-QĐ/TW that blocks *excellent* ("no disciplined
subordinate organisation or leadership member", FACTS-2025.md), also shown on the scorecard.
One definition, read by the evaluations and the reports."""

from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, col

from app.models import Discipline, Position
from app.tree.closure import subtree_ids


@dataclass(frozen=True)
class Disciplined:
    organisations: int
    leaders: int

    @property
    def total(self) -> int:
        return self.organisations + self.leaders


def disciplined_in(
    session: Session, *, unit_id: int, start: date, end: date, tree_day: date
) -> Disciplined:
    """Decisions dated from `start` to `end` (inclusive).

    A subordinate organisation is any unit below this one in the tree of `tree_day` (the
    period's, app/tree), at any depth: FACTS-2025.md says "subordinate" without naming a
    level. A leadership member is a person who held a post in this unit (a position: secretary,
    deputy, committee member…) on the day of the decision against them."""
    in_period = col(Discipline.decided_on).between(start, end)
    organisations = session.execute(
        select(func.count(sa.distinct(col(Discipline.unit_id)))).where(
            col(Discipline.person_id).is_(None),
            in_period,
            col(Discipline.unit_id).in_(subtree_ids(unit_id, tree_day)),
            col(Discipline.unit_id) != unit_id,
        )
    ).scalar_one()
    held_a_post = (
        select(col(Position.id))
        .where(
            col(Position.person_id) == Discipline.person_id,
            col(Position.unit_id) == unit_id,
            sa.or_(
                col(Position.start_on).is_(None), col(Position.start_on) <= Discipline.decided_on
            ),
            sa.or_(col(Position.end_on).is_(None), col(Position.end_on) > Discipline.decided_on),
        )
        .exists()
    )
    leaders = session.execute(
        select(func.count(sa.distinct(col(Discipline.person_id)))).where(
            col(Discipline.person_id).is_not(None), in_period, held_a_post
        )
    ).scalar_one()
    return Disciplined(organisations=int(organisations), leaders=int(leaders))
