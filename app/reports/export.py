"""Reports as CSV (UTF-8 with BOM, so Excel shows Vietnamese), XLSX (xlsxwriter in constant
memory) or PDF (app/reports/pdf.py), in one of two layouts:

- `print`: a party document (app/reports/document.py) to sign and file: its heading, the
  title, the table with its header repeated on every page and its totals row bold, units
  indented by depth, the signature block; landscape A4, one page wide.
- `data`: one header row, then the data rows, nothing else, for `pandas.read_csv` and the like.

CSV defaults to `data` (a machine reads it), XLSX and PDF to `print`; a PDF is only `print`.
The writers hold no rows (CSV streams, XLSX uses xlsxwriter's constant-memory mode): what grows
with the rows is the report built before them, not its export. The PDF is laid out whole.
"""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from enum import StrEnum
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

from app.core.errors import InvalidValueError
from app.core.i18n import t
from app.reports.document import Layout, Sheet, cells
from app.reports.pdf import write_pdf
from app.reports.xlsx import write_xlsx

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"
    pdf = "pdf"


MEDIA_TYPES: dict[ExportFormat, str] = {
    ExportFormat.json: "application/json",
    ExportFormat.csv: "text/csv; charset=utf-8",
    ExportFormat.xlsx: XLSX_MEDIA_TYPE,
    ExportFormat.pdf: "application/pdf",
}
"""The one map from a format to its media type: content negotiation, the responses and their
OpenAPI declaration (EXPORT_RESPONSES) all read it, so a format added here is documented too."""
FILE_FORMATS = [fmt for fmt in ExportFormat if fmt != ExportFormat.json]


FormatQuery = Annotated[
    ExportFormat | None, Query(alias="format", description="json (default), csv, xlsx or pdf.")
]
LayoutQuery = Annotated[
    Layout | None,
    Query(
        description="CSV and XLSX: `data` (one header row, then the rows; CSV's default) or "
        "`print` (a party document with heading and signature block; XLSX's and PDF's default)."
    ),
]


def negotiate(request: Request, requested: ExportFormat | None) -> ExportFormat:
    """`format=` wins; otherwise the Accept header may ask for CSV, XLSX or PDF; JSON by default."""
    if requested is not None:
        return requested
    accept = request.headers.get("accept", "")
    for fmt in FILE_FORMATS:
        if MEDIA_TYPES[fmt].split(";")[0] in accept:
            return fmt
    return ExportFormat.json


def chosen_layout(fmt: ExportFormat, requested: Layout | None) -> Layout:
    if requested is None:
        return Layout.data if fmt == ExportFormat.csv else Layout.print
    if fmt == ExportFormat.pdf and requested == Layout.data:
        raise InvalidValueError(
            "layout", t("A PDF is printed: layout=data is for CSV and XLSX."), location="query"
        )
    return requested


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`...) is quoted as text."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def csv_response(sheet: Sheet, filename: str, layout: Layout) -> StreamingResponse:
    """The first sheet only: a CSV holds one table. Printed, the heading's two lines come first."""

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> bytes:
            chunk = buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            return chunk

        yield "\ufeff".encode()
        if layout == Layout.print:
            for line in sheet.heading.lines():
                writer.writerow([line])
        writer.writerow([c.header for c in sheet.columns])
        yield flush()
        for row, _ in sheet.all_rows():
            writer.writerow(["" if v is None else _csv_safe(v) for v in cells(sheet, row)])
            if buffer.tell() > 65_536:
                yield flush()
        yield flush()

    return StreamingResponse(
        lines(),
        media_type=MEDIA_TYPES[ExportFormat.csv],
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def spooled(suffix: str, write: Callable[[str], None], fmt: ExportFormat, name: str) -> Any:
    """Written to a temporary file, deleted once sent."""
    handle, path = tempfile.mkstemp(suffix=suffix, prefix="camket-")
    os.close(handle)
    try:
        write(path)
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type=MEDIA_TYPES[fmt],
        filename=f"{name}{suffix}",
        background=BackgroundTask(os.unlink, path),
    )


def export(fmt: ExportFormat, sheets: list[Sheet], filename: str, layout: Layout | None) -> Any:
    chosen = chosen_layout(fmt, layout)
    if fmt == ExportFormat.csv:
        return csv_response(sheets[0], filename, chosen)
    if fmt == ExportFormat.xlsx:
        return spooled(".xlsx", lambda path: write_xlsx(path, sheets, chosen), fmt, filename)
    return spooled(".pdf", lambda path: write_pdf(path, sheets), fmt, filename)


# The 200 of an exporting operation: JSON (from its response model) and each file format as
# bytes of its own media type, with the file name a download keeps.
CONTENT_DISPOSITION = {
    "description": "`attachment; filename=...` on a file; absent on JSON.",
    "schema": {"type": "string"},
}
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON by default; a file with `format=` ("
        + ", ".join(f"`{fmt}`" for fmt in FILE_FORMATS)
        + ") or an `Accept` header naming its media type.",
        "content": {
            media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for fmt, media_type in MEDIA_TYPES.items()
            if fmt in FILE_FORMATS
        },
        "headers": {"Content-Disposition": CONTENT_DISPOSITION},
    }
}
