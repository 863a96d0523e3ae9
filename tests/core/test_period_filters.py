"""`period` on reports and lists, as a client sends it: the days it names, and a 422 that
names the parameter for a period that names none (nothing is written either way)."""

import io
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from app.core.db import engine
from app.models import AuditEvent
from tests.factories import (
    assert_problem,
    make_admitted,
    make_commitment,
    make_directive,
    make_discipline,
    make_outcome,
    make_tree,
    make_unit,
)
from tests.helpers import AUDIT, ids, ok

COMMITMENTS = "/api/v1/commitments"
OUTCOMES = "/api/v1/recruitment/outcomes"
DISCIPLINES = "/api/v1/disciplines"
RECRUITMENT = "/api/v1/reports/recruitment"
COMMITMENTS_REPORT = "/api/v1/reports/commitments"


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    tree = make_tree(client)
    return tree | {"directive": make_directive(client)}


def test_the_commitments_list_takes_a_period(client: TestClient, world: dict[str, Any]) -> None:
    """A year's commitments; for part of it, those of the year due in it."""
    due = {
        day: make_commitment(client, world, year=2022, deadline=day)["id"]
        for day in ("2022-03-31", "2022-04-01", "2022-06-30", "2022-07-01")
    }
    undated = make_commitment(client, world, year=2022, deadline=None)["id"]
    next_year = make_commitment(client, world, year=2023, deadline="2023-05-01")["id"]

    def listed(**params: Any) -> set[int]:
        return set(ids(client.get(COMMITMENTS, params={"limit": 100} | params)))

    assert listed(period="2022Q2") == {due["2022-04-01"], due["2022-06-30"]}
    assert listed(period="2022-03") == {due["2022-03-31"]}
    assert listed(period="2022S2") == {due["2022-07-01"]}
    assert listed(period="2022") == {*due.values(), undated} == listed(year=2022)
    assert listed(period="2022..2023") == {*due.values(), undated, next_year}
    assert listed(period="2022Q3..2023Q2") == {due["2022-07-01"], next_year}


def test_the_outcomes_list_takes_the_outcomes_touching_a_period(
    client: TestClient, world: dict[str, Any]
) -> None:
    q2 = make_outcome(client, world["cell_a"], "2022-04-01", "2022-06-30")["id"]
    straddling = make_outcome(client, world["cell_b"], "2022-06-01", "2023-05-31")["id"]

    def listed(**params: Any) -> set[int]:
        return set(ids(client.get(OUTCOMES, params=params)))

    assert listed(period="2022Q2") == {q2, straddling}
    assert listed(period="2022Q3") == {straddling}
    assert listed(period="2022-03") == set()
    assert listed(period="2022") == listed(year=2022) == {q2, straddling}


def test_the_disciplines_list_takes_a_period(client: TestClient, world: dict[str, Any]) -> None:
    made = {
        day: make_discipline(client, world["commune"], world["district"], decided_on=day)["id"]
        for day in ("2024-12-31", "2025-01-01", "2025-03-31", "2025-04-01")
    }

    def listed(**params: Any) -> set[int]:
        return set(ids(client.get(DISCIPLINES, params=params)))

    assert listed(period="2025Q1") == {made["2025-01-01"], made["2025-03-31"]}
    assert listed(period="2025Q1") == listed(decided_from="2025-01-01", decided_to="2025-03-31")
    assert listed(period="2024-12..2025-01") == {made["2024-12-31"], made["2025-01-01"]}
    body = assert_problem(
        client.get(DISCIPLINES, params={"period": "2025Q1", "decided_to": "2025-02-01"}), 422
    )
    assert body["errors"][0]["loc"] == ["query", "period"]


def test_the_audit_trail_takes_a_period_of_days_in_vietnam(
    client: TestClient, world: dict[str, Any]
) -> None:
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh"))
    this_month = f"{now:%Y-%m}"
    last_year = str(now.year - 1)
    assert (
        ok(client.get(AUDIT, params={"period": this_month, "count": "exact"}))["total"] >= 4
    )  # the tree
    assert ok(client.get(AUDIT, params={"period": last_year, "count": "exact"}))["total"] == 0
    since = assert_problem(
        client.get(AUDIT, params={"period": this_month, "since": now.isoformat()}), 422
    )
    assert since["errors"][0]["loc"] == ["query", "period"]


@pytest.mark.parametrize(
    ("period", "says"),
    [
        ("2022Q5", "quarters 1 to 4"),
        ("2022-13", "months 1 to 12"),
        ("2022S3", "half-years 1 to 2"),
        ("2022Q3..2022Q1", "ends before it starts"),
        ("2022Q1;2022Q2", "is not a period"),
        ("Q1 2022", "is not a period"),
        ("2022W05", "is not a period"),
    ],
)
def test_a_period_that_names_no_days_is_a_422_naming_the_parameter(
    client: TestClient, world: dict[str, Any], period: str, says: str
) -> None:
    root = world["district"]["id"]
    for url, params in [
        (RECRUITMENT, {"root_id": root}),
        (COMMITMENTS_REPORT, {"root_id": root}),
        (f"/api/v1/units/{root}/scorecard", {}),
        (f"/api/v1/units/{root}/recruitment", {}),
        (COMMITMENTS, {}),
        (OUTCOMES, {}),
        (DISCIPLINES, {}),
        (AUDIT, {}),
    ]:
        body = assert_problem(client.get(url, params=params | {"period": period}), 422)
        (error,) = body["errors"]
        assert error["loc"] == ["query", "period"], url
        assert says in error["msg"], url
        assert period in body["detail"], url


def test_a_period_with_the_year_parameters_is_a_422(
    client: TestClient, world: dict[str, Any]
) -> None:
    root = world["district"]["id"]
    for url, params in [
        (RECRUITMENT, {"root_id": root, "from_year": 2022}),
        (RECRUITMENT, {"root_id": root, "to_year": 2022}),
        (COMMITMENTS_REPORT, {"root_id": root, "year": 2022}),
        (f"/api/v1/units/{root}/scorecard", {"year": 2022}),
        (COMMITMENTS, {"year": 2022}),
        (OUTCOMES, {"year": 2022}),
    ]:
        body = assert_problem(client.get(url, params=params | {"period": "2022Q1"}), 422)
        assert body["errors"][0]["loc"] == ["query", "period"], url
        assert "not both" in body["detail"]


def test_what_belongs_to_a_year_is_reported_a_year_at_a_time(
    client: TestClient, world: dict[str, Any]
) -> None:
    root = world["district"]["id"]
    for url, params in [
        (COMMITMENTS_REPORT, {"root_id": root}),
        (f"/api/v1/units/{root}/scorecard", {}),
    ]:
        body = assert_problem(client.get(url, params=params | {"period": "2022Q4..2023Q1"}), 422)
        assert body["errors"][0]["loc"] == ["query", "period"]
        assert "spans several years" in body["detail"]
        ok(client.get(url, params=params | {"period": "2022Q2..2022Q4"}))


def test_part_of_a_year_says_why_the_target_is_empty(
    client: TestClient, world: dict[str, Any]
) -> None:
    commune = world["commune"]
    ok(
        client.post(
            "/api/v1/recruitment/targets",
            json={"unit_id": commune["id"], "year": 2022, "target": 12},
        ),
        201,
    )
    params = {"root_id": commune["id"]}
    year = ok(client.get(RECRUITMENT, params=params | {"period": "2022"}))
    assert year["totals"]["target"] == 12
    assert year["period"] == {
        "key": "2022",
        "start": "2022-01-01",
        "end": "2022-12-31",
        "whole_years": True,
        "note": None,
    }
    assert ok(client.get(RECRUITMENT, params=params | {"from_year": 2022})) == year | {
        "period": year["period"]
    }
    quarter = ok(client.get(RECRUITMENT, params=params | {"period": "2022Q1"}))
    assert quarter["totals"]["target"] is None
    assert quarter["totals"]["achievement_percent"] is None
    assert quarter["period"]["whole_years"] is False
    assert "per year" in quarter["period"]["note"]
    assert (quarter["from_year"], quarter["to_year"]) == (2022, 2022)
    card = ok(client.get(f"/api/v1/units/{commune['id']}/scorecard", params={"period": "2022S1"}))
    assert card["suggestion"] is None
    assert card["evaluation"] is None
    assert card["recruitment"]["target"] is None
    assert card["period"]["start"] == date(2022, 1, 1).isoformat()


def test_part_of_a_year_is_read_in_the_tree_of_its_last_day(
    client: TestClient, world: dict[str, Any]
) -> None:
    """A commune moved from one district to another on 1 April 2025, with an admission on
    10 February: the first quarter counts it in its first district, the first half-year (and
    the year) in the second, where the commune stood on the period's last day; under today's
    tree always in the second. Its stage on 31 March is admitted, in the first district."""
    province, first, commune = world["province"], world["district"], world["commune"]
    second = make_unit(
        client, name="Huyện ủy Tam Dương", kind="district_committee", parent_id=province["id"]
    )
    make_admitted(client, commune, date(2025, 2, 10))
    moved = {"parent_id": second["id"], "effective_on": "2025-04-01"}
    ok(client.patch(f"/api/v1/units/{commune['id']}", json=moved))

    def admitted(period: str, structure: str = "as_of") -> dict[int, int]:
        report = ok(
            client.get(
                RECRUITMENT,
                params={"root_id": province["id"], "period": period, "structure": structure},
            )
        )
        return {row["unit_id"]: row["admitted"] for row in report["rows"]}

    assert admitted("2025Q1") == {first["id"]: 1, second["id"]: 0}
    assert admitted("2025-04") == {first["id"]: 0, second["id"]: 0}
    assert admitted("2025S1") == {first["id"]: 0, second["id"]: 1}
    assert admitted("2025") == admitted("2025Q1..2025Q4") == admitted("2025S1")
    assert admitted("2025Q1", "current") == {first["id"]: 0, second["id"]: 1}
    quarter = ok(
        client.get(f"/api/v1/units/{first['id']}/recruitment", params={"period": "2025Q1"})
    )
    stages = {s["stage"]: s["count"] for s in quarter["unit"]["candidates_by_stage"]}
    assert stages["admitted"] == 1
    assert [child["unit_id"] for child in quarter["children"]] == [
        world["department"]["id"],
        commune["id"],
    ]
    later = ok(client.get(f"/api/v1/units/{first['id']}/recruitment", params={"period": "2025Q2"}))
    assert commune["id"] not in [child["unit_id"] for child in later["children"]]
    assert sum(s["count"] for s in later["unit"]["candidates_by_stage"]) == 0


def test_an_audit_period_runs_from_midnight_to_midnight_in_vietnam(client: TestClient) -> None:
    """17:30 UTC on 31 March is 00:30 on 1 April in Hà Nội: the second quarter's."""
    with Session(engine) as session:
        for at in ("2025-03-31T16:59:59+00:00", "2025-03-31T17:30:00+00:00"):
            session.add(
                AuditEvent(
                    at=datetime.fromisoformat(at),
                    actor="admin",
                    action="update",
                    entity_type="unit",
                    entity_id=1,
                )
            )
        session.commit()

    def stamps(period: str) -> list[str]:
        return [e["at"] for e in ok(client.get(AUDIT, params={"period": period}))["items"]]

    (first,) = stamps("2025Q1")
    (second,) = stamps("2025Q2")
    assert datetime.fromisoformat(first) < datetime.fromisoformat(second)
    assert datetime.fromisoformat(second) == datetime.fromisoformat("2025-03-31T17:30:00+00:00")
    assert len(stamps("2025")) == 2


def test_a_report_of_part_of_a_year_exports_with_its_period_in_the_title_and_name(
    client: TestClient, world: dict[str, Any]
) -> None:
    district = world["district"]["id"]
    for url, params, name in [
        (RECRUITMENT, {"root_id": district, "period": "2022Q1..2022Q3"}, "2022Q1-2022Q3"),
        (COMMITMENTS_REPORT, {"root_id": district, "period": "2022S2"}, "2022S2"),
        (f"/api/v1/units/{district}/scorecard", {"period": "2022-07"}, "2022-07"),
    ]:
        for fmt in ("csv", "xlsx"):
            response = client.get(url, params=params | {"format": fmt})
            assert response.status_code == 200, response.text
            assert f'{name}.{fmt}"' in response.headers["content-disposition"]
        sheet = openpyxl.load_workbook(io.BytesIO(response.content)).worksheets[0]
        cells = [str(c.value) for row in sheet.iter_rows(max_row=8) for c in row if c.value]
        assert any(f"Kỳ {params['period']}" in c for c in cells), cells
