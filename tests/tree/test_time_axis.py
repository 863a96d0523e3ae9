"""The tree has a time axis (issue 12): an edit or a move takes effect on a day and leaves every
earlier day's answers as they were, reports of a year read the tree of that year, and the scope
of a grant follows the tree of today."""

from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import (
    assert_problem,
    make_admitted,
    make_candidate,
    make_principal,
    make_tree,
    make_unit,
)
from tests.helpers import Clock, audit, ok

TODAY = date(2026, 6, 30)
UNITS = "/api/v1/units"
CANDIDATES = "/api/v1/recruitment/candidates"


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def admitted(client: TestClient, unit: dict[str, Any], year: int) -> int:
    report = ok(
        client.get(
            "/api/v1/reports/recruitment",
            params={"root_id": unit["id"], "from_year": year, "to_year": year},
        )
    )
    return int(report["totals"]["admitted"])


def at_stage(client: TestClient, unit: dict[str, Any], stage: str) -> int:
    report = ok(
        client.get(
            "/api/v1/reports/recruitment",
            params={"root_id": unit["id"], "from_year": TODAY.year, "to_year": TODAY.year},
        )
    )
    counts = {s["stage"]: s["count"] for s in report["totals"]["candidates_by_stage"]}
    return int(counts[stage])


def tree_ids(client: TestClient, unit: dict[str, Any], **params: Any) -> set[int]:
    def walk(node: dict[str, Any]) -> set[int]:
        return {node["id"]}.union(*(walk(child) for child in node["children"]))

    return walk(ok(client.get(f"{UNITS}/{unit['id']}/tree", params=params)))


def test_a_move_keeps_the_past_where_it_was(client: TestClient) -> None:
    """The issue's case: moving a cell to another commune changed the district's 2023
    admissions from 1 to 0 and took the cell out of Hương Sơn's 2022 tree."""
    tree = make_tree(client)
    district, commune, cell = tree["district"], tree["commune"], tree["cell_a"]
    other_district = make_unit(
        client,
        kind="district_committee",
        name="Huyện ủy Tam Dương",
        parent_id=tree["province"]["id"],
    )
    other_commune = make_unit(client, name="Đảng bộ xã Kim Long", parent_id=other_district["id"])
    make_admitted(client, cell, date(2023, 5, 15))
    waiting = make_candidate(client, cell, "2024-02-01")  # a source since 2024, still one
    assert admitted(client, district, 2023) == 1
    assert at_stage(client, district, "source") == 1
    assert cell["id"] in tree_ids(client, commune, as_of="2022-06-30")

    ok(client.patch(f"{UNITS}/{cell['id']}", json={"parent_id": other_commune["id"]}))

    assert admitted(client, district, 2023) == 1  # was 0 before the tree had a time axis
    assert admitted(client, other_district, 2023) == 0
    assert admitted(client, tree["province"], 2023) == 1
    assert cell["id"] in tree_ids(client, commune, as_of="2022-06-30")
    assert cell["id"] not in tree_ids(client, commune)
    assert cell["id"] in tree_ids(client, other_commune)
    # The candidates the cell holds today went with it: the stock moved, the past stayed.
    assert at_stage(client, district, "source") == 0
    assert at_stage(client, other_district, "source") == 1
    assert at_stage(client, tree["province"], "source") == 1
    assert ok(client.get(f"{UNITS}/{cell['id']}"))["parent_id"] == other_commune["id"]
    then = ok(client.get(f"{UNITS}/{cell['id']}", params={"as_of": "2023-01-01"}))
    assert (then["parent_id"], then["level"]) == (commune["id"], 3)
    ancestors = ok(client.get(f"{UNITS}/{cell['id']}/ancestors", params={"as_of": "2023-01-01"}))
    assert [a["id"] for a in ancestors] == [tree["province"]["id"], district["id"], commune["id"]]

    # Lists with root_id answer for a day too: the cell's candidates were Hương Sơn's then.
    def listed(**params: Any) -> set[int]:
        found = ok(client.get(CANDIDATES, params={"root_id": commune["id"]} | params))["items"]
        return {c["id"] for c in found}

    assert waiting["id"] in listed(as_of="2024-06-30")
    assert waiting["id"] not in listed()


def test_a_rename_shows_only_from_its_day(client: TestClient) -> None:
    tree = make_tree(client)
    commune = tree["commune"]
    old = commune["name"]
    ok(
        client.patch(
            f"{UNITS}/{commune['id']}",
            json={"name": "Đảng ủy xã Bình Xuyên", "effective_on": "2025-07-01"},
        )
    )
    assert ok(client.get(f"{UNITS}/{commune['id']}"))["name"] == "Đảng ủy xã Bình Xuyên"
    for day, name in [
        ("2022-06-30", old),
        ("2025-06-30", old),
        ("2025-07-01", "Đảng ủy xã Bình Xuyên"),
    ]:
        assert ok(client.get(f"{UNITS}/{commune['id']}", params={"as_of": day}))["name"] == name
        listed = ok(client.get(UNITS, params={"as_of": day, "parent_id": tree["district"]["id"]}))[
            "items"
        ]
        assert name in {unit["name"] for unit in listed}
    rows = {
        year: {
            row["unit_id"]: row["name"]
            for row in ok(
                client.get(
                    "/api/v1/reports/recruitment",
                    params={"root_id": tree["district"]["id"], "from_year": year, "to_year": year},
                )
            )["rows"]
        }
        for year in (2022, 2025)
    }
    assert rows[2022][commune["id"]] == old
    assert rows[2025][commune["id"]] == "Đảng ủy xã Bình Xuyên"


def test_an_edit_takes_effect_today_or_earlier_and_never_under_a_later_change(
    client: TestClient,
) -> None:
    tree = make_tree(client)
    cell, commune = tree["cell_a"], tree["commune"]
    other = make_unit(client, name="Đảng bộ xã Thiện Kế", parent_id=tree["district"]["id"])
    ahead = (TODAY + timedelta(days=1)).isoformat()
    problem = assert_problem(
        client.patch(
            f"{UNITS}/{cell['id']}", json={"parent_id": other["id"], "effective_on": ahead}
        ),
        422,
    )
    assert "effective_on" in str(problem)
    ok(
        client.patch(
            f"{UNITS}/{cell['id']}", json={"parent_id": other["id"], "effective_on": "2025-03-01"}
        )
    )
    # Back before that move: it would rewrite the days between, which only a correction may.
    assert_problem(
        client.patch(
            f"{UNITS}/{cell['id']}", json={"parent_id": commune["id"], "effective_on": "2024-01-01"}
        ),
        409,
    )
    assert (
        ok(client.get(f"{UNITS}/{cell['id']}", params={"as_of": "2025-02-28"}))["parent_id"]
        == commune["id"]
    )
    assert (
        ok(client.get(f"{UNITS}/{cell['id']}", params={"as_of": "2025-03-01"}))["parent_id"]
        == other["id"]
    )
    # The same day again replaces that day's change.
    ok(
        client.patch(
            f"{UNITS}/{cell['id']}", json={"parent_id": commune["id"], "effective_on": "2025-03-01"}
        )
    )
    assert (
        ok(client.get(f"{UNITS}/{cell['id']}", params={"as_of": "2025-03-01"}))["parent_id"]
        == commune["id"]
    )


def test_a_back_dated_move_changes_its_year_on_and_nothing_before(client: TestClient) -> None:
    tree = make_tree(client)
    district, cell = tree["district"], tree["cell_a"]
    other_district = make_unit(
        client,
        kind="district_committee",
        name="Huyện ủy Tam Dương",
        parent_id=tree["province"]["id"],
    )
    for day in (date(2023, 4, 1), date(2025, 2, 1), date(2025, 9, 1)):
        make_admitted(client, cell, day)
    before = {year: admitted(client, district, year) for year in (2023, 2024, 2025)}
    assert before == {2023: 1, 2024: 0, 2025: 2}
    ok(
        client.patch(
            f"{UNITS}/{cell['id']}",
            json={"parent_id": other_district["id"], "effective_on": "2025-07-01"},
        )
    )
    # 2025 is read under the tree of its last day: the cell's whole year went with it.
    assert {year: admitted(client, district, year) for year in (2023, 2024, 2025)} == {
        2023: 1,
        2024: 0,
        2025: 0,
    }
    assert admitted(client, other_district, 2025) == 2
    assert admitted(client, tree["province"], 2025) == 2


def test_a_grant_covers_the_tree_of_today(client: TestClient, anon: TestClient) -> None:
    tree = make_tree(client)
    cell = tree["cell_a"]
    other = make_unit(client, name="Đảng bộ xã Thiện Kế", parent_id=tree["district"]["id"])
    old_viewer = make_principal("old-viewer", Role.viewer, tree["commune"]["id"])
    new_viewer = make_principal("new-viewer", Role.viewer, other["id"])
    assert anon.get(f"{UNITS}/{cell['id']}", headers=old_viewer).status_code == 200
    assert anon.get(f"{UNITS}/{cell['id']}", headers=new_viewer).status_code == 404
    ok(client.patch(f"{UNITS}/{cell['id']}", json={"parent_id": other["id"]}))
    assert anon.get(f"{UNITS}/{cell['id']}", headers=old_viewer).status_code == 404
    assert anon.get(f"{UNITS}/{cell['id']}", headers=new_viewer).status_code == 200


def test_a_search_finds_closed_units_too(client: TestClient) -> None:
    tree = make_tree(client)
    dissolved = make_unit(client, name="Huyện ủy Bình Xuyên cũ", kind="district_committee")
    ok(client.post(f"{UNITS}/{dissolved['id']}/close", json={"valid_to": "2025-07-01"}))
    found = {unit["id"] for unit in ok(client.get(UNITS, params={"q": "binh xuyen"}))["items"]}
    assert {tree["district"]["id"], dissolved["id"]} <= found
    found = ok(client.get(UNITS, params={"q": "binh xuyen", "include_closed": False}))["items"]
    assert dissolved["id"] not in {unit["id"] for unit in found}


def test_a_correction_rewrites_one_version_and_says_which_days(client: TestClient) -> None:
    tree = make_tree(client)
    commune = make_unit(client, name="Đảng bộ xã Hương Sớn", parent_id=tree["district"]["id"])
    path = f"{UNITS}/{commune['id']}"
    ok(client.patch(path, json={"name": "Đảng ủy xã Bình Xuyên", "effective_on": "2025-07-01"}))
    # An edit never reaches back: the misspelt name stays in every earlier answer.
    assert ok(client.get(path, params={"as_of": "2022-01-01"}))["name"] == "Đảng bộ xã Hương Sớn"
    assert_problem(client.post(f"{path}/corrections", json={"on": "2022-01-01"}), 422)
    corrected = ok(
        client.post(
            f"{path}/corrections",
            json={"on": "2022-01-01", "name": "Đảng bộ xã Hương Sơn", "reason": "Sai chính tả"},
        )
    )
    assert (corrected["valid_from"], corrected["valid_to"]) == (None, "2025-07-01")
    assert corrected["before"]["name"] == "Đảng bộ xã Hương Sớn"
    assert ok(client.get(path, params={"as_of": "2022-01-01"}))["name"] == "Đảng bộ xã Hương Sơn"
    assert ok(client.get(path))["name"] == "Đảng ủy xã Bình Xuyên"  # today's version untouched
    (event,) = [e for e in audit(client, "unit_version") if e["action"] == "correct"]
    assert event["after"]["correction_reason"] == "Sai chính tả"
    assert event["unit_id"] == commune["id"]


def test_a_year_is_evaluated_by_the_superior_of_that_years_tree(
    client: TestClient, anon: TestClient
) -> None:
    tree = make_tree(client)
    cell, commune = tree["cell_a"], tree["commune"]
    other = make_unit(client, name="Đảng bộ xã Thiện Kế", parent_id=tree["district"]["id"])
    evaluations = {
        year: ok(
            client.post(
                "/api/v1/evaluations", json={"unit_id": cell["id"], "year": year, "grade": "good"}
            ),
            201,
        )
        for year in (2023, 2026)
    }
    ok(client.patch(f"{UNITS}/{cell['id']}", json={"parent_id": other["id"]}))
    old = make_principal("old-manager", Role.manager, commune["id"])
    new = make_principal("new-manager", Role.manager, other["id"])

    def propose(headers: dict[str, str], year: int) -> int:
        path = f"/api/v1/evaluations/{evaluations[year]['id']}/proposal"
        return anon.post(path, json={"grade": "good"}, headers=headers).status_code

    # 2023 is read under the tree of 2023, where the cell was Hương Sơn's: its managers still
    # read the cell's records of that year and propose its grade; 2026 under today's tree.
    assert (propose(new, 2023), propose(new, 2026)) == (403, 200)
    assert (propose(old, 2023), propose(old, 2026)) == (200, 404)
    listed = ok(anon.get("/api/v1/evaluations", params={"unit_id": cell["id"]}, headers=old))
    assert [e["year"] for e in listed["items"]] == [2023]
