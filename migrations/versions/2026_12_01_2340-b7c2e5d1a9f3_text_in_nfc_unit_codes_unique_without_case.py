"""text in NFC; unit codes unique without regard to case

The API now stores text in Unicode NFC (app/core/schemas.py): text stored before it came in
whatever form the client's keyboard sent, so "Hương Sơn" could be there twice, in NFC and NFD.
This normalises every column that holds text people typed (not the audit trail, which records
what was stored at the time, nor derived search keys, which fold both forms alike). It leaves
versions and update times alone: the text reads the same.

Unit codes become unique without regard to case (an index on lower(code)). Codes that differ
only by case stop the upgrade with a list of them rather than being renamed here: codes are
identifiers known outside the service (imports, clients), so which one changes is the
operator's choice (PATCH /api/v1/units/{id} before upgrading). Directive codes that become equal
in NFC stop it likewise.

The downgrade drops the index only: normalisation is not undone (nothing records which rows were
in another form, and NFC is the same text).

Revision ID: b7c2e5d1a9f3
Revises: 35a106cd56c0
Create Date: 2026-12-01 23:40:00.000000
"""

import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "b7c2e5d1a9f3"
down_revision: str | None = "35a106cd56c0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Columns of text people type, by table; the JSON ones hold lists of such text.
TEXT: dict[str, list[str]] = {
    "unit": ["code", "name"],
    "directive": ["code", "title", "issuer", "summary"],
    "person": ["full_name"],
    "position": ["note"],
    "area_of_charge": ["note"],
    "commitment": ["title", "description", "result_summary", "escalated_to"],
    "commitment_event": ["note"],
    "progress_update": ["note"],
    "recruitment_target": ["note"],
    "candidate": ["full_name", "occupation", "note", "decision_number", "drop_reason"],
    "candidate_event": ["note"],
    "recruitment_outcome": ["source", "note"],
    "evaluation": ["self_note", "proposal_note", "decision_note"],
    "app_user": ["full_name"],
    "api_key": ["name"],
}
JSON_LISTS: dict[str, list[str]] = {
    "directive": ["mottos"],
    "commitment": ["success_criteria"],
    "progress_update": ["evidence_links"],
}


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    return value


def _refuse_collisions(
    connection: sa.Connection, table: str, column: str, key: Callable[[str], str], how: str
) -> None:
    t = sa.table(table, sa.column("id"), sa.column(column))
    groups: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row_id, value in connection.execute(sa.select(t.c.id, t.c[column])):
        groups[key(value)].append((row_id, value))
    collisions = [rows for rows in groups.values() if len(rows) > 1]
    if collisions:
        listed = "; ".join(", ".join(f"{v!r} (id {i})" for i, v in rows) for rows in collisions)
        raise RuntimeError(
            f"{table}.{column}: these values differ only by {how} and must be made distinct "
            f"before upgrading: {listed}"
        )


def upgrade() -> None:
    connection = op.get_bind()
    _refuse_collisions(
        connection, "unit", "code", lambda code: _nfc(code).lower(), "case or Unicode form"
    )
    _refuse_collisions(connection, "directive", "code", _nfc, "Unicode form")
    for name, columns in TEXT.items():
        lists = JSON_LISTS.get(name, [])
        table = sa.table(
            name,
            sa.column("id"),
            *(sa.column(c) for c in columns),
            *(sa.column(c, sa.JSON) for c in lists),
        )
        changed = []
        for row in connection.execute(sa.select(table)).mappings():
            normal = {c: _nfc(row[c]) for c in [*columns, *lists]}
            if any(normal[c] != row[c] for c in normal):
                changed.append({"row_id": row["id"], **normal})
        if changed:
            connection.execute(
                table.update()
                .where(table.c.id == sa.bindparam("row_id"))
                .values({c: sa.bindparam(c) for c in [*columns, *lists]}),
                changed,
            )
    op.create_index("ix_unit_code_lower", "unit", [sa.text("lower(code)")], unique=True)


def downgrade() -> None:
    op.drop_index("ix_unit_code_lower", table_name="unit")
