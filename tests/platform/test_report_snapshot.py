"""A report reads one snapshot: while admissions and commitments are being written, every report
still adds up (its rows to its totals, its list to its counts, no negative figure)."""

import threading
from collections import Counter
from typing import Any

import httpx
from fastapi.testclient import TestClient

from tests.factories import make_directive, make_tree

YEAR = 2025
ROUNDS = 40


def _stages(figures: dict[str, Any]) -> list[int]:
    return [s["count"] for s in figures["candidates_by_stage"]]


def _figure_problems(where: str, figures: dict[str, Any]) -> list[str]:
    """Within one unit's figures: individual admissions are what was admitted less what a
    reported outcome already stands for, never below zero."""
    if figures["admitted_individual"] < 0:
        return [f"{where}: admitted_individual {figures['admitted_individual']} < 0"]
    return []


def _sum_problems(where: str, rows: list[dict[str, Any]], totals: dict[str, Any]) -> list[str]:
    """The root has no records of its own: its totals are its children's sums."""
    problems = []
    for key in ("admitted", "admitted_individual", "admitted_reported"):
        summed = sum(r[key] for r in rows)
        if summed != totals[key]:
            problems.append(f"{where}: rows' {key} add up to {summed}, totals say {totals[key]}")
    stages = [sum(column) for column in zip(*(_stages(r) for r in rows), strict=True)]
    if stages != _stages(totals):
        problems.append(f"{where}: rows' stages {stages}, totals {_stages(totals)}")
    return problems


def _check_reports(http: httpx.Client, commune: int, cell: int) -> list[str]:
    problems: list[str] = []
    report = http.get(
        "/api/v1/reports/recruitment", params={"root_id": commune, "from_year": YEAR}
    ).json()
    problems += _sum_problems("recruitment report", report["rows"], report["totals"])
    for row in [*report["rows"], report["totals"]]:
        problems += _figure_problems("recruitment report", row)

    progress = http.get(f"/api/v1/units/{commune}/recruitment", params={"from_year": YEAR}).json()
    problems += _sum_problems("progress", progress["children"], progress["unit"])
    for figures in [*progress["children"], progress["unit"]]:
        problems += _figure_problems("progress", figures)

    card = http.get(f"/api/v1/units/{cell}/scorecard", params={"year": YEAR}).json()
    problems += _figure_problems("scorecard", card["recruitment"])

    commitments = http.get(
        "/api/v1/reports/commitments", params={"root_id": commune, "year": YEAR}
    ).json()
    counted = commitments["totals"]["total"]
    if counted != len(commitments["commitments"]):
        problems.append(f"commitments: {counted} counted, {len(commitments['commitments'])} listed")
    if counted != sum(r["total"] for r in commitments["rows"]):
        problems.append("commitments: rows do not add up to the total")
    return problems


def test_reports_add_up_while_records_are_written(client: TestClient, live_server: str) -> None:
    world = make_tree(client)
    commune, cell_a, cell_b = world["commune"], world["cell_a"], world["cell_b"]
    directive = make_directive(client)
    # Cell A's admissions of the year are reported as a count: each individual admission
    # written from now on is at once counted (as admitted) and taken back (as covered), by two
    # different statements of a report.
    outcome = client.post(
        "/api/v1/recruitment/outcomes",
        json={
            "unit_id": cell_a["id"],
            "period_start": f"{YEAR}-01-01",
            "period_end": f"{YEAR}-12-31",
            "admitted": 3,
            "replaces_individual": True,
        },
    )
    assert outcome.status_code == 201, outcome.text
    headers = dict(client.headers)
    stop = threading.Event()
    written: Counter[str] = Counter()
    failures: list[str] = []

    def write() -> None:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:

            def ok(response: httpx.Response) -> dict[str, Any]:
                if response.status_code >= 300:
                    failures.append(f"{response.request.url}: {response.status_code}")
                return response.json()  # type: ignore[no-any-return]

            n = 0
            while not stop.is_set():
                n += 1
                candidate = ok(
                    http.post(
                        "/api/v1/recruitment/candidates",
                        json={
                            "unit_id": cell_a["id"],
                            "full_name": f"Nguyễn Văn Nguồn {n}",
                            "source_since": f"{YEAR}-01-02",
                        },
                    )
                )
                for action, day in (
                    ("complete_course", "02-03"),
                    ("apply", "03-03"),
                    ("verify", "04-01"),
                    ("admit", "05-04"),
                ):
                    ok(
                        http.post(
                            f"/api/v1/recruitment/candidates/{candidate['id']}/transitions",
                            json={
                                "action": action,
                                "on": f"{YEAR}-{day}",
                                "decision_number": f"{n}-QĐ/ĐU",
                            },
                        )
                    )
                written["admissions"] += 1
                ok(
                    http.post(
                        "/api/v1/commitments",
                        json={
                            "unit_id": cell_b["id"],
                            "registered_with_id": commune["id"],
                            "directive_id": directive["id"],
                            "year": YEAR,
                            "kind": "difficult_task",
                            "category": "party_recruitment",
                            "title": f"Việc khó {n}",
                        },
                    )
                )
                written["commitments"] += 1

    writer = threading.Thread(target=write)
    writer.start()
    problems: list[str] = []
    try:
        with httpx.Client(base_url=live_server, headers=headers, timeout=30) as http:
            for _ in range(ROUNDS):
                problems += _check_reports(http, commune["id"], cell_a["id"])
    finally:
        stop.set()
        writer.join()
    assert failures == []
    assert written["admissions"] >= 3, "the writer must have written while the reports ran"
    assert problems == []
