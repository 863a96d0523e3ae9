"""Printed reports: the XLSX's print settings, its pages as LibreOffice prints them, the PDF's
pages, the heading and signature block of a party document, and the data layout for machines.

LibreOffice (`soffice`, Debian's libreoffice-calc-nogui) turns the XLSX into the PDF a committee
would print; scripts/check.sh installs it, so on CI (CI=true) a missing soffice fails the test
instead of skipping it."""

import csv
import io
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.reports.document import Heading, Issuer, place_of
from tests.factories import make_commitment, make_directive, make_person, make_target, make_tree
from tests.helpers import Clock

RECRUITMENT = "/api/v1/reports/recruitment"
COMMITMENTS = "/api/v1/reports/commitments"
A4_LANDSCAPE = (842, 595)  # points, rounded
HEADER_ROW = 9  # see tests/reports/test_reports.py


@pytest.fixture
def world(client: TestClient, clock: Clock) -> dict[str, Any]:
    clock.day = date(2025, 6, 30)
    tree: dict[str, Any] = make_tree(client)
    tree["directive"] = make_directive(client)
    for name in ("commune", "cell_a", "cell_b"):
        make_target(client, tree[name], year=2025, target=2)
    for _ in range(3):
        make_commitment(client, tree, year=2025)
    secretary = make_person(client, full_name="Trịnh Thị Kim Thoa")
    position = {"person_id": secretary["id"], "unit_id": tree["commune"]["id"]}
    response = client.post(
        "/api/v1/positions", json=position | {"post": "secretary", "start_on": "2020-10-01"}
    )
    assert response.status_code == 201, response.text
    return tree


def get(client: TestClient, url: str, **params: Any) -> Any:
    response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response


def pdf_pages(content: bytes) -> list[tuple[int, int, str]]:
    """Each page's width, height (points) and text, its lines and spaces run together."""
    return [
        (
            round(float(page.mediabox.width)),
            round(float(page.mediabox.height)),
            " ".join(page.extract_text().split()),
        )
        for page in PdfReader(io.BytesIO(content)).pages
    ]


def printed_by_libreoffice(content: bytes, tmp_path: Path) -> list[tuple[int, int, str]]:
    soffice = shutil.which("soffice")
    if soffice is None:
        if os.environ.get("CI"):
            pytest.fail("soffice is missing: scripts/check.sh installs libreoffice-calc-nogui")
        pytest.skip("LibreOffice is not installed (apt-get install libreoffice-calc-nogui)")
    source = tmp_path / "report.xlsx"
    source.write_bytes(content)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return pdf_pages((tmp_path / "report.pdf").read_bytes())


def test_a_three_row_recruitment_report_prints_on_one_landscape_page(
    client: TestClient, world: dict[str, Any], tmp_path: Path
) -> None:
    params = {"root_id": world["commune"]["id"], "year": 2025}
    assert len(get(client, RECRUITMENT, **params).json()["rows"]) == 2  # and the totals row

    pdf = get(client, RECRUITMENT, **params, format="pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].endswith('.pdf"')
    ((width, height, text),) = pdf_pages(pdf.content)
    assert (width, height) == A4_LANDSCAPE
    for words in (
        "ĐẢNG CỘNG SẢN VIỆT NAM",
        "HUYỆN ỦY BÌNH XUYÊN",
        "ĐẢNG BỘ XÃ HƯƠNG SƠN",
        "Hương Sơn, ngày 30 tháng 6 năm 2025",
        "BÁO CÁO",
        "kết quả phát triển đảng viên",
        "Chi bộ thôn A",
        "Tổng cộng: Đảng bộ xã Hương Sơn",
        "T/M BAN THƯỜNG VỤ",
        "BÍ THƯ",
        "Trịnh Thị Kim Thoa",
    ):
        assert words in text, words

    xlsx = get(client, RECRUITMENT, **params, format="xlsx")
    ((width, height, text),) = printed_by_libreoffice(xlsx.content, tmp_path)
    assert (width, height) == A4_LANDSCAPE
    assert "ĐẢNG CỘNG SẢN VIỆT NAM" in text
    assert "Trịnh Thị Kim Thoa" in text


def test_the_printed_xlsx_carries_its_print_settings(
    client: TestClient, world: dict[str, Any]
) -> None:
    params = {"root_id": world["district"]["id"], "year": 2025, "depth": 2, "format": "xlsx"}
    book = openpyxl.load_workbook(io.BytesIO(get(client, RECRUITMENT, **params).content))
    sheet = book.active
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.paperSize == 9  # A4
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    # One page wide (absent: 1 is the format's default), as many tall as it takes.
    assert sheet.page_setup.fitToWidth in (None, 1)
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW}"
    rows = list(sheet.iter_rows(min_row=HEADER_ROW + 1, values_only=True))
    table = rows[: next(i for i, row in enumerate(rows) if not any(row))]
    assert sheet.auto_filter.ref == f"A{HEADER_ROW}:Q{HEADER_ROW + len(table)}"
    # Units indented by their depth below the root's children; the totals row last, bold.
    names = {row[1]: HEADER_ROW + 1 + i for i, row in enumerate(table)}
    indents = {name: sheet.cell(r, 2).alignment.indent for name, r in names.items()}
    assert indents == {
        "Ban Tuyên giáo Huyện ủy": 0,
        "Đảng bộ xã Hương Sơn": 0,
        "Chi bộ thôn A": 1,
        "Chi bộ thôn B": 1,
        "Tổng cộng: Huyện ủy Bình Xuyên": 0,
    }
    last = HEADER_ROW + len(table)
    assert sheet.cell(last, 2).value == "Tổng cộng: Huyện ủy Bình Xuyên"
    assert all(sheet.cell(last, c).font.b for c in range(1, 18))
    assert not sheet.cell(last - 1, 2).font.b
    # The heading: the superior above the issuer, the party's name top right; the signer lower.
    assert [sheet.cell(r, 1).value for r in (1, 2, 3)] == [
        "TỈNH ỦY VĨNH PHÚC",
        "HUYỆN ỦY BÌNH XUYÊN",
        "*",
    ]
    assert sheet.cell(2, 1).font.b
    assert not sheet.cell(1, 1).font.b
    ((party, place),) = [
        (sheet.cell(1, c), sheet.cell(3, c))
        for c in range(2, 18)
        if sheet.cell(1, c).value == "ĐẢNG CỘNG SẢN VIỆT NAM"
    ]
    assert (party.font.b, party.font.sz, party.font.u) == (True, 15, "single")
    assert place.value == "Bình Xuyên, ngày 30 tháng 6 năm 2025"
    assert place.font.i


def test_a_wide_commitments_report_fits_one_page_wide(
    client: TestClient, world: dict[str, Any], tmp_path: Path
) -> None:
    params = {"root_id": world["district"]["id"], "year": 2025}
    summary_first, summary_last = "Mã đơn vị", "Chưa được chấp thuận"
    list_last = "Đồng chí trực tiếp chỉ đạo"

    pages = pdf_pages(get(client, COMMITMENTS, **params, format="pdf").content)
    assert {(w, h) for w, h, _ in pages} == {A4_LANDSCAPE}
    text = "".join(t for _, _, t in pages)
    for words in (summary_first, summary_last, list_last, "Trạng thái × lĩnh vực"):
        assert words in text, words

    xlsx = get(client, COMMITMENTS, **params, format="xlsx")
    pages = printed_by_libreoffice(xlsx.content, tmp_path)
    # Three sheets, a page each: none was cut into columns over several pages.
    assert len(pages) == 3
    assert {(w, h) for w, h, _ in pages} == {A4_LANDSCAPE}
    summary, _, listing = (t for _, _, t in pages)
    assert summary_first in summary
    assert summary_last in summary
    assert list_last in listing


def test_the_data_layout_is_one_header_row_and_the_rows(
    client: TestClient, world: dict[str, Any]
) -> None:
    params = {"root_id": world["commune"]["id"], "year": 2025}
    csv_text = get(client, RECRUITMENT, **params, format="csv").content.decode("utf-8-sig")
    records = list(csv.DictReader(io.StringIO(csv_text)))
    assert [r["Tên đơn vị"] for r in records] == [
        "Chi bộ thôn A",
        "Chi bộ thôn B",
        "Tổng cộng: Đảng bộ xã Hương Sơn",
    ]
    assert records[0]["Chỉ tiêu kết nạp"] == "2"

    xlsx = get(client, RECRUITMENT, **params, format="xlsx", layout="data")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("Mã đơn vị", "Tên đơn vị")
    assert [row[1] for row in rows[1:]] == [r["Tên đơn vị"] for r in records]
    assert sheet.freeze_panes == "A2"


def test_a_committee_without_a_known_secretary_gets_lines_to_sign_on(
    client: TestClient, world: dict[str, Any]
) -> None:
    url = f"/api/v1/units/{world['cell_a']['id']}/scorecard"
    pages = pdf_pages(get(client, url, year=2025, format="pdf").content)
    text = " ".join(t for _, _, t in pages)
    assert "T/M CHI BỘ" in text
    assert "PHIẾU" in text
    assert "Trịnh Thị Kim Thoa" not in text


def test_place_and_date_follow_the_party_s_format() -> None:
    assert place_of("Đảng bộ xã Hương Sơn") == "Hương Sơn"
    assert place_of("Huyện ủy Bình Xuyên") == "Bình Xuyên"
    assert place_of("Đảng bộ thị trấn Gia Khánh") == "Gia Khánh"
    assert place_of("Ban Tuyên giáo Huyện ủy Bình Xuyên") == "……"
    issuer = Issuer("ĐẢNG BỘ XÃ HƯƠNG SƠN", None, "Hương Sơn", "T/M BAN THƯỜNG VỤ", "", "")
    on = Heading(issuer, date(2025, 2, 3), "Báo cáo", "x", "y").place_and_date
    assert on == "Hương Sơn, ngày 03 tháng 02 năm 2025"
    on = Heading(issuer, date(2025, 11, 20), "Báo cáo", "x", "y").place_and_date
    assert on == "Hương Sơn, ngày 20 tháng 11 năm 2025"
