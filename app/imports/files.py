"""Reading an uploaded file as rows, in bounded memory: what it is is sniffed from its content
(never its name), XLSX is read with openpyxl in read-only mode (one row at a time) and CSV by
the csv module over a text stream. Macro-enabled workbooks and anything that is neither CSV nor
XLSX are refused (422); formula cells become errors of their row and column (422)."""

import codecs
import csv
import io
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import IO, Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from app.core.errors import AppError
from app.core.i18n import t


class FileFormat(StrEnum):
    csv = "csv"
    xlsx = "xlsx"
    json = "json"


class UnsupportedFileError(AppError):
    """The file is not what an import reads. 422, not 415: the request's own media type
    (multipart/form-data) is one the endpoint takes; what it carries cannot be processed."""

    status = 422
    title = t("Unsupported File")
    type = "/problems/unsupported-file"


class NoHeaderError(AppError):
    status = 422
    title = t("Unprocessable Content")
    type = "/problems/no-header"


# How far into a file its header row is looked for (the exports put two title lines above it).
HEADER_SEARCH_ROWS = 20
_SNIFF_BYTES = 64 * 1024


def normal(header: Any) -> str:
    """A header as compared: NFC, trimmed, case-folded, inner spaces collapsed."""
    text = unicodedata.normalize("NFC", str(header))
    return " ".join(text.split()).casefold()


MACROS = t("Workbooks with macros (.xlsm, VBA) are refused: save as .xlsx.")


def sniff(file: IO[bytes]) -> FileFormat:
    """What the file is, from its first bytes (and, for a ZIP, its table of contents)."""
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    if head.startswith(b"PK\x03\x04"):
        _check_workbook(file)
        return FileFormat.xlsx
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedFileError(
            t(
                "This is an old binary Office file (.xls): save it as an Excel workbook (.xlsx) "
                "or as CSV (UTF-8)."
            )
        )
    if not head.strip():
        raise UnsupportedFileError(t("The file is empty."))
    if b"\x00" in head:
        raise UnsupportedFileError(t("This is not a CSV or XLSX file."))
    try:
        # A multi-byte character may be cut at the end of the sample: not final.
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        raise UnsupportedFileError(
            t(
                "This is neither an XLSX workbook nor a CSV file in UTF-8: save it as "
                '"CSV UTF-8" or as .xlsx.'
            )
        ) from None
    return FileFormat.csv


def _check_workbook(file: IO[bytes]) -> None:
    try:
        archive = zipfile.ZipFile(file)
    except zipfile.BadZipFile:
        raise UnsupportedFileError(t("This is not a readable XLSX workbook.")) from None
    names = {name.lower() for name in archive.namelist()}
    if any(name.endswith("vbaproject.bin") for name in names):
        raise UnsupportedFileError(MACROS)
    if "xl/workbook.xml" not in names or "[content_types].xml" not in names:
        raise UnsupportedFileError(t("This ZIP file is not an XLSX workbook."))
    with archive.open("[Content_Types].xml") as types:
        if b"macroEnabled" in types.read(1_000_000):
            raise UnsupportedFileError(MACROS)
    file.seek(0)


@dataclass(frozen=True)
class Formula:
    """A formula cell's place: refused, as its value is whatever Excel last computed."""

    cell: str


@dataclass
class Table:
    """The rows of a file under its header: `rows` yields (row number as the spreadsheet
    shows it, {header as written: value}), empty rows left out."""

    headers: list[str]
    rows: Iterator[tuple[int, dict[str, Any]]]


def _is_header(cells: Iterable[Any], wanted: set[str]) -> bool:
    return bool(wanted & {normal(c) for c in cells if c is not None and str(c).strip()})


def _uncsv(value: str) -> str | None:
    """A CSV cell as the export wrote it: text it quoted against formulas loses its quote."""
    if value.startswith("'") and value[1:2] in ("=", "+", "-", "@", "\t", "\r"):
        value = value[1:]
    return value if value.strip() else None


def read_csv(file: IO[bytes], wanted: set[str]) -> Table:
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    sample = text.read(_SNIFF_BYTES)
    text.seek(0)
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(text, dialect)
    try:
        for number, cells in enumerate(reader, start=1):
            if _is_header(cells, wanted):
                headers = [c.strip() for c in cells]
                return Table(headers, _csv_rows(text, reader, headers, number))
            if number >= HEADER_SEARCH_ROWS:
                break
    except (UnicodeDecodeError, csv.Error) as error:
        text.detach()
        raise UnsupportedFileError(
            t("This is not a readable CSV file in UTF-8: {error}", error=str(error))
        ) from None
    text.detach()  # the file stays open for its owner
    raise _no_header(wanted)


def _no_header(wanted: set[str]) -> NoHeaderError:
    return NoHeaderError(
        t(
            "No header row found in the first {rows} rows: it must name columns such as "
            "{columns} (GET /api/v1/imports/templates/{{kind}}).",
            rows=HEADER_SEARCH_ROWS,
            columns=", ".join(sorted(wanted)),
        )
    )


def _csv_rows(
    text: io.TextIOWrapper, reader: Any, headers: list[str], header_row: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    number = header_row
    try:
        for cells in reader:
            number += 1
            values = {h: _uncsv(c) for h, c in zip(headers, cells, strict=False) if h}
            if any(v is not None for v in values.values()):
                yield number, values
    except (UnicodeDecodeError, csv.Error) as error:
        raise UnsupportedFileError(
            t("Row {row} is not readable CSV in UTF-8: {error}", row=number + 1, error=str(error))
        ) from None
    finally:
        text.detach()  # the file stays open for its owner


def read_xlsx(file: IO[bytes], wanted: set[str]) -> Table:
    """The first sheet with a header row naming a wanted column (an export's list may be its
    third sheet)."""
    try:
        workbook = load_workbook(file, read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds on a damaged workbook
        raise UnsupportedFileError(
            t("This XLSX workbook cannot be read: {error}", error=str(error))
        ) from None
    for sheet in workbook.worksheets:
        rows = sheet.iter_rows()
        for number, cells in enumerate(rows, start=1):
            if _is_header((c.value for c in cells), wanted):
                headers = ["" if c.value is None else str(c.value).strip() for c in cells]
                return Table(headers, _xlsx_rows(rows, headers, number))
            if number >= HEADER_SEARCH_ROWS:
                break
    raise _no_header(wanted)


def _xlsx_rows(
    rows: Iterator[Any], headers: list[str], header_row: int
) -> Iterator[tuple[int, dict[str, Any]]]:
    number = header_row
    for cells in rows:
        number += 1
        values: dict[str, Any] = {}
        for index, cell in enumerate(cells):
            value = cell.value
            if value is None or index >= len(headers) or not headers[index]:
                continue
            if cell.data_type == "f":
                values[headers[index]] = Formula(f"{get_column_letter(index + 1)}{number}")
                continue
            if isinstance(value, datetime) and value.time() == datetime.min.time():
                value = value.date()
            if isinstance(value, str) and not value.strip():
                continue
            values[headers[index]] = value
        if values:
            yield number, values
        elif number > header_row + 1:
            # The table ends at its first empty row: below it, a printed export's signature
            # block (app/reports/document.py) is no data.
            return


def read_table(file: IO[bytes], fmt: FileFormat, wanted: set[str]) -> Table:
    if fmt == FileFormat.xlsx:
        return read_xlsx(file, wanted)
    return read_csv(file, wanted)
