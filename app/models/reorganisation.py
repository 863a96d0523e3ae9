from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import LabelledEnum, TimestampMixin, enum_column


class Reorganisation(TimestampMixin, table=True):
    """One dated change of the tree with its legal basis: the operations as submitted and the
    plan they came to (units opened, closed, moved, renamed; records carried over)."""

    id: int | None = Field(default=None, primary_key=True)
    effective_on: date = Field(index=True)
    legal_basis: list[str] = Field(sa_type=sa.JSON)
    note: str | None = Field(default=None, max_length=5000)
    operations: list[dict[str, Any]] = Field(sa_type=sa.JSON)
    plan: dict[str, Any] = Field(sa_type=sa.JSON)


class ReorganisationUnit(SQLModel, table=True):
    """A unit an event opened, closed, moved or renamed: whose managers see the event, and
    which `GET /reorganisations?unit_id=` finds it by."""

    __tablename__ = "reorganisation_unit"
    __table_args__ = (sa.Index("ix_reorganisation_unit_unit", "unit_id", "reorganisation_id"),)

    reorganisation_id: int = Field(foreign_key="reorganisation.id", primary_key=True)
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)


class LineageKind(LabelledEnum):
    established = "established", "Thành lập"
    merged = "merged", "Hợp nhất, sáp nhập"
    split_ = "split", "Chia tách"
    dissolved = "dissolved", "Giải thể"


class UnitLineage(SQLModel, table=True):
    """A link a reorganisation made between a unit that closed and one that carries on from it
    (a merge or a split), or a unit's opening or closing with no counterpart (established,
    dissolved). `carries_history` marks the successor under which the closed unit's figures are
    read with `structure=current`."""

    __tablename__ = "unit_lineage"
    __table_args__ = (
        sa.Index("ix_unit_lineage_predecessor", "predecessor_id"),
        sa.Index("ix_unit_lineage_successor", "successor_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    reorganisation_id: int = Field(foreign_key="reorganisation.id", index=True)
    kind: LineageKind = Field(sa_type=enum_column(LineageKind))
    predecessor_id: int | None = Field(default=None, foreign_key="unit.id")
    successor_id: int | None = Field(default=None, foreign_key="unit.id")
    effective_on: date
    carries_history: bool = Field(default=False)
