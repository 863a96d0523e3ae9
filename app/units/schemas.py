from datetime import date, datetime

from pydantic import computed_field
from pydantic.config import JsonDict
from sqlmodel import Field, SQLModel
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
    """Only the fields sent are changed, from `effective_on`. Setting `parent_id` moves the unit
    with its subtree."""

    code: str = Field(
        default=None, min_length=1, max_length=50, schema_extra={"pattern": CODE_PATTERN}
    )
    name: str = Field(default=None, min_length=1, max_length=255)
    kind: UnitKind = Field(default=None)
    parent_id: Id | None = Field(default=None, description="New superior unit; null makes a root.")
    valid_from: date | None = None
    effective_on: date | None = Field(
        default=None,
        description="The day a new code, name, kind or parent takes effect (today by default, "
        "or earlier). Every earlier day keeps its answers; to change those, correct the past "
        "with POST /units/{id}/corrections.",
    )

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


class UnitCorrection(InputModel):
    """A past mistake put right: the code, name or kind the unit had on `on` was wrong, over
    the whole of that version's validity. Unlike an edit, this changes earlier answers, and the
    answer says which."""

    on: date = Field(description="A day of the version to correct.")
    code: str | None = Field(
        default=None, min_length=1, max_length=50, schema_extra={"pattern": CODE_PATTERN}
    )
    name: str | None = Field(default=None, min_length=1, max_length=255)
    kind: UnitKind | None = None
    reason: str = Field(min_length=1, max_length=2000, description="Why: kept in the audit trail.")


class CorrectedVersion(InputModel):
    code: str
    name: str
    kind: UnitKind


class UnitCorrected(SQLModel):
    unit_id: int
    valid_from: date | None = Field(
        description="First day whose answers changed; empty: since ever."
    )
    valid_to: date | None = Field(description="Day the changed answers end; empty: until today.")
    before: CorrectedVersion
    after: CorrectedVersion
    reason: str
