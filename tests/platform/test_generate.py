"""`camket generate`: the synthetic data loads on both databases and reads back through the API."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from app.generate import SHAPES, Generator, Scale, Shape, generate
from app.models import Candidate, Unit, UnitClosure


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
    listed = client.get("/api/v1/recruitment/candidates", params={"root_id": root["id"]}).json()
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
