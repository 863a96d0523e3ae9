"""Reorganisations (issue 12, item 2): one dated, atomic, audited, idempotent event; a dry run
that plans and writes nothing; refusals naming the operation; lineage; and the past kept."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.models import Role
from tests.factories import (
    assert_problem,
    make_candidate,
    make_commitment,
    make_directive,
    make_outcome,
    make_principal,
    make_target,
    make_unit,
)
from tests.helpers import Clock, audit, ok, total

TODAY = date(2026, 6, 30)
EVENTS = "/api/v1/reorganisations"
UNITS = "/api/v1/units"
BASIS = ["Nghị quyết 1676/NQ-UBTVQH15", "Quy định 294-QĐ/TW"]


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def article_tree(client: TestClient) -> dict[str, dict[str, Any]]:
    """Vĩnh Phúc → Bình Xuyên district → Gia Khánh, Hương Sơn (two cells), Thiện Kế; and the two
    provinces Vĩnh Phúc merged with."""
    vp = make_unit(client, code="TU-VP", name="Tỉnh ủy Vĩnh Phúc", kind="province_committee")
    pt = make_unit(client, code="TU-PT-OLD", name="Tỉnh ủy Phú Thọ", kind="province_committee")
    hb = make_unit(client, code="TU-HB", name="Tỉnh ủy Hòa Bình", kind="province_committee")
    bx = make_unit(
        client,
        code="HU-BX",
        name="Huyện ủy Bình Xuyên",
        kind="district_committee",
        parent_id=vp["id"],
    )
    communes = {
        key: make_unit(client, code=f"DX-{key.upper()}", name=name, parent_id=bx["id"])
        for key, name in [
            ("gk", "Đảng bộ thị trấn Gia Khánh"),
            ("hs", "Đảng bộ xã Hương Sơn"),
            ("tk", "Đảng bộ xã Thiện Kế"),
        ]
    }
    cells = {
        key: make_unit(client, kind="party_cell", name=name, parent_id=communes["hs"]["id"])
        for key, name in [("c1", "Chi bộ thôn Ngọc Bảo"), ("c2", "Chi bộ thôn Hương Vị")]
    }
    return {"vp": vp, "pt": pt, "hb": hb, "bx": bx, **communes, **cells}


def event_2025(t: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "effective_on": "2025-07-01",
        "legal_basis": BASIS,
        "operations": [
            {
                "op": "establish",
                "ref": "phu-tho",
                "code": "TU-PHUTHO",
                "name": "Tỉnh ủy Phú Thọ",
                "kind": "province_committee",
            },
            {
                "op": "establish",
                "ref": "binh-xuyen",
                "code": "DU-XA-BINHXUYEN",
                "name": "Đảng ủy xã Bình Xuyên",
                "kind": "commune_committee",
                "parent": "phu-tho",
            },
            {
                "op": "merge",
                "sources": [t["gk"]["id"], t["hs"]["id"], t["tk"]["id"]],
                "into": "binh-xuyen",
            },
            {"op": "dissolve", "unit": t["bx"]["id"]},
            {
                "op": "merge",
                "sources": [t["pt"]["id"], t["vp"]["id"], t["hb"]["id"]],
                "into": "phu-tho",
            },
        ],
    }


def report(client: TestClient, unit_id: int, first: int, last: int, **params: Any) -> Any:
    return ok(
        client.get(
            "/api/v1/reports/recruitment",
            params={"root_id": unit_id, "from_year": first, "to_year": last} | params,
        )
    )


def test_the_article_reorganised_keeps_its_past(client: TestClient) -> None:
    t = article_tree(client)
    make_outcome(client, t["hs"], "2021-01-01", "2022-12-31", admitted=15)
    world = {**t, "directive": make_directive(client)}
    work = make_commitment(client, world, "in_progress", unit="hs", superior="bx", year=2022)
    make_target(client, t["hs"], year=2026, target=4)
    created = client.post(EVENTS, json=event_2025(t), headers={"Idempotency-Key": "nq-1676"})
    event = ok(created, 201)
    assert created.headers["Location"].endswith(f"/reorganisations/{event['id']}")
    new_commune = event["plan"]["opened"][1]["unit_id"]
    province = event["plan"]["opened"][0]["unit_id"]
    assert {c["unit_id"] for c in event["plan"]["closed"]} == {
        t[k]["id"] for k in ("gk", "hs", "tk", "bx", "pt", "vp", "hb")
    }
    assert {m["unit_id"] for m in event["plan"]["moved"]} == {t["c1"]["id"], t["c2"]["id"]}

    # The same request again answers the same event and records nothing more.
    again = client.post(EVENTS, json=event_2025(t), headers={"Idempotency-Key": "nq-1676"})
    assert ok(again, 201)["id"] == event["id"]
    assert total(client, EVENTS) == 1

    # 2021–2022 under the tree of then: Hương Sơn, the district and Vĩnh Phúc.
    for unit in (t["hs"], t["bx"], t["vp"]):
        assert report(client, unit["id"], 2021, 2022)["totals"]["admitted"] == 15
    assert report(client, new_commune, 2021, 2022)["totals"]["admitted"] == 0
    # Closed units stay readable and point at their successors.
    hs = ok(client.get(f"{UNITS}/{t['hs']['id']}"))
    assert hs["valid_to"] == "2025-07-01"
    lineage = ok(client.get(f"{UNITS}/{t['hs']['id']}/lineage"))
    (successor,) = lineage["successors"]
    assert (successor["unit_id"], successor["kind"], successor["legal_basis"]) == (
        new_commune,
        "merged",
        BASIS,
    )
    predecessors = ok(client.get(f"{UNITS}/{new_commune}/lineage"))["predecessors"]
    assert {(p["unit_id"], p["kind"]) for p in predecessors} == {
        (None, "established"),
        *((t[k]["id"], "merged") for k in ("gk", "hs", "tk")),
    }
    dissolved = ok(client.get(f"{UNITS}/{t['bx']['id']}/lineage"))["successors"]
    assert [(d["unit_id"], d["kind"]) for d in dissolved] == [(None, "dissolved")]
    found = {u["id"] for u in ok(client.get(UNITS, params={"q": "binh xuyen"}))["items"]}
    assert {t["bx"]["id"], new_commune} <= found

    # The cells went on under the new commune; in 2022 they were Hương Sơn's.
    children = ok(client.get(f"{UNITS}/{new_commune}/children"))["items"]
    assert {c["id"] for c in children} == {t["c1"]["id"], t["c2"]["id"]}
    then = ok(client.get(f"{UNITS}/{t['hs']['id']}/children", params={"as_of": "2022-06-30"}))
    assert {c["id"] for c in then["items"]} == {t["c1"]["id"], t["c2"]["id"]}
    # Open work followed the event: the commitment's work and the 2026 target.
    assert ok(client.get(f"/api/v1/commitments/{work['id']}"))["carried_to_id"] == new_commune
    targets = ok(client.get("/api/v1/recruitment/targets", params={"unit_id": new_commune}))
    assert [(x["year"], x["target"]) for x in targets["items"]] == [(2026, 4)]
    # Under today's tree the province's rows show which units carry whose history.
    current = report(client, province, 2021, 2022, structure="current")
    assert current["totals"]["admitted"] == 15
    rows = {row["unit_id"]: row for row in current["rows"]}
    assert rows[new_commune]["admitted"] == 15
    assert rows[new_commune]["carries_history_of"] == [t["gk"]["id"], t["hs"]["id"], t["tk"]["id"]]
    assert [e["action"] for e in audit(client, "reorganisation", event["id"])] == ["create"]
    assert ok(client.get(f"{EVENTS}/{event['id']}"))["plan"] == event["plan"]


def test_a_dry_run_plans_everything_and_writes_nothing(client: TestClient) -> None:
    t = article_tree(client)
    body = event_2025(t)
    units_before = total(client, UNITS, include_closed=True)
    plan = ok(client.post(EVENTS, params={"dry_run": True}, json=body))
    assert plan["dry_run"] is True
    assert plan["id"] is None
    assert len(plan["plan"]["closed"]) == 7
    assert plan["plan"]["conflicts"] == []
    assert total(client, UNITS, include_closed=True) == units_before
    assert total(client, EVENTS) == 0
    assert ok(client.get(f"{UNITS}/{t['hs']['id']}"))["valid_to"] is None

    # Conflicts: every one listed by a dry run, the first one refusing a real run.
    body["operations"].insert(2, {"op": "move", "unit": t["c1"]["id"], "parent": t["c1"]["id"]})
    body["operations"].append({"op": "rename", "unit": t["hs"]["id"], "name": "Tên mới"})
    conflicts = ok(client.post(EVENTS, params={"dry_run": True}, json=body))["plan"]["conflicts"]
    assert [(c["operation"], c["status"]) for c in conflicts] == [(2, 409), (6, 409)]
    problem = assert_problem(client.post(EVENTS, json=body), 409)
    assert problem["detail"].startswith("Operation 2 (move)")
    assert problem["errors"][0]["loc"][:3] == ["body", "operations", 2]
    assert total(client, UNITS, include_closed=True) == units_before  # not even op 0's unit
    assert total(client, EVENTS) == 0


def test_a_split_assigns_every_child_and_names_the_history_successor(client: TestClient) -> None:
    t = article_tree(client)
    make_outcome(client, t["hs"], "2021-01-01", "2022-12-31", admitted=15)
    body: dict[str, Any] = {
        "effective_on": "2025-07-01",
        "legal_basis": ["Quyết định thử nghiệm"],
        "operations": [
            {"op": "establish", "ref": "a", "code": "DX-A", "name": "Đảng bộ xã A",
             "kind": "commune_committee", "parent": t["bx"]["id"]},
            {"op": "establish", "ref": "b", "code": "DX-B", "name": "Đảng bộ xã B",
             "kind": "commune_committee", "parent": t["bx"]["id"]},
            {"op": "split", "source": t["hs"]["id"], "into": ["a", "b"], "history_to": "b",
             "children": [{"unit": t["c1"]["id"], "to": "a"}]},
        ],
    }  # fmt: skip
    problem = assert_problem(client.post(EVENTS, json=body), 422)
    assert problem["detail"].startswith("Operation 2 (split)")
    assert str(t["c2"]["id"]) in problem["detail"]
    body["operations"][2]["children"].append({"unit": t["c2"]["id"], "to": "b"})
    event = ok(client.post(EVENTS, json=body), 201)
    a, b = (u["unit_id"] for u in event["plan"]["opened"])
    successors = ok(client.get(f"{UNITS}/{t['hs']['id']}/lineage"))["successors"]
    assert {(s["unit_id"], s["kind"], s["carries_history"]) for s in successors} == {
        (a, "split", False),
        (b, "split", True),
    }
    assert [c["id"] for c in ok(client.get(f"{UNITS}/{a}/children"))["items"]] == [t["c1"]["id"]]
    assert report(client, t["bx"]["id"], 2021, 2022)["totals"]["admitted"] == 15


def test_open_work_that_cannot_follow_stops_the_event(client: TestClient) -> None:
    t = article_tree(client)
    make_candidate(client, t["hs"], "2025-01-10")  # in the pipeline, on the committee itself
    body = event_2025(t)
    problem = assert_problem(client.post(EVENTS, json=body), 409)
    assert problem["detail"].startswith("Operation 2 (merge)")
    assert "candidates" in problem["detail"]
    assert ok(client.get(f"{UNITS}/{t['hs']['id']}"))["valid_to"] is None


def test_a_reorganisation_needs_managers_of_every_unit_it_names(
    client: TestClient, anon: TestClient
) -> None:
    t = article_tree(client)
    manager = make_principal("hs-manager", Role.manager, t["hs"]["id"])
    body = {
        "effective_on": "2025-07-01",
        "legal_basis": BASIS,
        "operations": [
            {"op": "rename", "unit": t["c1"]["id"], "name": "Chi bộ thôn Ngọc Bảo 1"},
            {"op": "move", "unit": t["c2"]["id"], "parent": t["tk"]["id"]},
        ],
    }
    problem = assert_problem(anon.post(EVENTS, json=body, headers=manager), 403)
    assert problem["detail"].startswith("Operation 1 (move)")
    body["operations"].pop()
    ok(anon.post(EVENTS, json=body, headers=manager), 201)
    assert (
        ok(client.get(f"{UNITS}/{t['c1']['id']}", params={"as_of": "2025-06-30"}))["name"]
        == "Chi bộ thôn Ngọc Bảo"
    )
    # Events are visible to those whose units they linked, not beyond.
    outsider = make_principal("tk-viewer", Role.viewer, t["tk"]["id"])
    assert ok(anon.get(EVENTS, headers=outsider))["total"] == 0
    assert ok(anon.get(EVENTS, headers=manager))["total"] == 1


def test_an_event_ahead_of_today_is_refused(client: TestClient) -> None:
    t = article_tree(client)
    body = event_2025(t) | {"effective_on": "2026-07-01"}
    assert_problem(client.post(EVENTS, json=body), 422)
    assert total(client, EVENTS) == 0


def test_progress_after_a_closing_goes_to_the_work_carried_on(client: TestClient) -> None:
    t = article_tree(client)
    world = {**t, "directive": make_directive(client)}
    carried = make_commitment(client, world, "in_progress", unit="hs", superior="bx", year=2025)
    ok(client.post(EVENTS, json=event_2025(t)), 201)
    progress = f"/api/v1/commitments/{carried['id']}/progress-updates"
    # Its work passed to xã Bình Xuyên: progress of 2026 is reported on it (Hương Sơn closed on
    # 1 July 2025, and an unfinished commitment stays the record of the unit that registered it).
    ok(client.post(progress, json={"reported_on": "2026-03-01", "note": "Tiếp tục"}), 201)
    assert ok(client.get(f"/api/v1/commitments/{carried['id']}"))["progress_percent"] == 0


def test_work_carried_on_follows_the_next_reorganisation_and_blocks_a_bare_close(
    client: TestClient,
) -> None:
    t = article_tree(client)
    world = {**t, "directive": make_directive(client)}
    work = make_commitment(client, world, "in_progress", unit="hs", superior="bx", year=2025)
    event = ok(client.post(EVENTS, json=event_2025(t)), 201)
    commune = event["plan"]["opened"][1]["unit_id"]
    # The commune carrying it cannot just close: the work would be left with nobody.
    for cell in ("c1", "c2"):
        ok(client.post(f"{UNITS}/{t[cell]['id']}/close", json={}))
    problem = assert_problem(client.post(f"{UNITS}/{commune}/close", json={}), 409)
    assert "carried on" in problem["detail"]
    # A later merge passes it on again, to the unit that carries the commune on.
    province = event["plan"]["opened"][0]["unit_id"]
    body = {
        "effective_on": "2026-01-01",
        "legal_basis": ["Quyết định thử nghiệm"],
        "operations": [
            {"op": "establish", "ref": "heir", "code": "DX-HEIR", "name": "Đảng ủy xã Kế thừa",
             "kind": "commune_committee", "parent": province},
            {"op": "merge", "sources": [commune], "into": "heir"},
        ],
    }  # fmt: skip
    heir = ok(client.post(EVENTS, json=body), 201)["plan"]["opened"][0]["unit_id"]
    assert ok(client.get(f"/api/v1/commitments/{work['id']}"))["carried_to_id"] == heir


def test_a_row_names_the_history_it_carries_only_from_the_event_on(client: TestClient) -> None:
    t = article_tree(client)
    district = t["bx"]["id"]

    def carried(year: int) -> dict[int, list[int]]:
        rows = report(client, district, year, year)["rows"]
        return {row["unit_id"]: row["carries_history_of"] for row in rows}

    before = report(client, district, 2024, 2024)
    body = {
        "effective_on": "2025-07-01",
        "legal_basis": BASIS,
        "operations": [{"op": "merge", "sources": [t["tk"]["id"]], "into": t["gk"]["id"]}],
    }
    ok(client.post(EVENTS, json=body), 201)
    # 2024's answer does not change: its tree knew no merge.
    assert report(client, district, 2024, 2024) == before
    assert carried(2024)[t["gk"]["id"]] == []
    assert carried(2025)[t["gk"]["id"]] == [t["tk"]["id"]]


def test_an_event_may_close_open_commitments_with_its_reason(client: TestClient) -> None:
    """Issue 12, item 3: an open commitment of a merged unit is carried to the successor, or
    closed with a reason, as the event says; a dissolved unit, with no successor, closes them
    or is refused."""
    t = article_tree(client)
    world = {**t, "directive": make_directive(client)}
    merged = make_commitment(client, world, "in_progress", unit="hs", superior="bx", year=2025)
    dissolved = make_commitment(client, world, "accepted", unit="bx", superior="vp", year=2025)
    body = event_2025(t)
    merge, dissolve = body["operations"][2], body["operations"][3]
    # A reason only with `close`, and `close` only with a reason.
    assert_problem(
        client.post(
            EVENTS,
            json=body
            | {
                "operations": [
                    *body["operations"][:2],
                    merge | {"commitments": "close"},
                    *body["operations"][3:],
                ]
            },
        ),
        422,
    )
    assert_problem(client.post(EVENTS, json=body | {"operations": [
        *body["operations"][:2], merge | {"close_reason": "Sáp nhập"}, *body["operations"][3:]]}),
        422)  # fmt: skip
    # The district holds unfinished work with no successor to take it.
    problem = assert_problem(client.post(EVENTS, json=body), 409)
    assert problem["detail"].startswith("Operation 3 (dissolve)")
    assert "commitments" in problem["detail"]
    reason = "Đơn vị hợp nhất theo Nghị quyết 1676/NQ-UBTVQH15"
    merge |= {"commitments": "close", "close_reason": reason}
    dissolve |= {"commitments": "close", "close_reason": "Không tổ chức cấp huyện"}
    plan = ok(client.post(EVENTS, params={"dry_run": True}, json=body))["plan"]
    closed = {r["id"]: r for r in plan["records"] if r["kind"] == "commitment"}
    assert {i: r["action"] for i, r in closed.items()} == {
        merged["id"]: "closed",
        dissolved["id"]: "closed",
    }
    assert ok(client.get(f"/api/v1/commitments/{merged['id']}"))["status"] == "in_progress"
    ok(client.post(EVENTS, json=body), 201)
    for commitment, (before, note) in {
        merged["id"]: ("in_progress", reason),
        dissolved["id"]: ("accepted", "Không tổ chức cấp huyện"),
    }.items():
        now = ok(client.get(f"/api/v1/commitments/{commitment}"))
        assert (now["status"], now["carried_to_id"]) == ("cancelled", None)
        last = ok(client.get(f"/api/v1/commitments/{commitment}/history"))[-1]
        assert (last["from_status"], last["to_status"], last["note"]) == (before, "cancelled", note)
