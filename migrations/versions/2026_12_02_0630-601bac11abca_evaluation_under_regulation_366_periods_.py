"""evaluation under Regulation 366: periods, points, criteria sets, disciplines

Issue 13, item 3. An evaluation is of a period (a year, a quarter or a term: `period_kind`,
its key `period` and its days) and may carry points on a criteria set, the period's tasks and
the reasons of its derived grade; one per unit and period replaces one per unit and year.
Existing evaluations are yearly: their period is filled from their year. Criteria sets
(versioned by year) and disciplinary decisions are new tables.

Downgrading deletes the evaluations of quarters and terms (the old schema holds one per unit
and year, so they have no place in it), then every row of the new tables.

Revision ID: 601bac11abca
Revises: ede56e3ef3b9
Create Date: 2026-12-02 05:59:17.128528
"""
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = '601bac11abca'
down_revision: str | None = 'ede56e3ef3b9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('criteria_set',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_set')),
    sa.UniqueConstraint('year', name=op.f('uq_criteria_set_year'))
    )
    op.create_table('discipline',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('form', sa.Enum('reprimand', 'warning', 'dismissal', 'expulsion', 'dissolution', name='disciplineform', native_enum=False, length=40), nullable=False),
    sa.Column('decision_number', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['issued_by_id'], ['unit.id'], name=op.f('fk_discipline_issued_by_id_unit')),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_discipline_person_id_person')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_discipline_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discipline'))
    )
    with op.batch_alter_table('discipline', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_discipline_decided_on'), ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_discipline_issued_by_id'), ['issued_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_discipline_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_discipline_unit_id'), ['unit_id'], unique=False)

    # New NOT NULL columns arrive empty, are filled from the year, then made NOT NULL: a
    # server default would hide a missing period forever.
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('period_kind', sa.Enum('year', 'quarter', 'term', name='periodkind', native_enum=False, length=40), server_default='year', nullable=False))
        batch_op.add_column(sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('period_start', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('period_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('criteria_set_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('scores', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('tasks_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tasks_on_time', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tasks_exceeded', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('tasks_behind', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('grade_reasons', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('self_points', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('proposed_points', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('decided_points', sa.Float(), nullable=True))

    evaluation = sa.table(
        'evaluation',
        sa.column('id', sa.Integer()),
        sa.column('year', sa.Integer()),
        sa.column('period', sa.String()),
        sa.column('period_start', sa.Date()),
        sa.column('period_end', sa.Date()),
    )
    bind = op.get_bind()
    years = bind.execute(sa.select(evaluation.c.year).distinct()).scalars().all()
    # One statement per year evaluated (a few dozen at most), the same SQL on both databases.
    for year in years:
        bind.execute(
            evaluation.update()
            .where(evaluation.c.year == year)
            .values(period=str(year), period_start=date(year, 1, 1), period_end=date(year, 12, 31))
        )

    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.alter_column('period', existing_type=sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False)
        batch_op.alter_column('period_start', existing_type=sa.Date(), nullable=False)
        batch_op.alter_column('period_end', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('uq_evaluation_unit_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_unit_id'), ['unit_id', 'period'])
        batch_op.create_index(batch_op.f('ix_evaluation_criteria_set_id'), ['criteria_set_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_evaluation_criteria_set_id_criteria_set'), 'criteria_set', ['criteria_set_id'], ['id'])



def downgrade() -> None:
    op.execute("DELETE FROM evaluation WHERE period_kind <> 'year'")
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evaluation_criteria_set_id_criteria_set'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evaluation_criteria_set_id'))
        batch_op.drop_constraint(batch_op.f('uq_evaluation_unit_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_evaluation_unit_id'), ['unit_id', 'year'])
        batch_op.drop_column('decided_points')
        batch_op.drop_column('proposed_points')
        batch_op.drop_column('self_points')
        batch_op.drop_column('grade_reasons')
        batch_op.drop_column('tasks_behind')
        batch_op.drop_column('tasks_exceeded')
        batch_op.drop_column('tasks_on_time')
        batch_op.drop_column('tasks_total')
        batch_op.drop_column('scores')
        batch_op.drop_column('criteria_set_id')
        batch_op.drop_column('period_end')
        batch_op.drop_column('period_start')
        batch_op.drop_column('period')
        batch_op.drop_column('period_kind')

    with op.batch_alter_table('discipline', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_discipline_unit_id'))
        batch_op.drop_index(batch_op.f('ix_discipline_person_id'))
        batch_op.drop_index(batch_op.f('ix_discipline_issued_by_id'))
        batch_op.drop_index(batch_op.f('ix_discipline_decided_on'))

    op.drop_table('discipline')
    op.drop_table('criteria_set')
