"""The PDF writer: the same party document as the printed XLSX (app/reports/document.py).

ReportLab (BSD, maintained since 2000, 5.x) over fpdf2: its platypus tables split over pages
and repeat their header rows on each (`repeatRows`), wrap each cell's text in its column and
shrink nothing behind our back, which is all a long report needs; both embed TrueType subsets.
The font is Liberation Serif shipped in app/reports/fonts (Vietnamese in full, metric-compatible
with the Times New Roman of the Hướng dẫn's examples): the PDF is the same on every machine.

Landscape A4; the table's columns share the width in proportion to the spreadsheet's column
widths, so a table is always one page wide; its type shrinks (down to SMALLEST) as columns grow.
"""

from typing import Any, Literal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    HRFlowable,
    KeepTogether,
    LongTable,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.reports.document import (
    FONTS,
    PARTY,
    SIZE_DOCUMENT_TYPE,
    SIZE_NAMES,
    SIZE_PARTY,
    SIZE_PLACE_DATE,
    SIZE_SIGNATURE,
    SIZE_SUBJECT,
    SIZE_TABLE,
    Heading,
    Issuer,
    Sheet,
    cells,
)

SERIF, BOLD, ITALIC = "CamKetSerif", "CamKetSerif-Bold", "CamKetSerif-Italic"
for _name, _file in (
    (SERIF, "LiberationSerif-Regular.ttf"),
    (BOLD, "LiberationSerif-Bold.ttf"),
    (ITALIC, "LiberationSerif-Italic.ttf"),
):
    pdfmetrics.registerFont(TTFont(_name, str(FONTS / _file)))
pdfmetrics.registerFontFamily(SERIF, normal=SERIF, bold=BOLD, italic=ITALIC, boldItalic=BOLD)

PAGE = landscape(A4)
MARGIN = 12 * mm
SMALLEST = 6.5
# The mean advance of a character in the table's text, in ems: what a column of `width`
# characters (the spreadsheet's unit) needs at a given size.
EM_PER_CHARACTER = 0.5


# reportlab.lib.enums TA_LEFT, TA_CENTER, TA_RIGHT, as the stubs type them.
Align = Literal[0, 1, 2]
LEFT: Align = 0
CENTER: Align = 1
RIGHT: Align = 2


def _style(size: float, font: str = SERIF, align: Align = CENTER, **more: Any) -> ParagraphStyle:
    return ParagraphStyle(
        f"{font}-{size}-{align}",
        fontName=font,
        fontSize=size,
        leading=size * 1.2,
        alignment=align,
        **more,
    )


def _paragraph(value: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(value), style)


def _heading(h: Heading, width: float) -> list[Any]:
    left = [
        *([_paragraph(h.issuer.superior, _style(SIZE_NAMES))] if h.issuer.superior else []),
        _paragraph(h.issuer.name, _style(SIZE_NAMES, BOLD)),
        _paragraph("*", _style(SIZE_NAMES)),
    ]
    right = [
        _paragraph(PARTY, _style(SIZE_PARTY, BOLD)),
        # 1.1: a solid line under the tiêu đề, as long as its words.
        HRFlowable(
            width=pdfmetrics.stringWidth(PARTY, BOLD, SIZE_PARTY),
            thickness=0.6,
            color=colors.black,
            hAlign="CENTER",
            spaceBefore=1,
            spaceAfter=6,
        ),
        _paragraph(h.place_and_date, _style(SIZE_PLACE_DATE, ITALIC)),
    ]
    top = Table([[left, right]], colWidths=[width * 0.45, width * 0.55])
    # A cell places its flowables by its own ALIGN: the line is centred under the words so.
    top.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("ALIGN", (0, 0), (-1, -1), "CENTER")])
    )
    return [
        top,
        Spacer(0, 10),
        _paragraph(h.document_type.upper(), _style(SIZE_DOCUMENT_TYPE, BOLD)),
        _paragraph(h.subject, _style(SIZE_SUBJECT, BOLD)),
        _paragraph(h.period, _style(SIZE_TABLE, ITALIC)),
        Spacer(0, 8),
    ]


def _table(sheet: Sheet, width: float) -> LongTable:
    total = sum(column.width for column in sheet.columns)
    size = max(SMALLEST, min(SIZE_TABLE, width / (total * EM_PER_CHARACTER)))
    header_style = _style(size, BOLD)
    styles = {
        (bold, number): _style(size, BOLD if bold else SERIF, RIGHT if number else LEFT)
        for bold in (False, True)
        for number in (False, True)
    }
    rows: list[list[Any]] = [[_paragraph(c.header, header_style) for c in sheet.columns]]
    for row, is_totals in sheet.all_rows():
        line = []
        for column, value in zip(sheet.columns, cells(sheet, row), strict=True):
            style = styles[is_totals, column.number]
            indent = column.indent(row) if column.indent and not is_totals else 0
            if indent:
                style = ParagraphStyle(f"{style.name}-{indent}", style, leftIndent=indent * size)
            line.append(_paragraph(_shown(value), style))
        rows.append(line)
    table = LongTable(
        rows,
        colWidths=[width * column.width / total for column in sheet.columns],
        repeatRows=1,
    )
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.black),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                ("LEFTPADDING", (0, 0), (-1, -1), 2),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
            ]
        )
    )
    return table


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, float):
        return f"{value:g}"
    if hasattr(value, "strftime"):
        return str(value.strftime("%d/%m/%Y"))
    return str(value)


def _signature(h: Issuer, width: float) -> KeepTogether:
    bold = _style(SIZE_SIGNATURE, BOLD)
    block = [
        _paragraph(h.signs_for, bold),
        _paragraph(h.signer_post, bold),
        Spacer(0, 60),
        _paragraph(h.signer_name, bold),
    ]
    table = Table([["", block]], colWidths=[width * 0.5, width * 0.5])
    return KeepTogether([Spacer(0, 12), table])


def write_pdf(path: str, sheets: list[Sheet]) -> None:
    """One document: the heading, each sheet's table (under its name when there are several),
    the signature block."""
    document = SimpleDocTemplate(
        path,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
        title=sheets[0].heading.title,
        author=sheets[0].heading.issuer.name,
    )
    width = document.width
    story: list[Any] = _heading(sheets[0].heading, width)
    for sheet in sheets:
        if len(sheets) > 1:
            story += [Spacer(0, 6), _paragraph(sheet.name, _style(SIZE_TABLE + 1, BOLD, LEFT))]
            story.append(Spacer(0, 4))
        story.append(_table(sheet, width))
    story.append(_signature(sheets[0].heading.issuer, width))
    document.build(story)
