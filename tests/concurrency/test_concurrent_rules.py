"""Rules that read before they write, under a real race: concurrent writers must not slip two
records past a check that allows one (overlapping outcomes, excellent grades over the cap)."""

import asyncio
from typing import Any

import httpx
from sqlmodel import Session

from app.core.db import engine
from app.models import Role
from tests.factories import make_line, make_principal
from tests.helpers import flow_tables

WRITERS = 12


async def _all(
    base_url: str, headers: dict[str, str], calls: list[tuple[str, str, Any]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=WRITERS, max_keepalive_connections=WRITERS)
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, limits=limits, timeout=60
    ) as http:
        return list(await asyncio.gather(*(http.request(m, p, json=b) for m, p, b in calls)))


def test_overlapping_outcomes_raced_in_one_line_of_units_are_refused_but_one(
    live_server: str,
) -> None:
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers) as http:
        ids = make_line(http, WRITERS)
        # The district, the commune and one cell lie on one line: any two outcomes overlap.
        line = [ids["HU"], ids["DX"], ids["CB0"]]
        units = [line[i % 3] for i in range(WRITERS)]
        calls = [
            ("POST", "/api/v1/recruitment/outcomes",
             {"unit_id": unit, "period_start": "2023-01-01", "period_end": "2023-12-31",
              "admitted": 3})
            for unit in units
        ]  # fmt: skip
        responses = asyncio.run(_all(live_server, headers, calls))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * (len(units) - 1), [r.text for r in responses]
        listed = http.get(
            "/api/v1/recruitment/outcomes", params={"root_id": ids["HU"], "count": "exact"}
        ).json()
        assert listed["total"] == 1


def test_excellent_grades_raced_past_a_cap_are_refused_beyond_it(
    live_server: str,
) -> None:
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers) as http:
        ids = make_line(http, WRITERS)
        cells = [ids[f"CB{i}"] for i in range(WRITERS)]
        cap = http.post(
            "/api/v1/evaluations/caps",
            json={"unit_id": ids["DX"], "year": 2024, "max_percent": 25},  # 3 of 12
        )
        assert cap.status_code == 201, cap.text
        evaluations = []
        for cell in cells:
            made = http.post(
                "/api/v1/evaluations", json={"unit_id": cell, "year": 2024, "grade": "excellent"}
            )
            assert made.status_code == 201, made.text
            proposed = http.post(
                f"/api/v1/evaluations/{made.json()['id']}/proposal", json={"grade": "excellent"}
            )
            assert proposed.status_code == 200, proposed.text
            evaluations.append(made.json()["id"])
        calls = [
            ("POST", f"/api/v1/evaluations/{e}/decision", {"grade": "excellent"})
            for e in evaluations
        ]
        responses = asyncio.run(_all(live_server, headers, calls))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 3 + [409] * (WRITERS - 3), [r.text for r in responses]
        shown = http.get("/api/v1/evaluations/caps", params={"unit_id": ids["DX"]}).json()
        assert shown["items"][0]["excellent"] == 3


def test_flows_stay_exact_when_candidates_of_one_line_move_at_once(
    live_server: str,
) -> None:
    """Every step adds to the sums of the same units above (commune, district): concurrent
    steps in twelve cells must neither lose an addition nor deadlock."""
    headers = make_principal("admin", Role.admin, None)
    with httpx.Client(base_url=live_server, headers=headers) as http:
        ids = make_line(http, WRITERS)
        candidates = []
        for i in range(WRITERS):
            made = http.post(
                "/api/v1/recruitment/candidates",
                json={
                    "unit_id": ids[f"CB{i}"],
                    "full_name": f"Q {i}",
                    "source_since": "2024-01-02",
                },
            )
            assert made.status_code == 201, made.text
            candidates.append(made.json()["id"])
        for action, on in (("complete_course", "2024-03-01"), ("apply", "2025-02-03")):
            calls = [
                ("POST", f"/api/v1/recruitment/candidates/{c}/transitions",
                 {"action": action, "on": on})
                for c in candidates
            ]  # fmt: skip
            responses = asyncio.run(_all(live_server, headers, calls))
            assert [r.status_code for r in responses] == [200] * WRITERS, [
                r.text for r in responses
            ]
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
        assert kept == recomputed
        district = {(s, y, e, x) for u, r, s, y, e, x, _ in kept if u == ids["HU"] and r == "as_of"}
    assert district == {
        ("source", 2024, WRITERS, WRITERS),
        ("awareness_course", 2024, WRITERS, 0),
        ("awareness_course", 2025, 0, WRITERS),
        ("applied", 2025, WRITERS, 0),
    }
