"""Reports as CSV (UTF-8 with BOM, so Excel shows Vietnamese) or XLSX (xlsxwriter in constant
memory): a title row naming the unit, the period and the date of issue, Vietnamese headers, numbers
as numbers. The writers hold no rows (CSV streams, XLSX uses xlsxwriter's constant-memory mode):
what grows with the rows is the report built before them, not its export."""

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

import xlsxwriter
from fastapi import Request
from fastapi.responses import FileResponse, StreamingResponse
from starlette.background import BackgroundTask

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


# The media type of each file format: what the responses carry and what the OpenAPI document
# declares (EXPORT_RESPONSES), so that a format added here is documented too.
MEDIA_TYPES = {ExportFormat.csv: CSV_MEDIA_TYPE, ExportFormat.xlsx: XLSX_MEDIA_TYPE}


def negotiate(request: Request, requested: ExportFormat | None) -> ExportFormat:
    """`format=` wins; otherwise the Accept header may ask for CSV or XLSX; JSON by default."""
    if requested is not None:
        return requested
    accept = request.headers.get("accept", "")
    if "text/csv" in accept:
        return ExportFormat.csv
    if XLSX_MEDIA_TYPE in accept:
        return ExportFormat.xlsx
    return ExportFormat.json


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 14
    number: bool = True


def text(header: str, value: Callable[[Any], Any], width: int = 30) -> Column:
    return Column(header, value, width, number=False)


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: Iterable[Any]
    title: list[str] = field(default_factory=list)


def title_lines(report: str, unit_name: str, period: str, issued_on: date) -> list[str]:
    return [f"{report} — {unit_name}", f"{period} · Ngày lập: {issued_on.strftime('%d/%m/%Y')}"]


def _cells(sheet: Sheet, row: Any) -> list[Any]:
    return [column.value(row) for column in sheet.columns]


def _csv_safe(value: Any) -> Any:
    """Text a spreadsheet would run as a formula (`=`, `+`, `-`, `@`...) is quoted as text."""
    if isinstance(value, str) and value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def csv_response(sheet: Sheet, filename: str) -> StreamingResponse:
    """The first sheet only: a CSV holds one table."""

    def lines() -> Iterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)

        def flush() -> bytes:
            chunk = buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            return chunk

        yield "\ufeff".encode()
        for line in sheet.title:
            writer.writerow([line])
        writer.writerow([c.header for c in sheet.columns])
        yield flush()
        for row in sheet.rows:
            writer.writerow(["" if v is None else _csv_safe(v) for v in _cells(sheet, row)])
            if buffer.tell() > 65_536:
                yield flush()
        yield flush()

    return StreamingResponse(
        lines(),
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def _write_sheet(workbook: Any, sheet: Sheet, formats: dict[str, Any]) -> None:
    worksheet = workbook.add_worksheet(sheet.name[:31])
    row_index = 0
    for line in sheet.title:
        worksheet.write_string(row_index, 0, line, formats["title"] if row_index == 0 else None)
        row_index += 1
    for index, column in enumerate(sheet.columns):
        worksheet.set_column(index, index, column.width)
    # In constant-memory mode rows go out in order, so widths and panes are set before data.
    worksheet.freeze_panes(row_index + 1, 0)
    for index, column in enumerate(sheet.columns):
        worksheet.write_string(row_index, index, column.header, formats["header"])
    for row in sheet.rows:
        row_index += 1
        for index, value in enumerate(_cells(sheet, row)):
            if value is None:
                continue
            if isinstance(value, bool):
                worksheet.write_boolean(row_index, index, value)
            elif isinstance(value, int | float):
                worksheet.write_number(row_index, index, value)
            elif isinstance(value, date):
                worksheet.write_datetime(row_index, index, value, formats["date"])
            else:
                worksheet.write_string(row_index, index, str(value))


def xlsx_response(sheets: list[Sheet], filename: str) -> FileResponse:
    """Spooled to a temporary file deleted once sent."""
    handle, path = tempfile.mkstemp(suffix=".xlsx", prefix="camket-")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(path, {"constant_memory": True})
        formats = {
            "title": workbook.add_format({"bold": True, "font_size": 13}),
            "header": workbook.add_format(
                {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"}
            ),
            "date": workbook.add_format({"num_format": "dd/mm/yyyy"}),
        }
        for sheet in sheets:
            _write_sheet(workbook, sheet, formats)
        workbook.close()
    except BaseException:
        os.unlink(path)
        raise
    return FileResponse(
        path,
        media_type=XLSX_MEDIA_TYPE,
        filename=f"{filename}.xlsx",
        background=BackgroundTask(os.unlink, path),
    )


def export(fmt: ExportFormat, sheets: list[Sheet], filename: str) -> Any:
    if fmt == ExportFormat.csv:
        return csv_response(sheets[0], filename)
    return xlsx_response(sheets, filename)


# The 200 of an exporting operation: JSON (from its response model) and each file format as
# bytes of its own media type, with the file name a download keeps.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "JSON by default; a file with `format=` ("
        + ", ".join(f"`{fmt}`" for fmt in MEDIA_TYPES)
        + ") or an `Accept` header naming its media type.",
        "content": {
            media_type.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media_type in MEDIA_TYPES.values()
        },
        "headers": {
            "Content-Disposition": {
                "description": "`attachment; filename=...` on a file; absent on JSON.",
                "schema": {"type": "string"},
            }
        },
    }
}
