"""The XLSX writer: a party document to print (app/reports/document.py) or a plain table.

xlsxwriter in constant-memory mode writes each row as it comes and holds none: so everything
above the table (heading, widths, frozen panes) is written before it, in row order.
"""

from datetime import date
from math import ceil
from typing import Any

import xlsxwriter

from app.reports.document import (
    PARTY,
    SIZE_DOCUMENT_TYPE,
    SIZE_NAMES,
    SIZE_PARTY,
    SIZE_PLACE_DATE,
    SIZE_SIGNATURE,
    SIZE_SUBJECT,
    SIZE_TABLE,
    Layout,
    Sheet,
    cells,
)

XLSX_FONT = "Times New Roman"
"""The font of Phụ lục 3's examples (36-HD/VPTW); LibreOffice shows it as Liberation Serif."""


class _Formats:
    """xlsxwriter formats made once per workbook, as a cell asks for them."""

    def __init__(self, workbook: Any, layout: Layout) -> None:
        self.workbook = workbook
        self.layout = layout
        self.made: dict[tuple[Any, ...], Any] = {}

    def get(self, **properties: Any) -> Any:
        key = tuple(sorted(properties.items()))
        if key not in self.made:
            self.made[key] = self.workbook.add_format(properties)
        return self.made[key]

    def cell(self, *, bold: bool, is_date: bool, is_text: bool, indent: int) -> Any:
        properties: dict[str, Any] = {}
        if bold:
            properties["bold"] = True
        if is_date:
            properties["num_format"] = "dd/mm/yyyy"
        if self.layout == Layout.print:
            properties |= {"border": 1, "valign": "top"}
            if is_text:
                properties["text_wrap"] = True
            if indent > 0:
                properties["indent"] = indent
        return self.get(**properties) if properties else None

    def header(self) -> Any:
        if self.layout == Layout.data:
            return self.get(bold=True)
        return self.get(
            bold=True,
            text_wrap=True,
            valign="vcenter",
            align="center",
            border=1,
            bg_color="#DDEBF7",
        )


def _blocks(widths: list[int]) -> tuple[int, int]:
    """The last column of the heading's left block and the first of its right block: about the
    left two fifths and the right half of the table's width."""
    total = sum(widths)
    left, running = 0, 0
    for index, width in enumerate(widths):
        running += width
        left = index
        if running >= 0.4 * total:
            break
    right, running = len(widths) - 1, 0
    for index in range(len(widths) - 1, -1, -1):
        running += widths[index]
        right = index
        if running >= 0.45 * total:
            break
    return left, max(right, left + 1)


def _merge(worksheet: Any, row: int, first: int, last: int, value: str, fmt: Any) -> None:
    if last > first:
        worksheet.merge_range(row, first, row, last, value, fmt)
    else:
        worksheet.write_string(row, first, value, fmt)


def _write_heading(worksheet: Any, sheet: Sheet, formats: _Formats) -> int:
    """The party document's heading (app/reports/document.py); returns the header row's index."""
    h = sheet.heading
    widths = [c.width for c in sheet.columns]
    last = len(widths) - 1
    left, right = _blocks(widths)
    names = formats.get(font_size=SIZE_NAMES, align="center")
    left_lines = [
        *([(h.issuer.superior, names)] if h.issuer.superior else []),
        (h.issuer.name, formats.get(font_size=SIZE_NAMES, bold=True, align="center")),
        ("*", names),
    ]
    # The line under the tiêu đề as long as its words: the words underlined.
    right_lines = [
        (PARTY, formats.get(font_size=SIZE_PARTY, bold=True, align="center", underline=1)),
        ("", None),
        (h.place_and_date, formats.get(font_size=SIZE_PLACE_DATE, italic=True, align="center")),
    ]
    for row in range(max(len(left_lines), len(right_lines))):
        worksheet.set_row(row, 20)
        if row < len(left_lines):
            _merge(worksheet, row, 0, left, *left_lines[row])
        if row < len(right_lines) and right_lines[row][1] is not None:
            _merge(worksheet, row, right, last, *right_lines[row])
    row += 2
    for line, properties in (
        (h.document_type.upper(), {"font_size": SIZE_DOCUMENT_TYPE, "bold": True}),
        (h.subject, {"font_size": SIZE_SUBJECT, "bold": True}),
        (h.period, {"italic": True}),
    ):
        worksheet.set_row(row, 20)
        _merge(worksheet, row, 0, last, line, formats.get(align="center", **properties))
        row += 1
    return row + 1


def _write_signature(worksheet: Any, sheet: Sheet, formats: _Formats, row: int) -> None:
    h = sheet.heading.issuer
    _, right = _blocks([c.width for c in sheet.columns])
    last = len(sheet.columns) - 1
    bold = formats.get(font_size=SIZE_SIGNATURE, bold=True, align="center")
    for line in (h.signs_for, h.signer_post, "", "", "", h.signer_name):
        _merge(worksheet, row, right, last, line, bold)
        row += 1


LINE_HEIGHT = 14.5
"""Points per line of the table's 11 pt text."""


def _length(text: str) -> float:
    """In widths of a digit, the spreadsheet's unit of column width: capitals are wider."""
    return sum(1.3 if character.isupper() else 1.0 for character in text)


def _fit_height(worksheet: Any, row: int, texts: list[tuple[str, int]]) -> None:
    """Room for every line of the row's wrapped text. LibreOffice keeps a row's stored height
    when it opens an XLSX (Excel would fit it), so the height is written: a column of width w
    holds about w small letters of this font on a line, fewer capitals."""
    lines = max((ceil(_length(text) / max(width - 1, 1)) for text, width in texts), default=1)
    if lines > 1:
        worksheet.set_row(row, lines * LINE_HEIGHT + 2)


def _write_cell(worksheet: Any, row: int, column: int, value: Any, fmt: Any) -> None:
    """Numbers as numbers, dates as dates."""
    if value is None:
        if fmt is not None:
            worksheet.write_blank(row, column, None, fmt)
    elif isinstance(value, bool):
        worksheet.write_boolean(row, column, value, fmt)
    elif isinstance(value, int | float):
        worksheet.write_number(row, column, value, fmt)
    elif isinstance(value, date):
        worksheet.write_datetime(row, column, value, fmt)
    else:
        worksheet.write_string(row, column, str(value), fmt)


def _write_sheet(workbook: Any, sheet: Sheet, formats: _Formats) -> None:
    worksheet = workbook.add_worksheet(sheet.name[:31])
    printed = formats.layout == Layout.print
    # In constant-memory mode rows go out in order, so widths and panes are set before data.
    for index, column in enumerate(sheet.columns):
        worksheet.set_column(index, index, column.width)
    header_row = _write_heading(worksheet, sheet, formats) if printed else 0
    worksheet.freeze_panes(header_row + 1, 0)
    if printed:
        _fit_height(worksheet, header_row, [(c.header, c.width - 2) for c in sheet.columns])
    for index, column in enumerate(sheet.columns):
        worksheet.write_string(header_row, index, column.header, formats.header())
    row_index = header_row
    for row, is_totals in sheet.all_rows():
        row_index += 1
        values = cells(sheet, row)
        if printed:
            texts = zip(values, sheet.columns, strict=True)
            _fit_height(
                worksheet, row_index, [(v, c.width) for v, c in texts if isinstance(v, str)]
            )
        for index, (column, value) in enumerate(zip(sheet.columns, values, strict=True)):
            indent = column.indent(row) if column.indent and not is_totals else 0
            fmt = formats.cell(
                bold=is_totals,
                is_date=isinstance(value, date),
                is_text=not column.number,
                indent=indent,
            )
            _write_cell(worksheet, row_index, index, value, fmt)
    last_column = len(sheet.columns) - 1
    worksheet.autofilter(header_row, 0, row_index, last_column)
    if printed:
        _write_signature(worksheet, sheet, formats, row_index + 2)
        worksheet.set_landscape()
        worksheet.set_paper(9)  # A4
        worksheet.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
        worksheet.repeat_rows(header_row)
        worksheet.set_margins(left=0.6, right=0.4, top=0.5, bottom=0.5)
        worksheet.center_horizontally()


def write_xlsx(path: str, sheets: list[Sheet], layout: Layout) -> None:
    workbook = xlsxwriter.Workbook(
        path,
        {
            "constant_memory": True,
            "default_format_properties": {"font_name": XLSX_FONT, "font_size": SIZE_TABLE},
        },
    )
    formats = _Formats(workbook, layout)
    for sheet in sheets:
        _write_sheet(workbook, sheet, formats)
    workbook.close()
