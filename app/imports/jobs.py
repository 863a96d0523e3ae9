"""Imports too large to answer while the client waits run as jobs.

The file is stored in the database in chunks (`import_chunk`) with the job, so any process can
run it: the process that took the submission hands it to its worker thread at once, and every
worker thread also picks up jobs left queued (by a process that stopped, or with several
processes, whichever claims first). A claim is one `UPDATE … WHERE status = 'queued'`: of two
workers only one changes the row. A job runs under the grants its submitter held when
submitting, and in ONE transaction like any import: all or nothing.
"""

import logging
import queue
import tempfile
import threading
from typing import IO, Any

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from app.access.scope import Principal, Scope
from app.core.db import engine
from app.core.errors import AppError
from app.core.middleware import request_id_var
from app.imports.files import FileFormat, normal, read_table
from app.imports.kinds import KINDS
from app.imports.service import (
    Summary,
    finish,
    live_progress,
    new_job,
    progress_lock,
    record_import,
    run_rows,
    table_rows,
)
from app.models import (
    ImportChunk,
    ImportJob,
    ImportJobUnit,
    ImportKind,
    ImportStatus,
    Role,
    utcnow,
)

logger = logging.getLogger(__name__)

CHUNK_BYTES = 1_048_576
# How often an idle worker looks for jobs queued by other processes, and how often a running
# job's progress is written to its row (PostgreSQL).
SWEEP_SECONDS = 30.0
PROGRESS_EVERY_ROWS = 1000


def wanted_headers(kind: ImportKind) -> set[str]:
    """The headers that tell the header row: any of the kind's."""
    return {normal(c.header) for c in KINDS[kind].columns}


def store_file(session: Session, job: ImportJob, file: IO[bytes]) -> None:
    """The file into the job's chunks, a chunk at a time."""
    session.add(job)
    session.flush()
    file.seek(0)
    seq = 0
    while chunk := file.read(CHUNK_BYTES):
        session.add(ImportChunk(job_id=job.id, seq=seq, data=chunk))  # type: ignore[arg-type]
        session.flush()
        seq += 1


def _load_file(session: Session, job_id: int, into: IO[bytes]) -> None:
    seqs = (
        session.execute(
            select(col(ImportChunk.seq)).where(col(ImportChunk.job_id) == job_id).order_by("seq")
        )
        .scalars()
        .all()
    )
    for seq in seqs:
        data = session.execute(
            select(col(ImportChunk.data)).where(
                col(ImportChunk.job_id) == job_id, col(ImportChunk.seq) == seq
            )
        ).scalar_one()
        into.write(data)
    into.seek(0)


def _claim(job_id: int) -> bool:
    with Session(engine) as session:
        claimed = session.execute(
            update(ImportJob)
            .where(col(ImportJob.id) == job_id, col(ImportJob.status) == ImportStatus.queued)
            .values(status=ImportStatus.running, started_at=utcnow())
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        return bool(claimed == 1)


def _count_rows(job: ImportJob, file: IO[bytes]) -> int:
    table = read_table(file, FileFormat(job.file_format), wanted_headers(job.kind))
    total = sum(1 for _ in table.rows)
    file.seek(0)
    return total


def _write_progress(job_id: int, done: int) -> None:
    with progress_lock:
        live_progress[job_id] = done
    # SQLite has one writer, the import itself: progress stays in this process's memory there.
    if done % PROGRESS_EVERY_ROWS == 0 and engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(
                update(ImportJob).where(col(ImportJob.id) == job_id).values(rows_done=done)
            )


def run_job(job_id: int) -> None:
    if not _claim(job_id):
        return
    try:
        _run(job_id)
    except Exception:
        logger.exception("import job %s failed", job_id)
        with Session(engine) as session:
            job = session.get_one(ImportJob, job_id)
            job.status = ImportStatus.failed
            job.summary = {
                "detail": "The import stopped on an internal error; nothing was written."
            }
            job.finished_at = utcnow()
            session.commit()
    finally:
        with progress_lock:
            live_progress.pop(job_id, None)


def _run(job_id: int) -> None:
    with Session(engine, expire_on_commit=False) as session, tempfile.TemporaryFile() as file:
        job = session.get_one(ImportJob, job_id)
        token = request_id_var.set(job.request_id)
        try:
            _load_file(session, job_id, file)
            principal = Principal(
                name=job.actor,
                grants=tuple((Role(role), unit) for role, unit in job.grants),
                user_id=job.user_id,
                api_key_id=job.api_key_id,
            )
            scope = Scope(session, principal)
            summary = Summary(kind=job.kind, dry_run=job.dry_run)
            try:
                job.rows_total = _count_rows(job, file)
                session.commit()
                table = read_table(file, FileFormat(job.file_format), wanted_headers(job.kind))
                ctx = run_rows(
                    session,
                    scope=scope,
                    kind_name=job.kind,
                    rows=table_rows(KINDS[job.kind], table, summary),
                    summary=summary,
                    options=job.options,
                    progress=lambda done: _write_progress(job_id, done),
                )
            except AppError as error:  # the file itself is refused
                session.rollback()
                job = session.get_one(ImportJob, job_id)
                job.status = ImportStatus.failed
                job.summary = {"detail": error.detail, "status": error.status}
                job.finished_at = utcnow()
            else:
                if summary.error_count or job.dry_run:
                    session.rollback()
                    job = session.get_one(ImportJob, job_id)
                    for unit_id in sorted(ctx.unit_ids):
                        session.add(ImportJobUnit(job_id=job_id, unit_id=unit_id))
                else:
                    record_import(session, scope=scope, job=job, ctx=ctx)
                finish(job, summary)
            session.execute(delete(ImportChunk).where(col(ImportChunk.job_id) == job_id))
            session.commit()
        finally:
            request_id_var.reset(token)


class Worker:
    """One thread per process running queued jobs one after another."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[int] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def submit(self, job_id: int) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self._loop, name="camket-imports", daemon=True
                )
                self.thread.start()
        self.jobs.put(job_id)

    def _loop(self) -> None:
        while True:
            try:
                job_id = self.jobs.get(timeout=SWEEP_SECONDS)
            except queue.Empty:
                for queued in _queued():
                    run_job(queued)
                continue
            run_job(job_id)


def _queued() -> list[int]:
    with Session(engine) as session:
        return list(
            session.execute(
                select(col(ImportJob.id))
                .where(col(ImportJob.status) == ImportStatus.queued)
                .order_by(col(ImportJob.id))
            ).scalars()
        )


worker = Worker()


def submit(
    session: Session,
    *,
    scope: Scope,
    kind: ImportKind,
    file: IO[bytes],
    file_format: FileFormat,
    filename: str | None,
    size: int,
    dry_run: bool,
    options: dict[str, Any],
) -> ImportJob:
    """Queue the file as a job (committed with the request's idempotency claim) and hand it to
    this process's worker."""
    job = new_job(scope, kind=kind, dry_run=dry_run, file_format=file_format.value,
                  options=options, status=ImportStatus.queued)  # fmt: skip
    job.filename = filename[:255] if filename else None
    job.size_bytes = size
    store_file(session, job, file)
    session.commit()
    worker.submit(job.id)  # type: ignore[arg-type]
    return job
