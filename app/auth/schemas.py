from datetime import datetime

from pydantic import BaseModel, computed_field, model_validator
from sqlmodel import Field

from app.core.i18n import t
from app.core.schemas import Id, InputModel, Secret
from app.models import GrantBase, Role, UserBase

Password = Field(min_length=8, max_length=128)


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 (a token type, not a secret)
    expires_in: int = Field(description="Seconds until the token expires.")


class GrantIn(InputModel):
    role: Role
    unit_id: Id | None = Field(default=None, description="Required for every role but admin.")

    @model_validator(mode="after")
    def _unit_unless_admin(self) -> "GrantIn":
        if self.role != Role.admin and self.unit_id is None:
            raise ValueError(t("a {role} grant needs a unit_id", role=self.role))
        if self.role == Role.admin and self.unit_id is not None:
            raise ValueError(t("an admin grant covers everything: leave unit_id empty"))
        return self


class GrantPublic(GrantBase):
    id: int
    user_id: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def role_label(self) -> str:
        return self.role.label


class UserCreate(UserBase, InputModel):
    password: Secret = Password
    grants: list[GrantIn] = Field(default_factory=list, max_length=50)


class UserUpdate(InputModel):
    full_name: str = Field(default=None, min_length=1, max_length=255)
    is_active: bool = Field(default=None)
    password: Secret = Field(default=None, min_length=8, max_length=128)


class UserPublic(UserBase):
    id: int
    is_demo: bool = Field(
        description="Made by the development seed with a public password: refused outside "
        "development, with its tokens and API keys."
    )
    created_at: datetime
    updated_at: datetime
    grants: list[GrantPublic] = Field(default_factory=list)


class PasswordChange(InputModel):
    current_password: Secret = Field(min_length=1, max_length=128)
    new_password: Secret = Password


class ApiKeyCreate(GrantIn):
    name: str = Field(min_length=1, max_length=100, description="What the key is for.")


class ApiKeyPublic(GrantBase):
    id: int
    name: str
    prefix: str
    created_by_id: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class ApiKeyCreated(ApiKeyPublic):
    key: str = Field(description="The key itself: shown only in this answer, send it as X-API-Key.")
