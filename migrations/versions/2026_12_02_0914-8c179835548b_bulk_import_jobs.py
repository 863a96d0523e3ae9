"""bulk import jobs

Issue 14, item 1: `import_job` (an import run in the background: its state, progress and
summary), `import_chunk` (its file, in pieces) and `import_job_unit` (the units its rows named,
which decide who sees it). New tables only; downgrading drops them with their rows.

Revision ID: 8c179835548b
Revises: 7b13ce4abe93
Create Date: 2026-12-02 09:14:16.212906
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = '8c179835548b'
down_revision: str | None = '7b13ce4abe93'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('import_job',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('candidates', 'outcomes', 'targets', 'commitments', name='importkind', native_enum=False, length=40), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'succeeded', 'failed', name='importstatus', native_enum=False, length=40), nullable=False),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('file_format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('size_bytes', sa.BigInteger(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('principal', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('api_key_id', sa.Integer(), nullable=True),
    sa.Column('grants', sa.JSON(), nullable=False),
    sa.Column('request_id', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('rows_total', sa.Integer(), nullable=True),
    sa.Column('rows_done', sa.Integer(), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('finished_at', app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['api_key_id'], ['api_key.id'], name=op.f('fk_import_job_api_key_id_api_key')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_import_job_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_job'))
    )
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_job_principal'), ['principal'], unique=False)
        batch_op.create_index('ix_import_job_status_id', ['status', 'id'], unique=False)

    op.create_table('import_chunk',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_chunk_job_id_import_job'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('job_id', 'seq', name=op.f('pk_import_chunk'))
    )
    op.create_table('import_job_unit',
    sa.Column('job_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['job_id'], ['import_job.id'], name=op.f('fk_import_job_unit_job_id_import_job'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_import_job_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('job_id', 'unit_id', name=op.f('pk_import_job_unit'))
    )


def downgrade() -> None:
    op.drop_table('import_job_unit')
    op.drop_table('import_chunk')
    with op.batch_alter_table('import_job', schema=None) as batch_op:
        batch_op.drop_index('ix_import_job_status_id')
        batch_op.drop_index(batch_op.f('ix_import_job_principal'))

    op.drop_table('import_job')
