"""POST /imports: a CSV or XLSX file, or JSON rows, through the single-record rules."""

import io
import json
from typing import Annotated, Any, TypeVar

import xlsxwriter
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlmodel import Session
from starlette.datastructures import UploadFile

from app.access.deps import ScopeDep
from app.access.scope import Scope
from app.core.config import settings
from app.core.db import SessionDep
from app.core.errors import AppError, InvalidValueError, problem_responses
from app.core.i18n import t
from app.core.schemas import IdPath, YearQuery
from app.idempotency import IDEMPOTENT
from app.imports import jobs, service
from app.imports.files import FileFormat, read_table, sniff
from app.imports.kinds import KINDS
from app.imports.schemas import ImportFileIn, ImportPublic, ImportRowsIn, ImportSummary
from app.models import ImportJob, ImportKind
from app.reports.export import CONTENT_DISPOSITION, XLSX_MEDIA_TYPE

router = APIRouter(prefix="/imports", tags=["imports"])
Body = TypeVar("Body", bound=BaseModel)

# Nested models as references to the document's components (ImportKind is one already: the
# job's answer names it), not as $defs local to the body, which refer to nothing.
_REFS = "#/components/schemas/{model}"
_FILE_SCHEMA = ImportFileIn.model_json_schema(ref_template=_REFS)
_FILE_SCHEMA.pop("$defs", None)
_FILE_SCHEMA["required"] = ["kind", "file"]
_FILE_SCHEMA["properties"]["file"] = {
    "type": "string",
    "format": "binary",
    "description": "CSV (UTF-8) or XLSX; its header row names the template's columns "
    "(GET /imports/templates/{kind}).",
}
_ROWS_SCHEMA = ImportRowsIn.model_json_schema(ref_template=_REFS)
_ROWS_SCHEMA.pop("$defs", None)
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": _FILE_SCHEMA},
            "application/json": {"schema": _ROWS_SCHEMA},
        },
    }
}


class UnsupportedMediaTypeError(AppError):
    status = 415
    title = t("Unsupported Media Type")
    type = "/problems/unsupported-media-type"


def publish(job: ImportJob) -> ImportPublic:
    summary = job.summary or {}
    return ImportPublic(
        id=job.id,
        kind=job.kind,
        status=job.status,
        dry_run=job.dry_run,
        file_format=job.file_format,
        rows_total=job.rows_total,
        rows_done=service.rows_done(job),
        summary=ImportSummary.model_validate(summary) if "kind" in summary else None,
        detail=summary.get("detail"),
        created_at=job.created_at if job.id is not None else None,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _validated(model: type[Body], data: Any) -> Body:
    """The body as `model`, or the 422 of FastAPI's own validation, located in the body."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise RequestValidationError(
            [e | {"loc": ("body", *e["loc"])} for e in error.errors(include_url=False)]
        ) from None


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise InvalidValueError("rows", t("The body is not valid JSON.")) from None


@router.post(
    "",
    response_model=ImportPublic,
    dependencies=[IDEMPOTENT],
    openapi_extra=_BODY,
    responses={
        201: {"description": "Imported: every row written, in one transaction."},
        202: {"description": "A large file, queued as a job: follow its `Location`."},
        **problem_responses(403, 409, 415),
    },
    summary="Import rows (CSV, XLSX or JSON), or check them with dry_run",
)
async def create_import(
    request: Request,
    response: Response,
    session: SessionDep,
    scope: ScopeDep,
    dry_run: Annotated[bool, Query(description="Check every row, write nothing.")] = False,
    year: Annotated[YearQuery, Query(description="The year of rows without a Năm column.")] = None,
) -> ImportPublic:
    """Every row goes through the rules of its single-record endpoint (scope, workflow, period
    locks, overlaps), each in a savepoint of ONE transaction: a dry run answers what would be
    created, updated or left unchanged and every error by row and column, then rolls back; a
    real import writes all rows or none (422 listing every refusal). Files larger than
    `CAMKET_IMPORT_BACKGROUND_BYTES` run as a job (202, `GET /imports/{id}`)."""
    options: dict[str, Any] = {"year": year} if year is not None else {}
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            kind = _validated(ImportFileIn, {k: v for k, v in form.items() if k != "file"}).kind
            if not isinstance(upload, UploadFile):
                raise InvalidValueError("file", t("Send the file as the form field `file`."))
            return await _import_file(
                response, session, scope, kind=kind, upload=upload, dry_run=dry_run,
                options=options,
            )  # fmt: skip
    if not content_type:  # no body at all
        raise InvalidValueError("file", t("Send a file (multipart/form-data) or JSON rows."))
    if not content_type.startswith("application/json"):
        raise UnsupportedMediaTypeError(
            t(
                "Send a CSV or XLSX file as multipart/form-data (fields `kind` and `file`), or "
                "JSON rows (application/json)."
            )
        )
    body = _validated(ImportRowsIn, _json(await request.body()))
    summary = service.Summary(kind=body.kind, dry_run=dry_run)
    job = await run_in_threadpool(
        lambda: service.import_now(
            session, scope=scope, kind=body.kind, rows=service.json_rows(body.rows),
            summary=summary, dry_run=dry_run, file_format=FileFormat.json.value, options=options,
        )
    )  # fmt: skip
    return _answer(response, job)


async def _import_file(
    response: Response,
    session: Session,
    scope: Scope,
    *,
    kind: ImportKind,
    upload: UploadFile,
    dry_run: bool,
    options: dict[str, Any],
) -> ImportPublic:
    size = upload.size or 0
    fmt = await run_in_threadpool(sniff, upload.file)
    if size > settings.import_background_bytes:
        job = await run_in_threadpool(
            lambda: jobs.submit(
                session, scope=scope, kind=kind, file=upload.file, file_format=fmt,
                filename=upload.filename, size=size, dry_run=dry_run, options=options,
            )
        )  # fmt: skip
        response.status_code = 202
        response.headers["Location"] = f"/api/v1/imports/{job.id}"
        return publish(job)

    def run() -> ImportJob:
        summary = service.Summary(kind=kind, dry_run=dry_run)
        table = read_table(upload.file, fmt, jobs.wanted_headers(kind))
        rows = service.table_rows(KINDS[kind], table, summary)
        return service.import_now(
            session, scope=scope, kind=kind, rows=rows, summary=summary, dry_run=dry_run,
            file_format=fmt.value, options=options,
        )  # fmt: skip

    return _answer(response, await run_in_threadpool(run))


def _answer(response: Response, job: ImportJob) -> ImportPublic:
    if job.id is not None:
        response.status_code = 201
        response.headers["Location"] = f"/api/v1/imports/{job.id}"
    return publish(job)


@router.get(
    "/templates/{kind}",
    response_class=Response,
    responses={
        200: {
            "content": {XLSX_MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}},
            "headers": {"Content-Disposition": CONTENT_DISPOSITION},
        },
        **problem_responses(404),
    },
    summary="An empty XLSX with the kind's Vietnamese headers",
)
def template(kind: ImportKind) -> Response:
    """The headers are the exports' where an export has the column, so an exported report
    edited in Excel imports back."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet(kind.label[:31])
    bold = workbook.add_format({"bold": True, "text_wrap": True, "bg_color": "#DDEBF7"})
    for index, column in enumerate(KINDS[kind].columns):
        sheet.set_column(index, index, 22)
        sheet.write_string(0, index, column.header, bold)
    workbook.close()
    filename = f"mau-nhap-{kind.value}.xlsx"
    return Response(
        buffer.getvalue(),
        media_type=XLSX_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{import_id}",
    response_model=ImportPublic,
    responses=problem_responses(404),
    summary="An import: its state, progress (rows done of total) and summary",
)
def get_import(import_id: IdPath, session: SessionDep, scope: ScopeDep) -> ImportPublic:
    """An import's record: a job's `status` and `rows_done` of `rows_total` while it runs, and
    its summary once it ended. Seen by who sent it and by who may read every unit its rows
    named; 404 for anyone else."""
    return publish(service.visible_job(session, scope=scope, job_id=import_id))
