from datetime import date, datetime

from pydantic import computed_field
from pydantic.config import JsonDict
from sqlmodel import Field
from sqlmodel._compat import SQLModelConfig

from app.core import clock
from app.core.schemas import Id, InputModel
from app.models import CODE_PATTERN, UnitBase, UnitKind

EXAMPLE_UNIT: JsonDict = {
    "code": "DX-HUONGSON",
    "name": "Đảng bộ xã Hương Sơn",
    "kind": "commune_committee",
    "parent_id": 2,
}


class UnitCreate(UnitBase, InputModel):
    parent_id: Id | None = Field(default=None, description="The superior unit; empty for a root.")

    model_config = SQLModelConfig(json_schema_extra={"examples": [EXAMPLE_UNIT]})


class UnitUpdate(InputModel):
    """Only the fields sent are changed. Setting `parent_id` moves the unit with its subtree."""

    code: str = Field(
        default=None, min_length=1, max_length=50, schema_extra={"pattern": CODE_PATTERN}
    )
    name: str = Field(default=None, min_length=1, max_length=255)
    kind: UnitKind = Field(default=None)
    parent_id: Id | None = Field(default=None, description="New superior unit; null makes a root.")
    valid_from: date | None = None

    model_config = SQLModelConfig(
        json_schema_extra={"examples": [{"name": "Đảng bộ xã Hương Sơn"}]}
    )


class UnitClose(InputModel):
    valid_to: date = Field(
        default_factory=clock.today,
        description="Closing day: the unit exists until the day before. Defaults to today.",
    )


class UnitPublic(UnitBase):
    id: int
    parent_id: int | None
    level: int
    valid_to: date | None
    created_at: datetime
    updated_at: datetime

    @computed_field  # type: ignore[prop-decorator]
    @property
    def kind_label(self) -> str:
        """The kind's official Vietnamese name."""
        return self.kind.label


class UnitNode(UnitPublic):
    children: list["UnitNode"] = Field(default_factory=list)
