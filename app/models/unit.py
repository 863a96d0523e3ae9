from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin, enum_column
from app.models.enums import UnitKind

CODE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._/-]*$"


class UnitBase(SQLModel):
    code: str = Field(
        unique=True,
        min_length=1,
        max_length=50,
        schema_extra={"pattern": CODE_PATTERN},
        description="Short unique code (letters, digits, `.`, `_`, `/`, `-`).",
    )
    name: str = Field(min_length=1, max_length=255, description="Official name.")
    kind: UnitKind = Field(sa_type=enum_column(UnitKind))
    valid_from: date | None = Field(
        default=None, description="First day the unit exists; empty when not known."
    )


class Unit(UnitBase, TimestampMixin, table=True):
    """A party organisation. Its validity is the half-open interval [valid_from, valid_to)."""

    __table_args__ = (
        # The list's order: a page is read off the index, not sorted.
        sa.Index("ix_unit_level_name_id", "level", "name", "id"),
        # Codes are kept as typed but unique without regard to case: `nfd-1` beside `NFD-1`
        # would name two units to a reader. Codes are ASCII (CODE_PATTERN), where lower() is
        # the same on SQLite and PostgreSQL. SQLite cannot reflect such an index: a migration
        # that rebuilds this table in batch mode there must create it again.
        sa.Index("ix_unit_code_lower", sa.func.lower(sa.column("code")), unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    parent_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    level: int = Field(default=0, description="Depth in the tree; 0 for a root.")
    valid_to: date | None = Field(default=None, description="Day the unit closed (exclusive).")
    search_key: str = Field(max_length=400, description="Folded name and code for search.")


# Bounds of a validity that is not known or not ended: stored as dates, so that "valid on d" is
# two plain comparisons an index can serve, on SQLite and PostgreSQL alike.
SINCE_EVER = date(1, 1, 1)
UNTIL_CHANGED = date(9999, 12, 31)


class UnitClosure(SQLModel, table=True):
    """Every (ancestor, descendant) pair of the tree of each day, with the distance; (u, u, 0)
    for each unit. A row holds during its own validity [valid_from, valid_to): a move effective
    on D ends the rows it breaks on D and adds the new ones from D, so every earlier day keeps
    its tree (issue 12). A closed unit keeps its rows: it stays where it stood, or under its
    successor from the day a reorganisation hangs it there.

    Subtree and ancestor queries are one indexed join whatever the depth (DESIGN.md measured this
    against recursive CTEs and materialised paths, and the versioned rows against one closure
    per period).
    """

    __tablename__ = "unit_closure"
    __table_args__ = (
        sa.Index(
            "ix_unit_closure_descendant",
            "descendant_id",
            "valid_to",
            "ancestor_id",
            "depth",
            "valid_from",
        ),
        # A report's rows: the units down to some depth below its root, without reading the
        # whole subtree (100 ms for the country's 340,000 units otherwise).
        sa.Index(
            "ix_unit_closure_ancestor_depth",
            "ancestor_id",
            "depth",
            "descendant_id",
            "valid_from",
            "valid_to",
        ),
    )

    ancestor_id: int = Field(foreign_key="unit.id", primary_key=True)
    descendant_id: int = Field(foreign_key="unit.id", primary_key=True)
    valid_from: date = Field(default=SINCE_EVER, primary_key=True)
    valid_to: date = Field(default=UNTIL_CHANGED)
    depth: int


class UnitVersion(SQLModel, table=True):
    """A unit's code, name and kind during [valid_from, valid_to) (app/tree/versions.py); its
    parent and level on a day are the closure's. The unit's own row holds the version in force
    today; answers for another day read the version of that day."""

    __tablename__ = "unit_version"
    __table_args__ = (sa.UniqueConstraint("unit_id", "valid_from"),)

    id: int | None = Field(default=None, primary_key=True)
    unit_id: int = Field(foreign_key="unit.id")
    valid_from: date = Field(default=SINCE_EVER)
    valid_to: date = Field(default=UNTIL_CHANGED)
    code: str = Field(max_length=50)
    name: str = Field(max_length=255)
    kind: UnitKind = Field(sa_type=enum_column(UnitKind))
    # Why the version was last corrected (POST /units/{id}/corrections), kept in the audit trail.
    correction_reason: str | None = Field(default=None, max_length=2000)
