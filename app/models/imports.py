"""Bulk imports run as background jobs: the job, its file in chunks, and the units it named."""

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import UTCDateTime, enum_column, utcnow
from app.models.enums import ImportKind, ImportStatus


class ImportJob(SQLModel, table=True):
    """An import too large to answer while the client waits: queued, then run by a worker."""

    __tablename__ = "import_job"
    __table_args__ = (sa.Index("ix_import_job_status_id", "status", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: ImportKind = Field(sa_type=enum_column(ImportKind))
    status: ImportStatus = Field(sa_type=enum_column(ImportStatus))
    dry_run: bool = False
    file_format: str = Field(max_length=10, description="csv, xlsx or json.")
    filename: str | None = Field(default=None, max_length=255)
    size_bytes: int = Field(default=0, sa_type=sa.BigInteger)
    options: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    # Who submitted it and the grants it runs under, as they stood then.
    principal: str = Field(max_length=40, index=True)
    actor: str = Field(max_length=120)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    api_key_id: int | None = Field(default=None, foreign_key="api_key.id")
    grants: list[Any] = Field(default_factory=list, sa_type=sa.JSON)
    request_id: str | None = Field(default=None, max_length=128)
    rows_total: int | None = None
    rows_done: int = 0
    summary: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ImportChunk(SQLModel, table=True):
    """A queued job's file, in pieces of bounded size so that neither the submission nor the
    worker holds the whole file in memory; deleted when the job ends."""

    __tablename__ = "import_chunk"

    job_id: int = Field(foreign_key="import_job.id", primary_key=True, ondelete="CASCADE")
    seq: int = Field(primary_key=True)
    data: bytes = Field(sa_type=sa.LargeBinary)


class ImportJobUnit(SQLModel, table=True):
    """The units a job's rows named: who may read them all may see the job."""

    __tablename__ = "import_job_unit"

    job_id: int = Field(foreign_key="import_job.id", primary_key=True, ondelete="CASCADE")
    unit_id: int = Field(foreign_key="unit.id", primary_key=True)
