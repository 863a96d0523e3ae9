"""The completeness report of a subtree and a period, against a count made here from what each
unit did: expected (open during the period in the period's tree), submitted, approved, on time
(first submitted by the period's end plus CAMKET_APPROVAL_DUE_DAYS), late, missing."""

import csv
import io
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from app.core.config import settings
from tests.factories import assert_problem, make_tree, make_unit
from tests.helpers import Clock, ok

APPROVALS = "/api/v1/approvals"
COMPLETENESS = f"{APPROVALS}/completeness"
DUE = date(2025, 12, 31) + timedelta(days=settings.approval_due_days)


def submit(client: TestClient, unit: dict[str, Any]) -> dict[str, Any]:
    created: dict[str, Any] = ok(
        client.post(APPROVALS, json={"unit_id": unit["id"], "period": "2025"}), 201
    )
    return created


def test_completeness_against_an_independent_count(client: TestClient, clock: Clock) -> None:
    clock.day = date(2025, 12, 1)
    world = make_tree(client)
    commune = world["commune"]
    world["cell_c"] = make_unit(client, kind="party_cell", parent_id=commune["id"])
    # Closed before 2025, opened after it: neither is expected to submit 2025.
    gone = make_unit(client, kind="party_cell", parent_id=commune["id"], valid_from="2020-01-01")
    ok(client.post(f"/api/v1/units/{gone['id']}/close", json={"valid_to": "2024-06-01"}))
    clock.day = date(2026, 1, 5)
    make_unit(client, kind="party_cell", parent_id=commune["id"], valid_from="2026-01-05")

    # What each unit did, and when.
    clock.day = date(2026, 1, 10)
    cell_a = submit(client, world["cell_a"])
    ok(client.post(f"{APPROVALS}/{cell_a['id']}/transitions", json={"action": "approve"}))
    cell_b = submit(client, world["cell_b"])
    ok(
        client.post(
            f"{APPROVALS}/{cell_b['id']}/transitions",
            json={"action": "return", "reason": "Thiếu biên bản"},
        )
    )
    clock.day = DUE
    submit(client, world["department"])
    clock.day = DUE + timedelta(days=1)
    submit(client, commune)
    clock.day = DUE + timedelta(days=5)
    # cell B resubmits late: its first submission was on time.
    ok(client.post(f"{APPROVALS}/{cell_b['id']}/transitions", json={"action": "resubmit"}))

    done = {
        # unit: (status, on time)
        "cell_a": ("approved", True),
        "cell_b": ("submitted", True),
        "department": ("submitted", True),
        "commune": ("submitted", False),
    }
    for root, members in {
        "district": ["district", "department", "commune", "cell_a", "cell_b", "cell_c"],
        "commune": ["commune", "cell_a", "cell_b", "cell_c"],
        "cell_c": ["cell_c"],
    }.items():
        report = ok(
            client.get(COMPLETENESS, params={"root_id": world[root]["id"], "period": "2025"})
        )
        mine = [done[name] for name in members if name in done]
        expected = {
            "expected": len(members),
            "submitted": len(mine),
            "approved": sum(status == "approved" for status, _ in mine),
            "on_time": sum(on_time for _, on_time in mine),
            "late": sum(not on_time for _, on_time in mine),
            "missing": len(members) - len(mine),
        }
        assert {key: report[key] for key in expected} == expected, root
        assert report["due_on"] == DUE.isoformat()
        assert sorted(row["unit_id"] for row in report["units"]) == sorted(
            world[name]["id"] for name in members
        )
        statuses = {row["unit_id"]: row["status"] for row in report["units"]}
        assert statuses == {
            world[name]["id"]: done[name][0] if name in done else None for name in members
        }

    exported = client.get(
        COMPLETENESS, params={"root_id": commune["id"], "period": "2025", "format": "csv"}
    )
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    # For machines: one header row, then the rows.
    assert lines[0][:2] == ["Mã đơn vị", "Tên đơn vị"]
    rows = lines[1:]
    assert len(rows) == 4
    assert {row[2] for row in rows} == {"Đã phê duyệt", "Đã gửi", "Chưa gửi"}
    xlsx = client.get(
        COMPLETENESS, params={"root_id": commune["id"], "period": "2025", "format": "xlsx"}
    )
    assert xlsx.status_code == 200
    assert xlsx.content[:2] == b"PK"
    pdf = client.get(
        COMPLETENESS,
        params={"root_id": commune["id"], "period": "2025"},
        headers={"Accept": "application/pdf"},
    )
    assert pdf.status_code == 200, pdf.text
    assert pdf.headers["content-type"] == "application/pdf"
    text = " ".join(PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    assert "tiến độ gửi số liệu" in text
    assert "Phải gửi: 4 · Đã gửi: 3" in text
    assert "Chưa gửi: 1" in text


@pytest.mark.parametrize("period", ["2025Q5", "25", "2025-1"])
def test_a_bad_period_is_a_422(client: TestClient, period: str) -> None:
    world = make_tree(client)
    assert_problem(
        client.get(COMPLETENESS, params={"root_id": world["commune"]["id"], "period": period}), 422
    )


def test_outside_ones_grants_the_root_does_not_exist(client: TestClient, login: Any) -> None:
    world = make_tree(client)
    outsider = login("viewer", world["department"]["id"])
    params = {"root_id": world["commune"]["id"], "period": "2025"}
    assert_problem(outsider.get(COMPLETENESS, params=params), 404)
    assert (
        ok(login("viewer", world["commune"]["id"]).get(COMPLETENESS, params=params))["expected"]
        == 3
    )
