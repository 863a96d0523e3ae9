from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.models import ImportKind, ImportStatus

MAX_JSON_ROWS = 10_000


class ImportFileIn(BaseModel):
    """A file (multipart/form-data): `kind` and `file`."""

    model_config = ConfigDict(extra="forbid")

    kind: ImportKind = Field(description="What the rows are.")


class ImportRowsIn(ImportFileIn):
    """Rows as JSON, each naming the kind's fields (those of the single-record endpoints; units
    by `unit_code` or `unit_id`)."""

    rows: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_JSON_ROWS)


class RowError(BaseModel):
    row: int = Field(description="The row number as the spreadsheet shows it (JSON: from 1).")
    column: str | None = Field(description="The column's Vietnamese header.")
    field: str | None = Field(description="The field the column fills.")
    label: str = Field(description="The kind of refusal, in Vietnamese.")
    type: str = Field(description="The problem type the single-record endpoint would answer.")
    message: str


class ImportSummary(BaseModel):
    kind: ImportKind
    dry_run: bool
    rows: int
    created: int = Field(description="Rows that created a record (or would, in a dry run).")
    updated: int
    unchanged: int
    error_count: int
    errors: list[RowError] = Field(description="The first 1,000 errors, in row order.")
    ignored_columns: list[str] = Field(description="Headers that name no field of the kind.")


class ImportPublic(BaseModel):
    id: int | None = Field(description="Empty for a dry run answered at once (nothing stored).")
    kind: ImportKind
    status: ImportStatus
    dry_run: bool
    file_format: str
    rows_total: int | None = Field(description="Known once a job has counted its file's rows.")
    rows_done: int
    summary: ImportSummary | None = None
    detail: str | None = Field(default=None, description="Why a job's file was refused.")
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
