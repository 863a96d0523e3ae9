"""A reorganisation as a client sends it (one dated event, its legal basis, its operations) and
the plan it comes to."""

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Discriminator, Field, Tag, model_validator
from sqlmodel._compat import SQLModelConfig

from app.core.i18n import t
from app.core.schemas import Id, InputModel
from app.models import CODE_PATTERN, LineageKind, UnitKind

Ref = Annotated[
    str,
    Field(
        min_length=1,
        max_length=40,
        pattern=r"^[A-Za-z][A-Za-z0-9_-]*$",
        description="A name for a unit this event establishes, by which later operations of "
        "the same event refer to it.",
    ),
]
UnitRef = Annotated[
    Id | Ref,
    Field(
        description="An existing unit's id, or the `ref` of a unit established earlier in "
        "the event."
    ),
]
Code = Annotated[str, Field(min_length=1, max_length=50, pattern=CODE_PATTERN)]
Name = Annotated[str, Field(min_length=1, max_length=255)]
TargetsRule = Annotated[
    Literal["carry", "drop"],
    Field(
        description="Targets of a closing unit for the event's year and later: `carry` adds "
        "each to the successor's target of the year (creating it if needed), `drop` removes "
        "them."
    ),
]
Reason = Annotated[
    str,
    Field(
        min_length=1,
        max_length=2000,
        description="Why the closing unit's unfinished commitments end (with `commitments: "
        "close`): kept as the note of each one's closing.",
    ),
]


class OpenCommitments(InputModel):
    """What becomes of a closing unit's unfinished commitments (issue 12, item 3: carried to
    the successor, or closed with a reason, as the event says)."""

    commitments: Literal["carry", "close"] = Field(
        default="carry",
        description="`carry`: they stay the records of the units that registered them and "
        "their work passes to the unit that carries the history on (`carried_to_id`). "
        "`close`: they end as `cancelled`, with `close_reason` as the note.",
    )
    close_reason: Reason | None = None

    @model_validator(mode="after")
    def _reason_with_close(self) -> "OpenCommitments":
        if (self.commitments == "close") != (self.close_reason is not None):
            raise ValueError(t("close_reason is given with `commitments: close`, and only then."))
        return self


class Establish(InputModel):
    """A new unit, open from the effective day."""

    op: Literal["establish"]
    ref: Ref
    code: Code
    name: Name
    kind: UnitKind
    parent: UnitRef | None = None


class Merge(OpenCommitments):
    """Sources close on the effective day; their open units below and open work go to `into`
    (an existing unit or one established before in the event), which carries their history:
    unfinished commitments stay the records of the units that registered them and their work
    passes to `into` (`carried_to_id`), unless `commitments: close` ends them."""

    op: Literal["merge"]
    sources: list[Id] = Field(min_length=1, max_length=100)
    into: UnitRef
    targets: TargetsRule = "carry"


class Assignment(InputModel):
    unit: Id = Field(description="An open unit directly below the split unit.")
    to: UnitRef


class Split(OpenCommitments):
    """The source closes; each open unit below it goes where `children` says (every one must
    be assigned); its open work and its history go to `history_to` (by default the first of
    `into`)."""

    op: Literal["split"]
    source: Id
    into: list[UnitRef] = Field(min_length=2, max_length=100)
    children: list[Assignment] = Field(default_factory=list, max_length=1_000)
    history_to: UnitRef | None = None
    targets: TargetsRule = "carry"


class Move(InputModel):
    """The unit and its subtree hang under `parent` from the effective day."""

    op: Literal["move"]
    unit: Id
    parent: UnitRef | None


class Rename(InputModel):
    """A new code, name or kind from the effective day."""

    op: Literal["rename"]
    unit: Id
    code: Code | None = None
    name: Name | None = None
    kind: UnitKind | None = None


class Dissolve(OpenCommitments):
    """The unit closes with no successor; its open units below go to `children_to`. With no
    successor to carry them, its unfinished commitments must be closed (`commitments: close`)
    or finished before."""

    op: Literal["dissolve"]
    unit: Id
    children_to: UnitRef | None = None
    commitments: Literal["close"] | None = Field(  # type: ignore[assignment]
        default=None,
        description="`close`: its unfinished commitments end as `cancelled`, with "
        "`close_reason` as the note. Left out, a unit holding any is refused with 409.",
    )


def _op(value: Any) -> Any:
    return value.get("op") if isinstance(value, dict) else getattr(value, "op", None)


# Told apart by `op` (a callable discriminator: payload fields pass through InputModel's
# text-cleaning validator, which a field discriminator does not allow).
Operation = Annotated[
    Annotated[Establish, Tag("establish")]
    | Annotated[Merge, Tag("merge")]
    | Annotated[Split, Tag("split")]
    | Annotated[Move, Tag("move")]
    | Annotated[Rename, Tag("rename")]
    | Annotated[Dissolve, Tag("dissolve")],
    Discriminator(_op),
]


class ReorganisationCreate(InputModel):
    effective_on: date = Field(description="The day the new tree begins (today or earlier).")
    legal_basis: list[Name] = Field(
        min_length=1,
        max_length=20,
        description='The decisions it implements, e.g. "Nghị quyết 1676/NQ-UBTVQH15".',
    )
    note: str | None = Field(default=None, max_length=5000)
    operations: list[Operation] = Field(min_length=1, max_length=1000)

    model_config = SQLModelConfig(
        json_schema_extra={
            "examples": [
                {
                    "effective_on": "2025-07-01",
                    "legal_basis": ["Nghị quyết 1676/NQ-UBTVQH15", "Quy định 294-QĐ/TW"],
                    "operations": [
                        {
                            "op": "establish",
                            "ref": "binh-xuyen",
                            "code": "DU-XA-BINHXUYEN",
                            "name": "Đảng ủy xã Bình Xuyên",
                            "kind": "commune_committee",
                            "parent": 1,
                        },
                        {"op": "merge", "sources": [4, 5, 6], "into": "binh-xuyen"},
                        {"op": "dissolve", "unit": 2},
                    ],
                }
            ]
        }
    )


class PlannedUnit(BaseModel):
    unit_id: int
    code: str
    name: str
    parent_id: int | None = None
    ref: str | None = None


class PlannedMove(BaseModel):
    unit_id: int
    from_parent_id: int | None
    to_parent_id: int | None
    operation: int


class PlannedClose(BaseModel):
    unit_id: int
    code: str
    kind: LineageKind
    successor_ids: list[int]
    history_to: int | None
    operation: int


class PlannedRename(BaseModel):
    unit_id: int
    before: dict[str, str]
    after: dict[str, str]
    operation: int


class CarriedRecord(BaseModel):
    kind: Literal["commitment", "target", "position", "area_of_charge"]
    id: int
    action: Literal["carried", "closed", "added", "dropped", "ended"]
    to_unit_id: int | None = None
    operation: int


class Conflict(BaseModel):
    operation: int
    status: int
    detail: str


class Plan(BaseModel):
    opened: list[PlannedUnit] = Field(default_factory=list)
    closed: list[PlannedClose] = Field(default_factory=list)
    moved: list[PlannedMove] = Field(default_factory=list)
    renamed: list[PlannedRename] = Field(default_factory=list)
    records: list[CarriedRecord] = Field(default_factory=list)
    conflicts: list[Conflict] = Field(
        default_factory=list,
        description="Rules the operations break (a dry run lists them all; a real one answers "
        "409 or 422 with them and writes nothing).",
    )


class ReorganisationPublic(BaseModel):
    id: int | None = Field(description="Empty for a dry run.")
    effective_on: date
    legal_basis: list[str]
    note: str | None
    operations: list[dict[str, Any]]
    plan: Plan
    dry_run: bool = False
    created_at: datetime | None = None


class LineageLink(BaseModel):
    unit_id: int | None
    code: str | None
    name: str | None
    kind: LineageKind
    kind_label: str
    effective_on: date
    carries_history: bool
    reorganisation_id: int
    legal_basis: list[str]


class Lineage(BaseModel):
    unit_id: int
    valid_from: date | None
    valid_to: date | None
    predecessors: list[LineageLink]
    successors: list[LineageLink]
