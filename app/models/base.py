"""What every table shares: constraint names, UTC timestamps, enums stored as their values."""

from collections.abc import Mapping
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, SQLModel

# Named constraints make migrations reviewable and let SQLite's batch mode alter tables.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Primary keys are 32-bit integers; payloads and paths are bounded so that no id reaches the
# database out of range.
MAX_ID = 2_147_483_647


class UTCDateTime(sa.TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every engine (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def utcnow_to_the_second() -> datetime:
    """For comparisons with token `iat` claims, which are whole seconds."""
    return utcnow().replace(microsecond=0)


class LabelledEnum(StrEnum):
    """A string enum whose members carry their official Vietnamese label.

    Declared as `party_cell = "party_cell", "Chi bộ"`.
    """

    label: str

    def __new__(cls, value: str, label: str = "") -> "LabelledEnum":
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member


def enum_column(enum: type[StrEnum], **kwargs: Any) -> Any:
    """A VARCHAR column holding the enum's values (no database enum type to migrate)."""
    return sa.Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=40,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
        **kwargs,
    )


class TimestampMixin(SQLModel):
    """Creation and update times, and a version that every update increments.

    The version is SQLAlchemy's version counter: an UPDATE carries `WHERE version = <read>`, so
    of two writers that read the same version only the first commits (the other gets
    StaleDataError). It is also the record's ETag.
    """

    version: int = Field(default=1, nullable=False, sa_column_kwargs={"server_default": "1"})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)

    def apply(self, changes: Mapping[str, Any]) -> bool:
        """Set the changed fields and the update time; True when anything changed."""
        changed = {k: v for k, v in changes.items() if getattr(self, k) != v}
        for key, value in changed.items():
            setattr(self, key, value)
        if changed:
            self.updated_at = utcnow()
        return bool(changed)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]
