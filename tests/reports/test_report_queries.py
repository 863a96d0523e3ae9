"""The reports run a fixed number of SQL statements, whatever the number of units: the same for a
root with 5 children as for one with 40 (each child with two cells, and data everywhere).

Statements are counted on the app's engine while one request runs, authentication included (it
is the same for both trees).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlmodel import Session

from app.access.scope import SYSTEM, Scope
from app.core.db import engine
from app.core.text import search_key
from app.models import (
    Candidate,
    CandidateStage,
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Directive,
    Evaluation,
    EvaluationStatus,
    Grade,
    Person,
    RecruitmentOutcome,
    RecruitmentTarget,
    Role,
    UnitKind,
)
from app.recruitment import calendar, flows
from app.units.schemas import UnitCreate
from app.units.service import create_unit
from tests.helpers import Clock

TODAY = date(2024, 10, 15)
SIZES = (5, 40)
AUTH_TABLES = ("app_user", "user_grant", "api_key")


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def _candidate(unit_id: int, n: int) -> Candidate:
    """Candidates at several stages: a source, an applicant, an admission (ceremony overdue)."""
    stage = [CandidateStage.source, CandidateStage.applied, CandidateStage.admitted][n % 3]
    fields: dict[str, Any] = {}
    if stage != CandidateStage.source:
        fields |= {"course_completed_on": date(2023, 2, 1), "applied_on": date(2023, 5, 2)}
    if stage == CandidateStage.admitted:
        admitted = date(2024, 3, 1)
        fields |= {
            "verified_on": date(2023, 9, 1),
            "admitted_on": admitted,
            "decision_number": "1-QĐ/ĐU",
            "ceremony_due_on": calendar.ceremony_due_on(admitted),
        }
    return Candidate(
        unit_id=unit_id,
        full_name=f"Quần chúng {unit_id}-{n}",
        search_key=f"quan chung {unit_id} {n}",
        stage=stage,
        source_since=date(2022, 11, 1),
        **fields,
    )


def build_tree(session: Session, children: int, tag: str) -> int:
    """A district with `children` communes of two cells each, and records in every unit."""
    scope = Scope(session, SYSTEM)

    made_units: list[int] = []

    def unit(name: str, kind: UnitKind, parent_id: int | None) -> int:
        code = f"{tag}-{len(made_units) + 1}"
        unit_in = UnitCreate(code=code, name=name, kind=kind, parent_id=parent_id)
        made = create_unit(session, scope=scope, unit_in=unit_in)
        assert made.id is not None
        made_units.append(made.id)
        return made.id

    root = unit(f"Huyện ủy {tag}", UnitKind.district_committee, None)
    directive = Directive(
        code=f"05-CT/TW-{tag}",
        title="Chỉ thị 05",
        issuer="Bộ Chính trị",
        issued_on=date(2016, 5, 15),
        search_key="05 ct tw",
    )
    person = Person(full_name=f"Đồng chí {tag}", search_key=f"dong chi {tag}")
    session.add_all([directive, person])
    session.flush()
    statuses = list(CommitmentStatus)
    units = [(root, root)]
    for i in range(children):
        commune = unit(f"Đảng bộ xã {i:02d}", UnitKind.commune_committee, root)
        units.append((commune, root))
        secretary = f"Bí thư {tag} xã {i:02d}"
        session.add(Person(full_name=secretary, search_key=search_key(secretary)))
        session.add(
            Evaluation(
                unit_id=commune,
                year=2024,
                period="2024",
                period_start=date(2024, 1, 1),
                period_end=date(2024, 12, 31),
                status=EvaluationStatus.self_assessed,
                self_grade=Grade.good,
                self_assessed_by="bi-thu",
            )
        )
        session.add(
            RecruitmentOutcome(
                unit_id=commune,
                period_start=date(2023, 7, 1),
                period_end=date(2024, 6, 30) if i % 2 else date(2023, 12, 31),
                admitted=3,
            )
        )
        for j in range(2):
            cell = unit(f"Chi bộ {i:02d}-{j}", UnitKind.party_cell, commune)
            units.append((cell, commune))
            session.add_all(_candidate(cell, n) for n in range(3))
    for n, (unit_id, superior) in enumerate(units):
        session.add_all(
            RecruitmentTarget(unit_id=unit_id, year=year, target=2 + n % 4) for year in (2023, 2024)
        )
        session.add(
            Commitment(
                unit_id=unit_id,
                registered_with_id=superior,
                directive_id=directive.id,
                year=2024,
                kind=list(CommitmentKind)[n % 3],
                category=list(CommitmentCategory)[n % 8],
                status=statuses[n % len(statuses)],
                title=f"Việc khó {n}",
                progress_percent=n % 100,
                deadline=date(2024, 6, 30) if n % 2 else None,
                directing_person_id=person.id if n % 3 else None,
                search_key=f"viec kho {n}",
            )
        )
    session.add(
        Evaluation(
            unit_id=root,
            year=2024,
            period="2024",
            period_start=date(2024, 1, 1),
            period_end=date(2024, 12, 31),
            status=EvaluationStatus.self_assessed,
            self_grade=Grade.good,
            self_assessed_by="bi-thu",
        )
    )
    session.flush()
    flows.rebuild_sums(session.connection())  # candidates were added in bulk, as the generator does
    session.commit()
    return root


@contextmanager
def counting() -> Iterator[list[str]]:
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


Request = Callable[[int], tuple[str, dict[str, Any]]]
REQUESTS: dict[str, Request] = {
    "recruitment report": lambda root: (
        "/api/v1/reports/recruitment",
        {"root_id": root, "from_year": 2023, "to_year": 2024, "depth": 2},
    ),
    "recruitment report in today's tree": lambda root: (
        "/api/v1/reports/recruitment",
        {"root_id": root, "from_year": 2023, "to_year": 2024, "depth": 2, "structure": "current"},
    ),
    # Part of a year is counted on the candidates, not the yearly sums: as flat (the outcomes
    # of the data all lie within these half-years).
    "recruitment report of half-years": lambda root: (
        "/api/v1/reports/recruitment",
        {"root_id": root, "period": "2023S2..2024S2", "depth": 2},
    ),
    "recruitment report of half-years in today's tree": lambda root: (
        "/api/v1/reports/recruitment",
        {"root_id": root, "period": "2023S2..2024S2", "depth": 2, "structure": "current"},
    ),
    "recruitment report as XLSX": lambda root: (
        "/api/v1/reports/recruitment",
        {"root_id": root, "from_year": 2023, "to_year": 2024, "depth": 2, "format": "xlsx"},
    ),
    "commitments report": lambda root: (
        "/api/v1/reports/commitments",
        {"root_id": root, "year": 2024},
    ),
    "commitments report in today's tree": lambda root: (
        "/api/v1/reports/commitments",
        {"root_id": root, "year": 2024, "structure": "current"},
    ),
    "scorecard": lambda root: (f"/api/v1/units/{root}/scorecard", {"year": 2024}),
    "unit recruitment": lambda root: (
        f"/api/v1/units/{root}/recruitment",
        {"from_year": 2023, "to_year": 2024},
    ),
    "unit recruitment of half-years": lambda root: (
        f"/api/v1/units/{root}/recruitment",
        {"period": "2023S2..2024S2"},
    ),
}


@pytest.fixture
def roots(client: TestClient) -> dict[int, int]:
    with Session(engine, expire_on_commit=False) as session:
        return {size: build_tree(session, size, f"T{size}") for size in SIZES}


def _statements(client: TestClient, request: Request, root: int) -> tuple[list[str], Any]:
    url, params = request(root)
    with counting() as statements:
        response = client.get(url, params=params)
    assert response.status_code == 200, response.text
    return statements, response


@pytest.mark.parametrize("name", REQUESTS)
def test_a_report_runs_as_many_statements_for_40_children_as_for_5(
    client: TestClient, roots: dict[int, int], name: str
) -> None:
    request = REQUESTS[name]
    _statements(client, request, roots[SIZES[0]])  # warm up: the first request of a test
    found = {size: _statements(client, request, root) for size, root in roots.items()}
    small, big = (found[size][0] for size in SIZES)
    detail = "\n".join(["5 children:", *small, "", "40 children:", *big])
    assert len(small) == len(big), detail
    not_auth = [
        [s for s in statements if not any(t in s for t in AUTH_TABLES)]
        for statements in (small, big)
    ]
    assert len(not_auth[0]) == len(not_auth[1]), detail
    # A handful of grouped statements, not one per unit.
    assert len(small) <= 15, detail

    # The big tree's answer does hold the data of its 40 communes.
    response = found[SIZES[1]][1]
    if response.headers["content-type"].startswith("application/json"):
        body = response.json()
        if name.startswith("recruitment report") and "XLSX" not in name:
            assert len(body["rows"]) == 120
            assert body["totals"]["admitted_reported"] == 120
            assert body["totals"]["overdue_alerts"] == 80
        elif name.startswith("commitments report"):
            assert (len(body["rows"]), body["totals"]["total"]) == (40, 121)
            assert len(body["commitments"]) == 121
        elif name.startswith("unit recruitment"):
            assert len(body["children"]) == 40
            assert body["unit"]["admitted_reported"] == 120
        else:
            assert body["recruitment"]["candidates_by_stage"][0]["count"] == 80
            assert body["evaluation"] is not None


def _in_tree(root: int, _size: int) -> dict[str, Any]:
    return {"root_id": root}


# Each list with the parameters that keep one tree's rows (the trees share the database).
LISTS: dict[str, tuple[str, Callable[[int, int], dict[str, Any]]]] = {
    "units": ("/api/v1/units", _in_tree),
    "commitments": ("/api/v1/commitments", _in_tree),
    "candidates": ("/api/v1/recruitment/candidates", _in_tree),
    "targets": ("/api/v1/recruitment/targets", _in_tree),
    "outcomes": ("/api/v1/recruitment/outcomes", _in_tree),
    "evaluations": ("/api/v1/evaluations", _in_tree),
    # Audit rows have no root filter: the viewer's scope is what keeps one tree's.
    "audit events": ("/api/v1/audit-events", lambda _root, _size: {}),
    "changes": ("/api/v1/changes", lambda _root, _size: {"since": 0}),
    # People are shared by the whole tree: found by the names each tree gave them.
    "people": ("/api/v1/people", lambda _root, size: {"q": f"bi thu t{size} "}),
}
# An admin sees both trees' audit rows: only the viewer's scope tells the sizes apart there.
CASES = [
    (name, role)
    for name in LISTS
    for role in (Role.admin, Role.viewer)
    if (name, role) not in {("audit events", Role.admin), ("changes", Role.admin)}
]


@pytest.mark.parametrize(("name", "role"), CASES)
def test_a_list_runs_as_many_statements_for_a_page_of_many_rows_as_of_few(
    login: Callable[..., TestClient], roots: dict[int, int], name: str, role: Role
) -> None:
    """Lists load a page in a fixed number of statements (no query per row), for an admin and
    for a viewer whose scope is the tree (the scope filter is a subquery, not a loop)."""
    path, params_for = LISTS[name]
    counts, rows = {}, {}
    for size, root in roots.items():
        caller = login(role, None if role == Role.admin else root)
        params = params_for(root, size)
        caller.get(path, params=params)  # warm up
        with counting() as statements:
            response = caller.get(path, params=params | {"limit": 50})
        assert response.status_code == 200, response.text
        counts[size], rows[size] = len(statements), len(response.json()["items"])
    assert rows[SIZES[0]] < rows[SIZES[1]], rows
    assert counts[SIZES[0]] == counts[SIZES[1]], counts
