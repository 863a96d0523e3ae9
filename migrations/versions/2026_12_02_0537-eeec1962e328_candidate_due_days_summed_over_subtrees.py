"""candidate due days summed over subtrees

The reports' overdue alerts were counted on the candidates at each request: every admitted
candidate below the report's units, then the closure (1.5 s of a 2.3 s country report,
bench/RESULTS.md). `candidate_due` keeps, per unit over its subtree in the tree of today, the
admitted candidates by the last day of their earliest step still due (app/recruitment/dues.py);
the write paths keep it, and this fills it from the candidates as they stand.

Revision ID: eeec1962e328
Revises: 50ea948e71d9
Create Date: 2026-12-02 05:37:24.840346
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from app.core import clock

revision: str = 'eeec1962e328'
down_revision: str | None = '50ea948e71d9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The same reading as app/recruitment/dues.py, in SQL of its own: a migration does not follow
# later changes of the application's code.
FILL = """
INSERT INTO candidate_due (unit_id, due_on, candidates)
SELECT closure.ancestor_id, due.due_on, sum(due.candidates)
FROM unit_closure AS closure
JOIN (
    SELECT unit_id, due_on, count(*) AS candidates
    FROM (
        SELECT unit_id,
               CASE WHEN ceremony_on IS NULL AND ceremony_due_on IS NOT NULL
                         AND (recognition_due_on IS NULL OR ceremony_due_on < recognition_due_on)
                    THEN ceremony_due_on ELSE recognition_due_on END AS due_on
        FROM candidate
        WHERE stage = 'admitted'
    ) AS each
    WHERE due_on IS NOT NULL
    GROUP BY unit_id, due_on
) AS due ON due.unit_id = closure.descendant_id
WHERE closure.valid_from <= :today AND closure.valid_to > :today
GROUP BY closure.ancestor_id, due.due_on
"""


def upgrade() -> None:
    op.create_table('candidate_due',
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('candidates', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name=op.f('fk_candidate_due_unit_id_unit')),
    sa.PrimaryKeyConstraint('unit_id', 'due_on', name=op.f('pk_candidate_due'))
    )
    op.create_index('ix_candidate_due_sums', 'candidate_due', ['unit_id', 'due_on', 'candidates'], unique=False)
    op.get_bind().execute(
        sa.text(FILL).bindparams(sa.bindparam('today', clock.today(), type_=sa.Date))
    )


def downgrade() -> None:
    op.drop_index('ix_candidate_due_sums', table_name='candidate_due')
    op.drop_table('candidate_due')
