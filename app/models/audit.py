from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, with the record before and after; written in the same transaction
    as the change it describes."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),
        sa.Index("ix_audit_event_at", "at"),
    )

    # 64-bit on PostgreSQL; SQLite autoincrements only an INTEGER primary key (64-bit there anyway).
    id: int | None = Field(
        default=None, sa_type=sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True
    )
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    actor: str = Field(max_length=120, description="Username, or `key:<prefix>` for an API key.")
    action: str = Field(max_length=40)
    entity_type: str = Field(max_length=40)
    entity_id: int
    unit_id: int | None = Field(
        default=None, index=True, description="The unit whose subtree the record belongs to."
    )
    before: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    after: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=128)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a create sent with an `Idempotency-Key`, replayed for 24 hours."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("principal", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    principal: str = Field(max_length=40, description="`user:<id>` or `key:<id>`.")
    key: str = Field(max_length=255)
    method: str = Field(max_length=10)
    path: str = Field(max_length=500)
    request_hash: str = Field(max_length=64)
    status_code: int | None = None
    response_headers: dict[str, str] | None = Field(default=None, sa_type=sa.JSON)
    response_body: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
