"""Running an import: every row through its kind's service functions, each in a savepoint, all
in ONE transaction (`one_transaction`): a dry run rolls it back, a real import commits it only
when no row failed. Dry run and import thus run the same code and cannot disagree."""

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import one_transaction, record_event
from app.core.config import settings
from app.core.errors import AppError, NotFoundError
from app.core.i18n import Msg, t
from app.core.middleware import request_id_var
from app.imports.files import Formula, Table, normal
from app.imports.kinds import KINDS, CellError, Context, Kind
from app.models import ImportJob, ImportJobUnit, ImportKind, ImportStatus, utcnow

# At most this many errors are listed; the count is always exact.
MAX_ERRORS = 1000

# The Vietnamese label of each kind of refusal, by HTTP status.
LABELS = {
    403: "Không có quyền",
    404: "Không tìm thấy",
    409: "Trái quy định",
    412: "Dữ liệu đã thay đổi",
    422: "Giá trị không hợp lệ",
}


@dataclass
class Summary:
    kind: ImportKind
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)

    def add_error(self, row: int, column: str | None, field_name: str | None, status: int,
                  message: str | Msg, problem: str = "/problems/validation") -> None:  # fmt: skip
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                {
                    "row": row,
                    "column": column,
                    "field": field_name,
                    "label": LABELS.get(status, "Lỗi"),
                    "type": problem,
                    # Kept with the job: in the service's default language.
                    "message": message.render(settings.default_language)
                    if isinstance(message, Msg)
                    else message,
                }
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "dry_run": self.dry_run,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": self.errors,
            "ignored_columns": self.ignored_columns,
        }


Rows = Iterator[tuple[int, dict[str, Any]]]


def table_rows(kind: Kind, table: Table, summary: Summary) -> Rows:
    """A file's rows keyed by field: each header is the kind's Vietnamese one or its field name.
    Formulas anywhere in a row are its errors."""
    by_header = {normal(c.header): c.field for c in kind.columns}
    by_header |= {normal(c.field): c.field for c in kind.columns}
    fields = {h: by_header.get(normal(h)) for h in table.headers if h}
    summary.ignored_columns = [h for h, f in fields.items() if f is None]
    for number, values in table.rows:
        row: dict[str, Any] = {}
        for header, value in values.items():
            name = fields.get(header)
            if isinstance(value, Formula):
                row.setdefault("__formulas__", []).append((header, name, value.cell))
            elif name is not None:
                row[name] = value
        yield number, row


def json_rows(rows: list[dict[str, Any]]) -> Rows:
    return ((index, dict(row)) for index, row in enumerate(rows, start=1))


def _parse(kind: Kind, number: int, raw: dict[str, Any], summary: Summary) -> dict[str, Any] | None:
    """The row's cells as their columns' types; None (and its errors noted) when any fails."""
    ok = True
    for header, name, cell in raw.pop("__formulas__", []):
        summary.add_error(number, header, name, 422, f"Ô {cell} chứa công thức: hãy nhập giá trị.")
        ok = False
    columns = {c.field: c for c in kind.columns}
    row: dict[str, Any] = {}
    for name, value in raw.items():
        column = columns.get(name)
        if column is None:
            summary.add_error(number, None, name, 422, f"Cột không có trong mẫu: {name}.")
            ok = False
            continue
        if value is None:
            continue
        try:
            row[name] = column.parse(value)
        except CellError as error:
            summary.add_error(number, column.header, name, 422, str(error))
            ok = False
    return row if ok else None


def _note_refusal(kind: Kind, number: int, error: Exception, summary: Summary) -> None:
    if isinstance(error, ValidationError):
        for problem in error.errors():
            name = str(problem["loc"][0]) if problem["loc"] else None
            header = kind.header(name) if name else None
            summary.add_error(number, header, name, 422, problem["msg"])
        return
    if isinstance(error, AppError):
        name = None
        for field_problem in error.errors or []:
            loc: list[Any] = field_problem.get("loc") or []
            name = str(loc[1]) if len(loc) > 1 else None
        header = kind.header(name) if name else None
        summary.add_error(number, header, name, error.status, error.detail, error.type)
        return
    summary.add_error(
        number, None, None, 409, f"Trái ràng buộc dữ liệu: {error}", "/problems/conflict"
    )


def _begin(session: Session) -> None:
    """Make sure the transaction is open before the first savepoint: SQLite's driver opens one
    only at a write, and a SAVEPOINT outside a transaction would begin one its RELEASE commits.
    IMMEDIATE: the import writes, so it takes SQLite's one writer's lock now (waiting its turn
    up to busy_timeout); a plain BEGIN reads first, and its first write then fails at once
    (SQLITE_BUSY, a 503) whenever another writer committed since its reads began."""
    connection = session.connection()
    driver: Any = connection.connection.dbapi_connection
    if connection.dialect.name == "sqlite" and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def run_rows(
    session: Session,
    *,
    scope: Scope,
    kind_name: ImportKind,
    rows: Rows,
    summary: Summary,
    options: dict[str, Any],
    progress: Callable[[int], None] = lambda done: None,
) -> Context:
    """Apply each row in a savepoint of the caller's transaction, noting what it did or why it
    was refused; the caller commits or rolls back."""
    kind = KINDS[kind_name]
    ctx = Context(session=session, scope=scope, options=options)
    _begin(session)
    with one_transaction(session):
        for number, raw in rows:
            summary.rows += 1
            row = _parse(kind, number, raw, summary)
            if row is not None and not kind.skip(row):
                savepoint = session.begin_nested()
                try:
                    result = kind.apply(ctx, row)
                    session.flush()
                except (AppError, ValidationError, IntegrityError) as error:
                    savepoint.rollback()
                    _note_refusal(kind, number, error, summary)
                else:
                    savepoint.commit()
                    setattr(summary, result.value, getattr(summary, result.value) + 1)
            elif row is not None:
                summary.rows -= 1  # an export's totals line is no row of data
            progress(summary.rows)
    return ctx


def record_import(session: Session, *, scope: Scope, job: ImportJob, ctx: Context) -> None:
    """The import as one operation of the audit trail, filed under its unit when it named one;
    the units it named make the job visible to their readers."""
    session.add(job)
    session.flush()
    for unit_id in sorted(ctx.unit_ids):
        session.add(ImportJobUnit(job_id=job.id, unit_id=unit_id))  # type: ignore[arg-type]
    only = next(iter(ctx.unit_ids)) if len(ctx.unit_ids) == 1 else None
    record_event(session, scope=scope, action="import", entity=job, before=None, unit_id=only)


def finish(job: ImportJob, summary: Summary) -> None:
    failed = summary.error_count > 0 and not summary.dry_run
    job.status = ImportStatus.failed if failed else ImportStatus.succeeded
    job.summary = summary.as_dict()
    job.rows_total = summary.rows
    job.rows_done = summary.rows
    job.finished_at = utcnow()


# Progress of the jobs running in this process, for the embedded default (SQLite), where the
# import's transaction holds the only write lock and the job's row cannot be updated until it
# ends; on PostgreSQL the worker also writes it to the row (app/imports/jobs.py).
live_progress: dict[int, int] = {}
progress_lock = threading.Lock()


class ImportRefusedError(AppError):
    """A real import with refused rows: nothing was written; every refusal is listed."""

    status = 422
    title = t("Import Refused")
    type = "/problems/import-refused"

    def __init__(self, summary: Summary) -> None:
        super().__init__(
            t(
                "{problems} problem(s) in {rows} row(s): nothing was imported.",
                problems=summary.error_count,
                rows=summary.rows,
            ),
            errors=[
                {
                    "loc": ["row", e["row"], e["column"] or e["field"] or ""],
                    "msg": f"{e['label']}: {e['message']}",
                    "type": "row",
                }
                for e in summary.errors
            ],
            extensions={"summary": summary.as_dict()},
        )


def new_job(scope: Scope, *, kind: ImportKind, dry_run: bool, file_format: str,
            options: dict[str, Any], status: ImportStatus) -> ImportJob:  # fmt: skip
    principal = scope.principal
    return ImportJob(
        kind=kind,
        status=status,
        dry_run=dry_run,
        file_format=file_format,
        options=options,
        principal=principal.key,
        actor=principal.name,
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        grants=[[role.value, unit] for role, unit in principal.grants],
        request_id=request_id_var.get(),
    )


def import_now(
    session: Session,
    *,
    scope: Scope,
    kind: ImportKind,
    rows: Rows,
    summary: Summary,
    dry_run: bool,
    file_format: str,
    options: dict[str, Any],
) -> ImportJob:
    """Run the rows while the client waits. A dry run, and an import with a refused row, roll
    back (the latter answers 422 with every refusal); an import without one commits, with the
    import recorded as one operation."""
    ctx = run_rows(session, scope=scope, kind_name=kind, rows=rows, summary=summary,
                   options=options)  # fmt: skip
    job = new_job(scope, kind=kind, dry_run=dry_run, file_format=file_format, options=options,
                  status=ImportStatus.succeeded)  # fmt: skip
    finish(job, summary)
    if dry_run or summary.error_count:
        session.rollback()
        if not dry_run:
            raise ImportRefusedError(summary)
        return job
    record_import(session, scope=scope, job=job, ctx=ctx)
    session.commit()
    return job


def visible_job(session: Session, *, scope: Scope, job_id: int) -> ImportJob:
    """A job is seen by who submitted it and by who may read every unit its rows named."""
    job = session.get(ImportJob, job_id)
    if job is not None and job.principal != scope.principal.key and not scope.principal.is_admin:
        units = select(col(ImportJobUnit.unit_id)).where(col(ImportJobUnit.job_id) == job_id)
        named = session.execute(units.limit(1)).first() is not None
        hidden = session.execute(
            units.where(sa.not_(scope.covers(ImportJobUnit.unit_id))).limit(1)
        ).first()
        if not named or hidden is not None:
            job = None
    if job is None:
        raise NotFoundError(t("Import {job_id} does not exist.", job_id=job_id))
    return job


def rows_done(job: ImportJob) -> int:
    with progress_lock:
        return max(job.rows_done, live_progress.get(job.id or 0, 0))
