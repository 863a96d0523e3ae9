"""admission rules dated; probation from the ceremony

Issue 13, item 2. The Party Charter (Article 5.1) counts the 12 months of probation from the day
the cell holds the admission ceremony; the service counted them from the admission decision, so
every probation end, recognition deadline and alert was early by the decision-to-ceremony gap.
This recomputes them for existing candidates: probation ends 12 months after the ceremony
(none before it is held), recognition is due 30 working days after (Vietnam's, from the
`holidays` library as the service counts them), and logs how many candidates changed.

A recognised member's recorded `official_on` is kept: under the old rule it was the day of the
decision, now `recognised_on` (copied here); rewriting it to the end of probation would change
reports of past periods, which only an audited correction may do.

New columns: the birth date (age rule), the cell's proposal and the committee's deadline, failed
votes and referral, the cell's recognition proposal and the decision's day. `candidate_due`
(app/recruitment/dues.py) is filled again: the due days moved with the dates.

The downgrade restores the earlier rule's dates (12 months from the decision) and drops the new
columns; what they held is lost.

Revision ID: ede56e3ef3b9
Revises: eeec1962e328
Create Date: 2026-12-02 06:11:56.108018
"""

import logging
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache

import holidays
import sqlalchemy as sa
import sqlmodel
from alembic import op
from dateutil.relativedelta import relativedelta

from app.core import clock

revision: str = 'ede56e3ef3b9'
down_revision: str | None = 'eeec1962e328'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger('alembic.runtime.migration')

PROBATION_MONTHS = 12
RECOGNITION_WORKING_DAYS = 30


@cache
def _vietnam() -> holidays.HolidayBase:
    return holidays.country_holidays('VN')


def _recognition_due(probation_ends: date) -> date:
    return _vietnam().get_nth_working_day(probation_ends, RECOGNITION_WORKING_DAYS)


def _probation(start: date | None) -> tuple[date | None, date | None]:
    if start is None:
        return None, None
    ends = start + relativedelta(months=PROBATION_MONTHS)
    return ends, _recognition_due(ends)


def _recompute(counted_from: Callable[[sa.Row], date | None]) -> int:
    """Set each admitted candidate's probation end and recognition deadline from the day
    `counted_from` gives; returns how many changed."""
    bind = op.get_bind()
    dates = ('admitted_on', 'ceremony_on', 'probation_ends_on', 'recognition_due_on')
    rows = bind.execute(
        sa.text(
            f"SELECT id, {', '.join(dates)} FROM candidate WHERE admitted_on IS NOT NULL"  # noqa: S608
        ).columns(sa.column('id', sa.Integer), *(sa.column(name, sa.Date) for name in dates))
    ).all()
    changed = []
    for row in rows:
        ends, due = _probation(counted_from(row))
        if (ends, due) != (row.probation_ends_on, row.recognition_due_on):
            changed.append({'id': row.id, 'ends': ends, 'due': due})
    if changed:
        bind.execute(
            sa.text(
                'UPDATE candidate SET probation_ends_on = :ends, recognition_due_on = :due '
                'WHERE id = :id'
            ).bindparams(sa.bindparam('ends', type_=sa.Date), sa.bindparam('due', type_=sa.Date)),
            changed,
        )
    return len(changed)


# The due days as app/recruitment/dues.py reads them at each revision, in SQL of their own.
DUE_BEFORE = """
    CASE WHEN ceremony_on IS NULL AND ceremony_due_on IS NOT NULL
              AND (recognition_due_on IS NULL OR ceremony_due_on < recognition_due_on)
         THEN ceremony_due_on ELSE recognition_due_on END
"""
DUE_NOW = f"CASE WHEN stage = 'verified' THEN decision_due_on ELSE {DUE_BEFORE} END"


def _refill_dues(due: str, stages: str) -> None:
    op.execute('DELETE FROM candidate_due')
    op.get_bind().execute(
        sa.text(
            f"""
            INSERT INTO candidate_due (unit_id, due_on, candidates)
            SELECT closure.ancestor_id, due.due_on, sum(due.candidates)
            FROM unit_closure AS closure
            JOIN (
                SELECT unit_id, due_on, count(*) AS candidates
                FROM (SELECT unit_id, {due} AS due_on FROM candidate
                      WHERE stage IN ({stages})) AS each
                WHERE due_on IS NOT NULL
                GROUP BY unit_id, due_on
            ) AS due ON due.unit_id = closure.descendant_id
            WHERE closure.valid_from <= :today AND closure.valid_to > :today
            GROUP BY closure.ancestor_id, due.due_on
            """  # noqa: S608 (the SQL is this file's own)
        ).bindparams(sa.bindparam('today', clock.today(), type_=sa.Date))
    )


def upgrade() -> None:
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.add_column(sa.Column('birth_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('proposed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('decision_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('over_60_decision', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
        batch_op.add_column(sa.Column('failed_votes', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_failed_vote_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('referred_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recognition_proposed_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('recognised_on', sa.Date(), nullable=True))
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.alter_column('failed_votes', server_default=None)
    op.execute('UPDATE candidate SET recognised_on = official_on WHERE official_on IS NOT NULL')
    changed = _recompute(lambda row: row.ceremony_on)
    log.info('Probation counted from the ceremony: %d candidates changed.', changed)
    _refill_dues(DUE_NOW, "'verified', 'admitted'")


def downgrade() -> None:
    changed = _recompute(lambda row: row.admitted_on)
    log.info('Probation counted from the decision again: %d candidates changed.', changed)
    with op.batch_alter_table('candidate', schema=None) as batch_op:
        batch_op.drop_column('recognised_on')
        batch_op.drop_column('recognition_proposed_on')
        batch_op.drop_column('referred_on')
        batch_op.drop_column('last_failed_vote_on')
        batch_op.drop_column('failed_votes')
        batch_op.drop_column('over_60_decision')
        batch_op.drop_column('decision_due_on')
        batch_op.drop_column('proposed_on')
        batch_op.drop_column('birth_date')
    _refill_dues(DUE_BEFORE, "'admitted'")
