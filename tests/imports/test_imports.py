"""Bulk import through the API: dry runs that write nothing and list every error by row and
column, all-or-nothing imports through the single-record rules, idempotent replays, the export →
edit → import round trip, refusals of large, formula-bearing and fake files, and jobs."""

import csv
import io
import time
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from fastapi.testclient import TestClient

from app.core.config import settings
from tests.factories import assert_problem, make_candidate, make_target, make_tree
from tests.helpers import AUDIT, Clock, ok, total

IMPORTS = "/api/v1/imports"
CANDIDATES = "/api/v1/recruitment/candidates"
TARGETS = "/api/v1/recruitment/targets"
TODAY = date(2026, 6, 30)

HEADER = ["Mã đơn vị", "Họ và tên", "Ngày sinh", "Theo dõi là nguồn từ ngày",
          "Ngày: Hoàn thành lớp bồi dưỡng nhận thức về Đảng", "Ghi chú"]  # fmt: skip


@pytest.fixture(autouse=True)
def _today(clock: Clock) -> None:
    clock.day = TODAY


def csv_file(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buffer.getvalue()).encode()


def xlsx_file(rows: list[list[Any]], header: list[str] = HEADER) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def post_file(
    client: TestClient, content: bytes, kind: str, name: str = "rows.csv", **params: Any
) -> Any:
    return client.post(IMPORTS, params=params, data={"kind": kind}, files={"file": (name, content)})


def counts(client: TestClient) -> tuple[int, int, int]:
    return total(client, CANDIDATES), total(client, TARGETS), total(client, AUDIT)


def test_dry_run_writes_nothing_and_reports_every_error_by_row_and_column(
    client: TestClient,
) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]["code"]
    before = counts(client)
    content = csv_file(
        [
            [cell, "Nguyễn Văn An", "2000-04-12", "2026-01-15", "2026-03-20", ""],
            [cell, "Trần Thị Bình", "31/02/2001", "2026-01-15", "", ""],  # no such day
            ["KHONG-CO", "Lê Văn Cường", "", "2026-01-15", "", ""],  # no such unit
            [cell, "", "", "2026-01-15", "", ""],  # no name
            [cell, "Phạm Thị Dung", "", "2027-01-15", "", ""],  # a future date
            [cell, "Hoàng Văn Em", "", "2026-02-01", "2026-01-01", ""],  # course before source
        ]
    )
    summary = ok(post_file(client, content, kind="candidates", dry_run="true"))["summary"]
    assert (summary["rows"], summary["created"], summary["error_count"]) == (6, 1, 5)
    where = [(e["row"], e["column"]) for e in summary["errors"]]
    assert where == [
        (3, "Ngày sinh"),
        (4, "Mã đơn vị"),
        (5, "Họ và tên"),
        (6, "Theo dõi là nguồn từ ngày"),
        (7, None),
    ]
    assert summary["errors"][0]["label"] == "Giá trị không hợp lệ"
    assert summary["errors"][4]["label"] == "Trái quy định"
    assert counts(client) == before


def test_one_bad_row_writes_nothing(client: TestClient) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]["code"]
    before = counts(client)
    rows = [[cell, f"Người thứ {i}", "", "2026-01-15", "", ""] for i in range(5)]
    rows.append([cell, "Người sai", "", "2026-13-01", "", ""])
    problem = assert_problem(post_file(client, csv_file(rows), kind="candidates"), 422)
    assert problem["type"] == "/problems/import-refused"
    assert problem["errors"][0]["loc"] == ["row", 7, "Theo dõi là nguồn từ ngày"]
    assert problem["summary"]["created"] == 5
    assert counts(client) == before


def test_import_creates_what_it_says_with_steps_and_one_audit_operation(
    client: TestClient,
) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]["code"]
    rows = [
        [cell, "Nguyễn Văn An", "12/04/2000", "2026-01-15", "2026-03-20", "ghi chú"],
        [tree["cell_b"]["code"].lower(), "Trần Thị Bình", "", "2026-02-01", "", ""],
    ]
    response = post_file(client, xlsx_file(rows), name="x.bin", kind="candidates")
    created = ok(response, 201)
    assert created["summary"]["created"] == 2
    assert created["status"] == "succeeded"
    assert response.headers["location"] == f"{IMPORTS}/{created['id']}"
    listed = ok(client.get(CANDIDATES, params={"unit_id": tree["cell_a"]["id"]}))["items"]
    assert [(c["full_name"], c["stage"], c["course_completed_on"]) for c in listed] == [
        ("Nguyễn Văn An", "awareness_course", "2026-03-20")
    ]
    assert listed[0]["birth_date"] == "2000-04-12"
    events = ok(client.get(AUDIT, params={"entity_type": "import_job"}))["items"]
    assert [(e["action"], e["entity_id"]) for e in events] == [("import", created["id"])]
    assert ok(client.get(f"{IMPORTS}/{created['id']}"))["summary"]["created"] == 2


def test_json_rows_and_idempotent_replay(client: TestClient) -> None:
    tree = make_tree(client)
    row = {"unit_id": tree["cell_a"]["id"], "full_name": "An", "source_since": "2026-01-02"}
    body = {"kind": "candidates", "rows": [row]}
    headers = {"Idempotency-Key": "import-1"}
    first = client.post(IMPORTS, json=body, headers=headers)
    again = client.post(IMPORTS, json=body, headers=headers)
    assert ok(first, 201) == ok(again, 201)
    assert again.headers["idempotent-replayed"] == "true"
    assert total(client, CANDIDATES) == 1


def test_updates_and_unchanged_rows(client: TestClient) -> None:
    tree = make_tree(client)
    candidate = make_candidate(client, tree["cell_a"], "2026-01-15")
    header = ["ID", "Mã đơn vị", "Ghi chú", "Ngày: Hoàn thành lớp bồi dưỡng nhận thức về Đảng"]
    code = tree["cell_a"]["code"]
    content = csv_file([[candidate["id"], code, "", "2026-02-02"]], header)
    assert ok(post_file(client, content, kind="candidates"), 201)["summary"]["updated"] == 1
    assert ok(post_file(client, content, kind="candidates"), 201)["summary"]["unchanged"] == 1


def test_round_trip_export_edit_import(client: TestClient) -> None:
    tree = make_tree(client)
    district = tree["district"]
    make_target(client, tree["commune"], year=2026, target=8)
    make_target(client, tree["department"], year=2026, target=2)
    exported = client.get(
        "/api/v1/reports/recruitment",
        params={"root_id": district["id"], "from_year": 2026, "to_year": 2026, "format": "xlsx"},
    )
    assert exported.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(exported.content))
    sheet = workbook.worksheets[0]
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "Mã đơn vị")
    target_column = next(c.column for c in header_row if c.value == "Chỉ tiêu kết nạp")
    for row in sheet.iter_rows(min_row=header_row[0].row + 1):
        if row[0].value == tree["commune"]["code"]:
            sheet.cell(row=row[0].row, column=target_column, value=10)
    buffer = io.BytesIO()
    workbook.save(buffer)
    before = {t["unit_id"]: t for t in ok(client.get(TARGETS))["items"]}
    result = ok(post_file(client, buffer.getvalue(), kind="targets", year=2026), 201)
    assert (result["summary"]["updated"], result["summary"]["created"]) == (1, 0)
    after = {t["unit_id"]: t for t in ok(client.get(TARGETS))["items"]}
    assert after[tree["commune"]["id"]]["target"] == 10
    assert after[tree["department"]["id"]] == before[tree["department"]["id"]]
    assert set(after) == set(before)


def test_what_is_not_a_file_or_rows_is_refused(client: TestClient) -> None:
    assert_problem(client.post(IMPORTS, content=b"a,b", headers={"Content-Type": "text/csv"}), 415)
    missing = assert_problem(client.post(IMPORTS, json={"rows": [{}]}), 422)
    assert [e["loc"] for e in missing["errors"]] == [["body", "kind"]]
    sent = {"data": {"kind": "candidates"}, "files": {"other": ("a.csv", b"x")}}
    form = assert_problem(client.post(IMPORTS, **sent), 422)
    assert form["errors"][0]["loc"] == ["body", "other"]


def test_template_headers(client: TestClient) -> None:
    response = client.get(f"{IMPORTS}/templates/targets")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in next(sheet.iter_rows())] == [
        "Mã đơn vị", "ID đơn vị", "Tên đơn vị", "Năm", "Chỉ tiêu kết nạp", "Ghi chú"
    ]  # fmt: skip


def test_too_large_is_413(client: TestClient) -> None:
    content = b"a" * (settings.import_max_bytes + 1)
    assert_problem(post_file(client, content, kind="candidates"), 413)


def test_formulas_macros_and_fakes_are_refused(client: TestClient) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]["code"]
    formula = xlsx_file([[cell, "=1+1", "", "2026-01-15", "", ""]])
    summary = ok(post_file(client, formula, kind="candidates", dry_run="true"))["summary"]
    assert [(e["row"], e["column"]) for e in summary["errors"]] == [(2, "Họ và tên")]
    assert_problem(post_file(client, formula, kind="candidates"), 422)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive, zipfile.ZipFile(io.BytesIO(xlsx_file([]))) as x:
        for name in x.namelist():
            archive.writestr(name, x.read(name))
        archive.writestr("xl/vbaProject.bin", b"macro")
    assert_problem(post_file(client, buffer.getvalue(), name="a.xlsx", kind="candidates"), 422)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
    assert_problem(post_file(client, png, name="a.csv", kind="candidates"), 422)
    assert_problem(
        post_file(client, b"\xff\xfe" + "x,y".encode("utf-16-le"), kind="candidates"), 422
    )
    assert total(client, CANDIDATES) == 0


def test_large_file_runs_as_a_job(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "import_background_bytes", 100)
    tree = make_tree(client)
    cell = tree["cell_a"]["code"]
    rows = [[cell, f"Người {i}", "", "2026-01-15", "", ""] for i in range(30)]
    response = post_file(client, csv_file(rows), kind="candidates")
    job = ok(response, 202)
    assert job["status"] in ("queued", "running", "succeeded")
    location = response.headers["location"]
    for _ in range(200):
        job = ok(client.get(location))
        if job["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.05)
    assert job["status"] == "succeeded"
    assert (job["rows_total"], job["rows_done"], job["summary"]["created"]) == (30, 30, 30)
    assert total(client, CANDIDATES) == 30


def wait(client: TestClient, location: str) -> dict[str, Any]:
    for _ in range(400):
        job: dict[str, Any] = ok(client.get(location))
        if job["status"] in ("succeeded", "failed"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"the job did not end: {job}")


def test_rows_go_through_the_scope_of_the_caller(client: TestClient, login: Any) -> None:
    tree = make_tree(client)
    reporter = login("reporter", tree["cell_a"]["id"])
    rows = [
        [tree["cell_a"]["code"], "Trong phạm vi", "", "2026-01-15", "", ""],
        [tree["cell_b"]["code"], "Ngoài phạm vi", "", "2026-01-15", "", ""],
    ]
    summary = ok(post_file(reporter, csv_file(rows), kind="candidates", dry_run="true"))["summary"]
    assert summary["created"] == 1
    assert [(e["row"], e["label"]) for e in summary["errors"]] == [(3, "Không có quyền")]


def test_a_job_is_seen_by_its_submitter_and_the_readers_of_its_units(
    client: TestClient, login: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "import_background_bytes", 10)
    tree = make_tree(client)
    reporter = login("reporter", tree["cell_a"]["id"])
    rows = [[tree["cell_a"]["code"], "An", "", "2026-01-15", "", ""]]
    response = post_file(reporter, csv_file(rows), kind="candidates", dry_run="true")
    location = ok(response, 202) and response.headers["location"]
    job = wait(reporter, location)
    assert (job["status"], job["dry_run"], job["summary"]["created"]) == ("succeeded", True, 1)
    assert total(client, CANDIDATES) == 0  # a dry run as a job writes nothing either
    assert ok(login("viewer", tree["commune"]["id"]).get(location))["id"] == job["id"]
    assert_problem(login("viewer", tree["cell_b"]["id"]).get(location), 404)


def test_outcomes_and_commitments(client: TestClient) -> None:
    tree = make_tree(client)
    directive = ok(
        client.post(
            "/api/v1/directives",
            json={"code": "05-CT/TW", "title": "Chỉ thị 05", "issuer": "Bộ Chính trị",
                  "issued_on": "2016-05-15"},
        ),
        201,
    )  # fmt: skip
    outcome = {"unit_code": tree["commune"]["code"], "period_start": "2025-01-01",
               "period_end": "2025-12-31", "admitted": 4}  # fmt: skip
    first = ok(client.post(IMPORTS, json={"kind": "outcomes", "rows": [outcome]}), 201)
    again = ok(
        client.post(IMPORTS, json={"kind": "outcomes", "rows": [outcome | {"admitted": 5}]}), 201
    )
    assert (first["summary"]["created"], again["summary"]["updated"]) == (1, 1)
    outcomes = ok(client.get("/api/v1/recruitment/outcomes"))["items"]
    assert [o["admitted"] for o in outcomes] == [5]
    header = ["Mã đơn vị", "Đăng ký với (mã đơn vị)", "Số hiệu chỉ thị", "Năm", "Loại",
              "Lĩnh vực", "Nội dung cam kết", "Thời hạn"]  # fmt: skip
    row = [tree["commune"]["code"], tree["district"]["code"], directive["code"], 2026,
           "Việc khó", "Tạo nguồn phát triển đảng viên", "Tạo nguồn", "31/12/2026"]  # fmt: skip
    result = post_file(client, xlsx_file([row], header), kind="commitments", dry_run="true")
    summary = ok(result)["summary"]
    assert (summary["created"], summary["errors"]) == (1, []), summary


def test_a_row_of_an_approved_period_is_refused(client: TestClient) -> None:
    tree = make_tree(client)
    approval = ok(
        client.post("/api/v1/approvals", json={"unit_id": tree["cell_a"]["id"], "period": "2025"}),
        201,
    )
    transition = f"/api/v1/approvals/{approval['id']}/transitions"
    ok(client.post(transition, json={"action": "approve"}))
    outcome = {"unit_code": tree["cell_a"]["code"], "period_start": "2025-04-01",
               "period_end": "2025-06-30", "admitted": 1}  # fmt: skip
    refused = assert_problem(
        client.post(IMPORTS, json={"kind": "outcomes", "rows": [outcome]}), 422
    )
    [error] = refused["summary"]["errors"]
    assert (error["row"], error["type"], error["label"]) == (
        1, "/problems/period-locked", "Trái quy định"
    )  # fmt: skip
    assert str(approval["id"]) in error["message"]
    assert ok(client.get("/api/v1/recruitment/outcomes", params={"count": "exact"}))["total"] == 0
