from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import (
    LabelledEnum,
    TimestampMixin,
    UTCDateTime,
    enum_column,
    utcnow,
    utcnow_to_the_second,
)


class Role(LabelledEnum):
    """What a grant allows on its unit's subtree."""

    admin = "admin", "Quản trị hệ thống"
    manager = "manager", "Quản lý"
    reporter = "reporter", "Cập nhật báo cáo"
    viewer = "viewer", "Xem"


USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
USERNAME_MAX_LENGTH = 64


class UserBase(SQLModel):
    username: str = Field(
        unique=True,
        min_length=3,
        max_length=USERNAME_MAX_LENGTH,
        schema_extra={"pattern": USERNAME_PATTERN},
    )
    full_name: str = Field(min_length=1, max_length=255)
    is_active: bool = True


class User(UserBase, TimestampMixin, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    # Tokens issued before this moment are refused (password change, deactivation).
    tokens_valid_from: datetime = Field(default_factory=utcnow_to_the_second, sa_type=UTCDateTime)
    # Made by the development seed with a public password: refused outside development, with
    # their tokens and API keys (app/access/credentials.py).
    is_demo: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class GrantBase(SQLModel):
    role: Role = Field(sa_type=enum_column(Role))
    unit_id: int | None = Field(
        default=None,
        foreign_key="unit.id",
        index=True,
        description="Root of the subtree the role applies to; empty only for `admin` (everything).",
    )


class Grant(GrantBase, TimestampMixin, table=True):
    __tablename__ = "user_grant"  # "grant" is reserved in SQL
    __table_args__ = (sa.UniqueConstraint("user_id", "role", "unit_id"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)


class ApiKey(GrantBase, TimestampMixin, table=True):
    """A machine client's credential, holding one grant; only a hash of the secret is kept."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    prefix: str = Field(max_length=16, unique=True, description="Public part, shown in lists.")
    secret_hash: str = Field(max_length=64)
    created_by_id: int = Field(foreign_key="app_user.id", index=True)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SignInFailure(SQLModel, table=True):
    """Failed sign-ins, counted per username (from any address) and per client address (for any
    username) to slow down guessing; a row is written before the password is checked, so that
    concurrent guesses count too, and removed when the sign-in succeeds.

    Kept in the database so that every API process behind a load balancer counts the same.
    """

    __tablename__ = "sign_in_failure"
    # One per count: the latest failures of a username, or of an address, in the window.
    __table_args__ = (
        sa.Index("ix_sign_in_failure_username_at", "username", "at"),
        sa.Index("ix_sign_in_failure_client_at", "client", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=USERNAME_MAX_LENGTH)
    client: str = Field(max_length=64)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
