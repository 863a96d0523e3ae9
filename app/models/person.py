from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin, enum_column
from app.models.enums import Post


class PersonBase(SQLModel):
    full_name: str = Field(min_length=1, max_length=255)


class Person(PersonBase, TimestampMixin, table=True):
    # The list's order: a page is read off the index, not sorted.
    __table_args__ = (sa.Index("ix_person_search_key_id", "search_key", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    search_key: str = Field(max_length=300)


class TermBase(SQLModel):
    """A period [start_on, end_on); either end may be unknown or open."""

    start_on: date | None = Field(default=None, description="First day; empty when not known.")
    end_on: date | None = Field(
        default=None, description="Day it ended (exclusive); empty if current."
    )
    note: str | None = Field(default=None, max_length=1000)


class PositionBase(TermBase):
    person_id: int = Field(foreign_key="person.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    post: Post = Field(sa_type=enum_column(Post))


class Position(PositionBase, TimestampMixin, table=True):
    """A post a person holds in a unit over a period."""

    id: int | None = Field(default=None, primary_key=True)


class AreaOfChargeBase(TermBase):
    person_id: int = Field(foreign_key="person.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True, description="The unit in charge of.")


class AreaOfCharge(AreaOfChargeBase, TimestampMixin, table=True):
    """A committee member personally in charge of a unit (phụ trách địa bàn) over a period."""

    __tablename__ = "area_of_charge"

    id: int | None = Field(default=None, primary_key=True)
