from datetime import date

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import TimestampMixin


class DirectiveBase(SQLModel):
    code: str = Field(unique=True, min_length=1, max_length=50, description="E.g. `05-CT/TW`.")
    title: str = Field(min_length=1, max_length=500)
    issuer: str = Field(min_length=1, max_length=255, description="E.g. Bộ Chính trị.")
    issued_on: date
    mottos: list[str] = Field(
        default_factory=list,
        sa_type=sa.JSON,
        max_length=20,
        description="Guiding mottos of the implementation.",
    )
    summary: str | None = Field(default=None, max_length=5000)


class Directive(DirectiveBase, TimestampMixin, table=True):
    id: int | None = Field(default=None, primary_key=True)
    search_key: str = Field(max_length=600, description="Folded code and title for search.")
