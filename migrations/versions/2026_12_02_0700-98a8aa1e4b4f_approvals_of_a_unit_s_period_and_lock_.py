"""approvals of a unit's period and lock exceptions

Issue 13, item 4: `approval` (one per unit and period, its status and who submitted and
decided) and `lock_exception` (a unit's leave to write an approved period until a day). New
tables only; downgrading drops them with their rows.

Revision ID: 98a8aa1e4b4f
Revises: 601bac11abca
Create Date: 2026-12-02 07:00:34.906135
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = '98a8aa1e4b4f'
down_revision: str | None = '601bac11abca'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('approval',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_kind', sa.Enum('year', 'quarter', 'term', name='periodkind', native_enum=False, length=40), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('superior_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('submitted', 'approved', 'returned', 'withdrawn', name='approvalstatus', native_enum=False, length=40), nullable=False),
    sa.Column('submitted_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('first_submitted_on', sa.Date(), nullable=False),
    sa.Column('decided_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.ForeignKeyConstraint(['superior_id'], ['unit.id'], name=op.f('fk_approval_superior_id_unit')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_approval_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval')),
    sa.UniqueConstraint('unit_id', 'period', name=op.f('uq_approval_unit_id'))
    )
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_superior_id'), ['superior_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_unit_id'), ['unit_id'], unique=False)

    op.create_table('lock_exception',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('until', sa.Date(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=False),
    sa.Column('granted_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_lock_exception_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lock_exception'))
    )
    with op.batch_alter_table('lock_exception', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lock_exception_period'), ['period'], unique=False)
        batch_op.create_index(batch_op.f('ix_lock_exception_unit_id'), ['unit_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('lock_exception', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lock_exception_unit_id'))
        batch_op.drop_index(batch_op.f('ix_lock_exception_period'))

    op.drop_table('lock_exception')
    with op.batch_alter_table('approval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_unit_id'))
        batch_op.drop_index(batch_op.f('ix_approval_superior_id'))
        batch_op.drop_index(batch_op.f('ix_approval_status'))
        batch_op.drop_index(batch_op.f('ix_approval_period'))

    op.drop_table('approval')
