from datetime import date

from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin, enum_column
from app.models.enums import DisciplineForm


class DisciplineBase(SQLModel):
    unit_id: int = Field(
        foreign_key="unit.id",
        index=True,
        description="The organisation disciplined, or the one the disciplined person belongs "
        "to (whose scope the record is read in).",
    )
    person_id: int | None = Field(
        default=None,
        foreign_key="person.id",
        index=True,
        description="The person disciplined; empty when the organisation itself is.",
    )
    form: DisciplineForm = Field(sa_type=enum_column(DisciplineForm))
    decision_number: str = Field(min_length=1, max_length=100)
    decided_on: date = Field(index=True)
    issued_by_id: int = Field(
        foreign_key="unit.id", index=True, description="The committee that issued the decision."
    )
    reason: str | None = Field(default=None, max_length=5000)


class Discipline(DisciplineBase, TimestampMixin, table=True):
    """A disciplinary decision against an organisation or a person."""

    id: int | None = Field(default=None, primary_key=True)
