"""tree over time: versioned closure, unit versions, reorganisations and lineage, two readings
of the candidate flows

Closure rows get their own validity (issue 12): every existing row holds since ever and until
changed, the tree as it stands. Each unit gets its first version of code, name and kind from its
row. With no change of the tree yet, every year's tree is today's: the candidate flow sums are
those of each year's tree (`structure = as_of`, `carried` 0) and, copied, those of today's tree
(`current`). Reorganisations, their lineage links and commitments' `carried_to_id` start empty.

Downgrade leaves the earlier schema its own kind of data: the closure rows in force today and the
sums under today's tree (`current`). It keeps everything else in `_stash_*` tables, which this
upgrade puts back when nothing changed meanwhile (the rows of today match), so that a round trip
loses no history; otherwise it starts the history afresh, as from any earlier data.

Revision ID: 50ea948e71d9
Revises: b7c2e5d1a9f3
Create Date: 2026-12-02 02:22:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.models.base

revision: str = '50ea948e71d9'
down_revision: str | None = 'b7c2e5d1a9f3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SINCE_EVER = "0001-01-01"
UNTIL_CHANGED = "9999-12-31"
STRUCTURE = sa.Enum('as_of', 'current', name='structure', native_enum=False, length=40)
KINDS = (
    'central_committee', 'province_committee', 'district_committee', 'commune_committee',
    'grassroots_committee', 'party_cell', 'agency', 'department',
)


def upgrade() -> None:
    op.create_table('unit_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='unitkind', native_enum=False, length=40), nullable=False),
    sa.Column('correction_reason', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_unit_version_unit_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_version')),
    sa.UniqueConstraint('unit_id', 'valid_from', name=op.f('uq_unit_version_unit_id'))
    )
    op.execute(
        "INSERT INTO unit_version (unit_id, valid_from, valid_to, code, name, kind) "
        f"SELECT id, '{SINCE_EVER}', '{UNTIL_CHANGED}', code, name, kind FROM unit ORDER BY id"
    )
    op.create_table('reorganisation',
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('legal_basis', sa.JSON(), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=5000), nullable=True),
    sa.Column('operations', sa.JSON(), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reorganisation'))
    )
    with op.batch_alter_table('reorganisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reorganisation_effective_on'), ['effective_on'], unique=False)

    op.create_table('unit_lineage',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reorganisation_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('established', 'merged', 'split', 'dissolved', name='lineagekind', native_enum=False, length=40), nullable=False),
    sa.Column('predecessor_id', sa.Integer(), nullable=True),
    sa.Column('successor_id', sa.Integer(), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('carries_history', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['predecessor_id'], ['unit.id'], name=op.f('fk_unit_lineage_predecessor_id_unit')),
    sa.ForeignKeyConstraint(['reorganisation_id'], ['reorganisation.id'], name=op.f('fk_unit_lineage_reorganisation_id_reorganisation')),
    sa.ForeignKeyConstraint(['successor_id'], ['unit.id'], name=op.f('fk_unit_lineage_successor_id_unit')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unit_lineage'))
    )
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.create_index('ix_unit_lineage_predecessor', ['predecessor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_lineage_reorganisation_id'), ['reorganisation_id'], unique=False)
        batch_op.create_index('ix_unit_lineage_successor', ['successor_id'], unique=False)

    op.create_table('reorganisation_unit',
    sa.Column('reorganisation_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['reorganisation_id'], ['reorganisation.id'], name=op.f('fk_reorganisation_unit_reorganisation_id_reorganisation')),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_reorganisation_unit_unit_id_unit')),
    sa.PrimaryKeyConstraint('reorganisation_id', 'unit_id', name=op.f('pk_reorganisation_unit'))
    )
    with op.batch_alter_table('reorganisation_unit', schema=None) as batch_op:
        batch_op.create_index('ix_reorganisation_unit_unit', ['unit_id', 'reorganisation_id'], unique=False)

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried_to_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_commitment_carried_to_id_unit'), 'unit', ['carried_to_id'], ['id'])

    with op.batch_alter_table('candidate_flow', schema=None) as batch_op:
        batch_op.add_column(sa.Column('carried', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('structure', STRUCTURE, nullable=False, server_default='as_of'))
        batch_op.drop_constraint('pk_candidate_flow', type_='primary')
    with op.batch_alter_table('candidate_flow', schema=None) as batch_op:
        batch_op.alter_column('carried', server_default=None)
        batch_op.alter_column('structure', server_default=None)
        batch_op.create_primary_key(
            'pk_candidate_flow', ['unit_id', 'structure', 'stage', 'year']
        )
    op.execute(
        "INSERT INTO candidate_flow (unit_id, structure, stage, year, entered, exited, carried) "
        "SELECT unit_id, 'current', stage, year, entered, exited, carried FROM candidate_flow "
        "WHERE structure = 'as_of'"
    )

    with op.batch_alter_table('unit_closure', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('valid_from', sa.Date(), nullable=False, server_default=SINCE_EVER)
        )
        batch_op.add_column(
            sa.Column('valid_to', sa.Date(), nullable=False, server_default=UNTIL_CHANGED)
        )
        batch_op.drop_index('ix_unit_closure_ancestor_depth')
        batch_op.drop_index('ix_unit_closure_descendant')
        batch_op.drop_constraint('pk_unit_closure', type_='primary')
    with op.batch_alter_table('unit_closure', schema=None) as batch_op:
        batch_op.alter_column('valid_from', server_default=None)
        batch_op.alter_column('valid_to', server_default=None)
        batch_op.create_primary_key(
            'pk_unit_closure', ['ancestor_id', 'descendant_id', 'valid_from']
        )
        batch_op.create_index('ix_unit_closure_ancestor_depth', ['ancestor_id', 'depth', 'descendant_id', 'valid_from', 'valid_to'], unique=False)
        batch_op.create_index('ix_unit_closure_descendant', ['descendant_id', 'valid_to', 'ancestor_id', 'depth', 'valid_from'], unique=False)
    _restore_stash()


# What a downgrade keeps aside: (table, its columns), restored in this order.
STASHED = (
    ('unit_closure', 'ancestor_id, descendant_id, valid_from, valid_to, depth'),
    ('candidate_flow', 'unit_id, structure, stage, year, entered, exited, carried'),
    ('unit_version', 'id, unit_id, valid_from, valid_to, code, name, kind, correction_reason'),
    ('reorganisation', 'version, created_at, updated_at, id, effective_on, legal_basis, note, operations, plan'),
    ('unit_lineage', 'id, reorganisation_id, kind, predecessor_id, successor_id, effective_on, carries_history'),
    ('reorganisation_unit', 'reorganisation_id, unit_id'),
)
TODAYS_ROWS = {
    # The rows the earlier schema kept, as they read in the stash.
    'unit_closure': (
        'ancestor_id, descendant_id, depth',
        f"valid_to = '{UNTIL_CHANGED}'",
    ),
    'candidate_flow': ('unit_id, stage, year, entered, exited', "structure = 'current'"),
}


def _count(sql: str) -> int:
    return int(op.get_bind().execute(sa.text(sql)).scalar_one())


def _restore_stash() -> None:
    tables = set(sa.inspect(op.get_bind()).get_table_names())
    stashes = [name for name in tables if name.startswith('_stash_')]
    if not stashes:
        return
    unchanged = all(
        f'_stash_{table}' in tables
        and _count(
            f"SELECT count(*) FROM (SELECT {columns} FROM {table} "
            f"EXCEPT SELECT {columns} FROM _stash_{table} WHERE {where}) AS added"
        ) == 0
        and _count(
            f"SELECT count(*) FROM (SELECT {columns} FROM _stash_{table} WHERE {where} "
            f"EXCEPT SELECT {columns} FROM {table}) AS removed"
        ) == 0
        for table, (columns, where) in TODAYS_ROWS.items()
    ) and _count("SELECT count(*) FROM unit WHERE id NOT IN (SELECT unit_id FROM _stash_unit_version)") == 0
    if unchanged:
        for table, columns in STASHED:
            op.execute(f"DELETE FROM {table}")
            op.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM _stash_{table}")
        op.execute(
            "UPDATE commitment SET carried_to_id = (SELECT s.carried_to_id FROM "
            "_stash_commitment_carried s WHERE s.id = commitment.id) WHERE id IN "
            "(SELECT id FROM _stash_commitment_carried)"
        )
        if op.get_bind().dialect.name == 'postgresql':
            for table in ('unit_version', 'reorganisation', 'unit_lineage'):
                op.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"coalesce((SELECT max(id) FROM {table}), 0) + 1, false)"
                )
    for name in stashes:
        op.drop_table(name)


def downgrade() -> None:
    for table, columns in STASHED:
        op.execute(f"DROP TABLE IF EXISTS _stash_{table}")
        op.execute(f"CREATE TABLE _stash_{table} AS SELECT {columns} FROM {table}")
    op.execute("DROP TABLE IF EXISTS _stash_commitment_carried")
    op.execute(
        "CREATE TABLE _stash_commitment_carried AS SELECT id, carried_to_id FROM commitment "
        "WHERE carried_to_id IS NOT NULL"
    )
    op.execute(
        f"DELETE FROM unit_closure WHERE valid_to <> '{UNTIL_CHANGED}'"
    )
    with op.batch_alter_table('unit_closure', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_closure_descendant')
        batch_op.drop_index('ix_unit_closure_ancestor_depth')
        batch_op.drop_constraint('pk_unit_closure', type_='primary')
    with op.batch_alter_table('unit_closure', schema=None) as batch_op:
        batch_op.drop_column('valid_to')
        batch_op.drop_column('valid_from')
        batch_op.create_primary_key('pk_unit_closure', ['ancestor_id', 'descendant_id'])
        batch_op.create_index(batch_op.f('ix_unit_closure_descendant'), ['descendant_id', 'ancestor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unit_closure_ancestor_depth'), ['ancestor_id', 'depth', 'descendant_id'], unique=False)

    # The earlier schema's sums are over today's tree.
    op.execute("DELETE FROM candidate_flow WHERE structure <> 'current'")
    with op.batch_alter_table('candidate_flow', schema=None) as batch_op:
        batch_op.drop_constraint('pk_candidate_flow', type_='primary')
    with op.batch_alter_table('candidate_flow', schema=None) as batch_op:
        batch_op.drop_column('structure')
        batch_op.drop_column('carried')
        batch_op.create_primary_key('pk_candidate_flow', ['unit_id', 'stage', 'year'])

    with op.batch_alter_table('commitment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_commitment_carried_to_id_unit'), type_='foreignkey')
        batch_op.drop_column('carried_to_id')

    with op.batch_alter_table('reorganisation_unit', schema=None) as batch_op:
        batch_op.drop_index('ix_reorganisation_unit_unit')
    op.drop_table('reorganisation_unit')
    with op.batch_alter_table('unit_lineage', schema=None) as batch_op:
        batch_op.drop_index('ix_unit_lineage_successor')
        batch_op.drop_index(batch_op.f('ix_unit_lineage_reorganisation_id'))
        batch_op.drop_index('ix_unit_lineage_predecessor')
    op.drop_table('unit_lineage')
    with op.batch_alter_table('reorganisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reorganisation_effective_on'))
    op.drop_table('reorganisation')
    op.drop_table('unit_version')
