"""`camket generate`: the synthetic data loads on both databases and reads back through the API."""

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from app.commitments.workflow import FINISHED
from app.generate import SHAPES, Generator, Scale, Shape, generate
from app.models import AreaOfCharge, Candidate, Position, Unit, UnitClosure, UnitKind
from app.tree.holdings import held_from
from tests.factories import make_candidate
from tests.helpers import Clock, flow_tables, ok


def test_a_commune_loads_and_reads_back(client: TestClient, engine: Engine) -> None:
    counts = generate(engine, scale=Scale.commune, seed=7, first_year=2021, years=3)
    assert counts["unit"] == 30
    # Each unit is its own ancestor, and each cell has the commune above it.
    assert counts["unit_closure"] == 30 + 29
    assert counts["candidate_flow"] > 0  # the reports' sums, rebuilt after the bulk load
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(UnitClosure)) == 59
        stages = dict(
            connection.execute(
                select(Candidate.stage, func.count()).group_by(Candidate.stage)
            ).all()
        )
    assert stages.get("admitted", 0) + stages.get("official", 0) > 0
    root = client.get("/api/v1/units", params={"kind": "commune_committee"}).json()["items"][0]
    progress = client.get(
        f"/api/v1/units/{root['id']}/recruitment", params={"from_year": 2021, "to_year": 2023}
    ).json()
    assert len(progress["children"]) == 29
    admitted = sum(c["admitted"] for c in progress["children"])
    assert admitted == progress["unit"]["admitted"] > 0
    listed = client.get(
        "/api/v1/recruitment/candidates", params={"root_id": root["id"], "count": "exact"}
    ).json()
    assert listed["total"] == counts["candidate"]
    # Ids continue after what is there: a second load adds, never collides.
    again = generate(engine, scale=Scale.commune, seed=8, first_year=2021, years=1)
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Unit)) == 30 + again["unit"]


def test_the_same_seed_gives_the_same_data() -> None:
    def names(seed: int) -> list[str]:
        generator = Generator(Scale.commune, seed, 2021, 2, {"unit": 0, "person": 0,
                              "position": 0, "area_of_charge": 0})  # fmt: skip
        generator.build_tree()
        return [u["name"] for u in generator.units] + [p["full_name"] for p in generator.people]

    assert names(3) == names(3)
    assert names(3) != names(4)


def test_the_country_hangs_under_one_central_committee(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several provinces get one root to report on; every level sits one below its parent."""
    small = Shape(provinces=3, districts=2, communes=1, cells=2, admissions_per_cell_year=1)
    monkeypatch.setitem(SHAPES, Scale.country, small)
    generator = Generator(Scale.country, 1, 2021, 1, {"unit": 0, "person": 0,
                          "position": 0, "area_of_charge": 0})  # fmt: skip
    generator.build_tree()
    units = {u["id"]: u for u in generator.units}
    roots = [u for u in units.values() if u["parent_id"] is None]
    assert [(r["kind"], r["level"]) for r in roots] == [("central_committee", 0)]
    provinces = [u for u in units.values() if u["kind"] == "province_committee"]
    assert len(provinces) == 3
    assert {p["parent_id"] for p in provinces} == {roots[0]["id"]}
    for unit in units.values():
        if unit["parent_id"] is not None:
            assert unit["level"] == units[unit["parent_id"]]["level"] + 1, unit


# --- the reorganisation of 1 July 2025 --------------------------------------------------------

ON = date(2025, 7, 1)
TODAY = date(2026, 11, 30)
# Small shapes with the reorganisation: five provinces become three (neighbours merged), or one
# province alone; districts dissolved, communes merged about three into one.
SMALL = {
    Scale.country: Shape(
        provinces=5,
        districts=2,
        communes=5,
        cells=3,
        admissions_per_cell_year=2,
        provinces_after=3,
        communes_merged=3,
    ),
    Scale.province: Shape(
        provinces=1, districts=3, communes=4, cells=2, admissions_per_cell_year=2, communes_merged=3
    ),
}
REPORT = "/api/v1/reports/recruitment"


@pytest.fixture(params=list(SMALL))
def reorganised(
    request: pytest.FixtureRequest,
    client: TestClient,
    engine: Engine,
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
) -> dict[str, Any]:
    """A generated country (or province) in small, with its years before and after 2025-07-01."""
    clock.day = TODAY
    scale: Scale = request.param
    monkeypatch.setitem(SHAPES, scale, SMALL[scale])
    counts = generate(engine, scale=scale, seed=5, first_year=2021, years=6)
    roots = ok(client.get("/api/v1/units", params={"include_closed": True, "limit": 500}))
    root = next(u for u in roots["items"] if u["parent_id"] is None)
    return {"scale": scale, "counts": counts, "root": root}


def _kinds(client: TestClient, root: int, **params: Any) -> dict[str, int]:
    units = ok(client.get("/api/v1/units", params={"root_id": root, "limit": 500} | params))
    assert units["total"] <= 500
    found: dict[str, int] = {}
    for unit in units["items"]:
        found[unit["kind"]] = found.get(unit["kind"], 0) + 1
    return found


def test_the_tree_before_and_after_the_reorganisation(
    client: TestClient, engine: Engine, reorganised: dict[str, Any]
) -> None:
    root, counts = reorganised["root"]["id"], reorganised["counts"]
    before = _kinds(client, root, as_of="2025-06-30")
    after = _kinds(client, root)
    if reorganised["scale"] == Scale.country:
        assert (before["province_committee"], after["province_committee"]) == (5, 3)
    shape = SMALL[reorganised["scale"]]
    assert before["district_committee"] == shape.provinces * shape.districts
    assert "district_committee" not in after
    assert "agency" not in after
    assert after["commune_committee"] < before["commune_committee"] / 1.5
    assert after["party_cell"] == before["party_cell"]  # cells move, none closes

    events = ok(client.get("/api/v1/reorganisations", params={"limit": 100}))
    # One event per province of the new tree.
    assert events["total"] == counts["reorganisation"] == after.get("province_committee", 1)
    for event in events["items"]:
        assert event["effective_on"] == ON.isoformat()
        assert event["plan"]["opened"]
        assert event["plan"]["closed"]
        ok(client.get(f"/api/v1/reorganisations/{event['id']}"))

    with Session(engine) as session:
        closed = session.execute(select(Unit).where(col(Unit.valid_to).is_not(None))).scalars()
        closed = list(closed)
        opened = session.execute(select(Unit).where(col(Unit.valid_from).is_not(None))).scalars()
        assert {u.valid_from for u in opened} == {ON}
        assert {u.valid_to for u in closed} == {ON}
        for unit in closed:
            # The rule every write keeps: no record of a closed unit dated on or after its close.
            assert held_from(session, unit_id=unit.id, day=ON, finished=FINISHED) == [], unit
        for model in (Position, AreaOfCharge):
            terms = session.execute(
                select(model).where(col(model.unit_id).in_([u.id for u in closed]))
            ).scalars()
            assert {t.end_on for t in terms} == {ON}, model
        merged = [u for u in closed if u.kind == UnitKind.commune_committee]
    for unit in merged[:5]:
        lineage = ok(client.get(f"/api/v1/units/{unit.id}/lineage"))
        (successor,) = lineage["successors"]
        assert (successor["kind"], successor["carries_history"]) == ("merged", True)
        # It hangs under its successor today, where it stood before.
        assert ok(client.get(f"/api/v1/units/{unit.id}"))["parent_id"] == successor["unit_id"]
        earlier = ok(client.get(f"/api/v1/units/{unit.id}", params={"as_of": "2025-06-30"}))
        assert earlier["parent_id"] != successor["unit_id"]
        assert ok(client.get(f"/api/v1/units/{successor['unit_id']}/lineage"))["predecessors"]


def _report(client: TestClient, root: int, first: int, last: int, structure: str) -> Any:
    params = {"root_id": root, "from_year": first, "to_year": last, "structure": structure}
    return ok(client.get(REPORT, params=params))


def _figures(figures: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in figures.items() if k not in {"structure", "unit_id", "code", "name"}}


def test_reports_under_both_structures_agree(
    client: TestClient, engine: Engine, reorganised: dict[str, Any]
) -> None:
    """The root kept its whole subtree: the same totals under the tree of each year and under
    today's; a new province today carries its predecessors' years before it."""
    root = reorganised["root"]["id"]
    for first, last in ((2021, 2026), (2021, 2024), (2025, 2025), (2025, 2026)):
        as_of = _report(client, root, first, last, "as_of")["totals"]
        current = _report(client, root, first, last, "current")["totals"]
        assert _figures(as_of) == _figures(current), (first, last)
    report = _report(client, root, 2021, 2026, "as_of")
    whole = report["totals"]
    with Session(engine) as session:
        admitted = session.execute(
            select(func.count()).where(col(Candidate.admitted_on).is_not(None))
        ).scalar_one()
    assert whole["admitted_individual"] + whole["admitted_reported"] == whole["admitted"]
    assert whole["admitted_individual"] <= admitted
    assert whole["admitted"] > 0
    assert any(row["target"] for row in report["rows"])

    # Under today's tree, a new unit's years before it are those of the units it carries on.
    checked = 0
    for row in _report(client, root, 2021, 2026, "current")["rows"]:
        lineage = ok(client.get(f"/api/v1/units/{row['unit_id']}/lineage"))
        sources = [p["unit_id"] for p in lineage["predecessors"] if p["carries_history"]]
        if not sources:
            continue
        before = sum(_report(client, s, 2021, 2024, "as_of")["totals"]["admitted"] for s in sources)
        after = _report(client, row["unit_id"], 2025, 2026, "as_of")["totals"]["admitted"]
        assert row["admitted"] == before + after, row
        checked += 1
    assert checked or reorganised["scale"] == Scale.province


def test_writes_on_the_generated_data_keep_the_flows_exact(
    client: TestClient, engine: Engine, reorganised: dict[str, Any]
) -> None:
    """The loaded flows are the recomputation, and the write paths carry on from them: a
    candidate back-dated into the tree before the reorganisation, and a cell moved today."""
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
        assert kept == recomputed
        assert any(row[6] for row in kept)  # the reorganisation carried stocks (`carried`)
        cells = list(
            session.execute(
                select(Unit)
                .where(col(Unit.kind) == UnitKind.party_cell)
                .order_by(col(Unit.id))
                .limit(2)
            ).scalars()
        )
        communes = list(
            session.execute(
                select(col(Unit.id))
                .where(col(Unit.kind) == UnitKind.commune_committee, col(Unit.valid_to).is_(None))
                .order_by(col(Unit.id).desc())
                .limit(1)
            ).scalars()
        )
    make_candidate(client, {"id": cells[0].id}, "2024-03-04", full_name="Lê Văn Trước")
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
        assert kept == recomputed
    ok(
        client.patch(
            f"/api/v1/units/{cells[1].id}",
            json={"parent_id": communes[0], "effective_on": TODAY.isoformat()},
        )
    )
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
        assert kept == recomputed
