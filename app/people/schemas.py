from datetime import date, datetime

from pydantic import computed_field, model_validator
from sqlmodel import Field
from sqlmodel._compat import SQLModelConfig

from app.core.i18n import t
from app.core.schemas import Id, InputModel
from app.models import AreaOfChargeBase, PersonBase, PositionBase, Post


class PersonCreate(PersonBase, InputModel):
    model_config = SQLModelConfig(
        json_schema_extra={"examples": [{"full_name": "Trịnh Thị Kim Thoa"}]}
    )


class PersonUpdate(InputModel):
    full_name: str = Field(default=None, min_length=1, max_length=255)


class PersonPublic(PersonBase):
    id: int
    created_at: datetime
    updated_at: datetime


class TermInput(InputModel):
    @model_validator(mode="after")
    def _end_after_start(self) -> "TermInput":
        start, end = getattr(self, "start_on", None), getattr(self, "end_on", None)
        if start is not None and end is not None and end <= start:
            raise ValueError(t("end_on must be after start_on"))
        return self


class PositionCreate(PositionBase, TermInput):
    person_id: Id
    unit_id: Id

    model_config = SQLModelConfig(
        json_schema_extra={
            "examples": [{"person_id": 1, "unit_id": 4, "post": "standing_deputy_secretary"}]
        }
    )


class PositionUpdate(TermInput):
    post: Post = Field(default=None)
    start_on: date | None = None
    end_on: date | None = None
    note: str | None = Field(default=None, max_length=1000)


class PositionPublic(PositionBase):
    id: int
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def post_label(self) -> str:
        """The post's official Vietnamese name."""
        return self.post.label


class AreaOfChargeCreate(AreaOfChargeBase, TermInput):
    person_id: Id
    unit_id: Id


class AreaOfChargeUpdate(TermInput):
    start_on: date | None = None
    end_on: date | None = None
    note: str | None = Field(default=None, max_length=1000)


class AreaOfChargePublic(AreaOfChargeBase):
    id: int
    created_at: datetime
    updated_at: datetime
