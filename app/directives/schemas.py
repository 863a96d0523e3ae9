from datetime import date, datetime
from typing import Annotated

from pydantic import StringConstraints
from pydantic.config import JsonDict
from sqlmodel import Field
from sqlmodel._compat import SQLModelConfig

from app.core.schemas import InputModel
from app.models import DirectiveBase

Motto = Annotated[str, StringConstraints(min_length=1, max_length=255)]

EXAMPLE_DIRECTIVE: JsonDict = {
    "code": "05-CT/TW",
    "title": "Về đẩy mạnh học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh",
    "issuer": "Bộ Chính trị",
    "issued_on": "2016-05-15",
    "mottos": ["Trên trước, dưới sau", "Trong trước, ngoài sau", "Học đi đôi với làm theo"],
}


class DirectiveCreate(DirectiveBase, InputModel):
    mottos: list[Motto] = Field(default_factory=list, max_length=20)

    model_config = SQLModelConfig(json_schema_extra={"examples": [EXAMPLE_DIRECTIVE]})


class DirectiveUpdate(InputModel):
    code: str = Field(default=None, min_length=1, max_length=50)
    title: str = Field(default=None, min_length=1, max_length=500)
    issuer: str = Field(default=None, min_length=1, max_length=255)
    issued_on: date = Field(default=None)
    mottos: list[Motto] = Field(default=None, max_length=20)
    summary: str | None = Field(default=None, max_length=5000)


class DirectivePublic(DirectiveBase):
    id: int
    created_at: datetime
    updated_at: datetime
