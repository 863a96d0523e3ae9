"""The heading and signature block of a printed report, laid out as a party document.

Followed: Hướng dẫn 36-HD/VPTW of 3 April 2018 (Văn phòng Trung ương Đảng, "thể thức và kỹ thuật
trình bày văn bản của Đảng"): its point II.1.1 and the table of Phụ lục 3 (type, size and style
of each part), read in republished excerpts (thuvienphapluat.vn), and its own heading as a sample:

- Tiêu đề (II.1.1): "ĐẢNG CỘNG SẢN VIỆT NAM" on the first page, top right, first line, with a
  solid horizontal line under it as long as the words, separating it from the place and date
  (Phụ lục 3: capitals, 15 pt, upright, bold).
- Tên cơ quan ban hành: top left; the direct superior's name (Phụ lục 3: capitals, 14 pt,
  upright) above the issuing body's (capitals, 14 pt, upright, bold), with a star (*) under it as
  in the Hướng dẫn's own heading ("BAN CHẤP HÀNH TRUNG ƯƠNG / VĂN PHÒNG / *").
- Địa danh và ngày, tháng, năm (Phụ lục 3: lower case, 14 pt, italic), under the tiêu đề's line:
  "Hương Sơn, ngày 30 tháng 6 năm 2025".
- Tên loại văn bản (Phụ lục 3: capitals, 15-16 pt, upright, bold: "BÁO CÁO") and trích yếu nội
  dung (lower case, 14-15 pt, upright, bold), centred under the heading.
- The signature block: "T/M" and the collective that signs ("T/M BAN THƯỜNG VỤ"), the signer's
  post, room to sign, the signer's name. Neither its point of the Hướng dẫn nor its row of Phụ
  lục 3 could be read: the layout is the one party documents commonly show, the size and style
  are the heading's (14 pt, bold), not taken from the Hướng dẫn.

Paper: A4, as the Hướng dẫn sets (its part on fonts, paper and margins, read in a summary of the
Văn phòng Đảng ủy of Vinh University); landscape is ours, for wide tables.

Not verified, so not claimed: the page margins and page numbering of the Hướng dẫn (we use our own
margins and no page numbers), the number and symbol (số, ký hiệu: a report from this service has
none until the committee registers it, so the line is left out), the seal and the recipients (nơi
nhận). Phụ lục 3 illustrates in Times New Roman; the XLSX names that font (Excel on the
committees' Windows machines has it), the PDF embeds Liberation Serif, metric-compatible with it
and free to ship (app/reports/fonts/LICENSE.txt).

From the data: the issuing body is the report's root unit and its superior that unit's parent,
by their names as recorded (the data names either the committee, "Huyện ủy Bình Xuyên", or the
party organisation, "Đảng bộ xã Hương Sơn": nothing turns one into the other); the place is the
root's name without its organisation words, as no address is recorded; the date is the report's
day of issue; the signer is whoever holds the secretary's post of the root on that day (blank
lines to fill by hand otherwise).
"""

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, or_, select

from app.models import Person, Position, Post, Unit, UnitKind

PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"

# Phụ lục 3 of 36-HD/VPTW, in points (see the module's docstring).
SIZE_PARTY = 15
SIZE_NAMES = 14
SIZE_PLACE_DATE = 14
SIZE_DOCUMENT_TYPE = 15  # 15-16
SIZE_SUBJECT = 14  # 14-15
SIZE_SIGNATURE = 14  # not read in Phụ lục 3: the heading's size
# The table's cells are ours, not the Hướng dẫn's (its 14-15 pt body text would not fit a wide
# table on a page): at most this, smaller where a table has many columns.
SIZE_TABLE = 11

FONTS = Path(__file__).parent / "fonts"
"""Liberation Serif, shipped with the code (SIL OFL 1.1): the PDF never depends on what fonts
the machine has, and nothing is downloaded."""

# "Đảng bộ xã Hương Sơn" → "Hương Sơn"; "Huyện ủy Bình Xuyên" → "Bình Xuyên".
_ORGANISATION_WORDS = re.compile(
    r"^(?:đảng bộ|đảng ủy|đảng uỷ|chi bộ|tỉnh ủy|tỉnh uỷ|huyện ủy|huyện uỷ|thành ủy|thành uỷ|"
    r"quận ủy|quận uỷ|thị ủy|thị uỷ)\s+(?:(?:xã|phường|thị trấn|thị xã|huyện|quận|thành phố|"
    r"tỉnh|đặc khu)\s+)?",
    re.IGNORECASE,
)
_BLANK = "……"


class Layout(StrEnum):
    print = "print"
    data = "data"


@dataclass(frozen=True)
class Issuer:
    """Who issues a report and signs it, from the data (see the module's docstring)."""

    name: str
    superior: str | None
    place: str
    signs_for: str
    signer_post: str
    signer_name: str


@dataclass(frozen=True)
class Heading:
    issuer: Issuer
    issued_on: date
    document_type: str
    subject: str
    period: str

    @property
    def place_and_date(self) -> str:
        # As in the Hướng dẫn's examples ("ngày 03 tháng 4", "ngày 20 tháng 02"): days below 10
        # and the months 1 and 2 take a leading zero.
        d = self.issued_on
        month = f"{d.month:02d}" if d.month < 3 else str(d.month)
        return f"{self.issuer.place}, ngày {d.day:02d} tháng {month} năm {d.year}"

    @property
    def title(self) -> str:
        return f"{self.document_type} {self.subject}"

    def lines(self) -> list[str]:
        """The heading as two lines of text, for a CSV printed as it is."""
        return [
            f"{self.title} — {self.issuer.name}",
            f"{self.period} · Ngày lập: {self.issued_on.strftime('%d/%m/%Y')}",
        ]


def place_of(name: str) -> str:
    place = _ORGANISATION_WORDS.sub("", name.strip(), count=1)
    return place if place != name.strip() and place else _BLANK


def _secretary(session: Session, unit: Unit, on: date) -> tuple[Post, str] | None:
    found = session.exec(
        select(Position.post, Person.full_name)
        .join(Person, col(Person.id) == Position.person_id)
        .where(
            Position.unit_id == unit.id,
            col(Position.post).in_([Post.secretary, Post.cell_secretary]),
            or_(col(Position.start_on).is_(None), col(Position.start_on) <= on),
            or_(col(Position.end_on).is_(None), col(Position.end_on) > on),
        )
        .order_by(col(Position.start_on).desc(), col(Position.id).desc())
    ).first()
    return None if found is None else (Post(found[0]), found[1])


def issuer_of(session: Session, unit: Unit, on: date) -> Issuer:
    superior = session.get(Unit, unit.parent_id) if unit.parent_id is not None else None
    secretary = _secretary(session, unit, on)
    # Who signs for a party cell is the cell; for a committee, its standing committee.
    signs_for = "T/M CHI BỘ" if unit.kind == UnitKind.party_cell else "T/M BAN THƯỜNG VỤ"
    return Issuer(
        name=unit.name.upper(),
        superior=superior.name.upper() if superior is not None else None,
        place=place_of(unit.name),
        signs_for=signs_for,
        signer_post=secretary[0].label.upper() if secretary else "",
        signer_name=secretary[1] if secretary else "",
    )


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    width: int = 11
    number: bool = True
    indent: Callable[[Any], int] | None = None
    """Levels to indent the cell by when printed (a unit's depth below the report's root)."""


def text(
    header: str,
    value: Callable[[Any], Any],
    width: int = 30,
    indent: Callable[[Any], int] | None = None,
) -> Column:
    return Column(header, value, width, number=False, indent=indent)


@dataclass
class Sheet:
    name: str
    columns: list[Column]
    rows: Iterable[Any]
    heading: Heading
    totals: Any = None
    """A last row that sums the others: bold when printed."""

    def all_rows(self) -> Iterator[tuple[Any, bool]]:
        """Each row with whether it is the totals row."""
        for row in self.rows:
            yield row, False
        if self.totals is not None:
            yield self.totals, True


def cells(sheet: Sheet, row: Any) -> list[Any]:
    return [column.value(row) for column in sheet.columns]
