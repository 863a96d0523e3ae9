"""Bulk imports racing each other and single-record writes into the same units on a live
server: none answers 5xx, each import is all or nothing and audited as one operation, every
acknowledged row is there, and the flows equal their recomputation."""

import httpx
from sqlmodel import Session

from app.core.db import engine
from tests.concurrency.writers import CANDIDATES, WRITERS, Call, acknowledged, burst
from tests.factories import make_line
from tests.helpers import flow_tables

IMPORTS = "/api/v1/imports"
ROWS = 5
TARGETS = 4


def test_imports_race_each_other_and_single_writes_into_one_line(http: httpx.Client) -> None:
    ids = make_line(http, cells=2)
    cells = [ids["CB0"], ids["CB1"]]

    def person(i: int, j: int) -> dict[str, object]:
        return {"unit_id": cells[j % 2], "full_name": f"N {i}-{j}", "source_since": "2024-01-02"}

    imports: list[Call] = [
        ("POST", IMPORTS, {"kind": "candidates", "rows": [person(i, j) for j in range(ROWS)]})
        for i in range(WRITERS // 2)
    ]
    singles: list[Call] = [("POST", CANDIDATES, person(100 + i, i)) for i in range(WRITERS // 2)]
    # The same target imported at once: one import creates it, the others update it or, having
    # looked before it was there, are refused whole as the single create would be (a conflict).
    target_rows = [{"unit_id": cells[0], "year": 2026, "target": 3 + i} for i in range(TARGETS)]
    targets: list[Call] = [("POST", IMPORTS, {"kind": "targets", "rows": [r]}) for r in target_rows]
    answered = burst(http, imports + singles + targets, "import", refusals=frozenset({409, 422}))
    imported = acknowledged(answered[: len(imports)])
    created = acknowledged(answered[len(imports) : len(imports) + len(singles)])
    targeted = acknowledged(answered[len(imports) + len(singles) :])
    assert len(imported) == len(imports)  # nothing to refuse among the candidates
    assert len(created) == len(singles)
    assert targeted
    for refused in answered[len(imports) + len(singles) :]:
        if not refused.is_success:
            [error] = refused.json()["summary"]["errors"]
            assert error["type"] == "/problems/conflict", refused.text

    assert all(r.json()["summary"]["created"] == ROWS for r in imported)  # all or nothing
    listed = http.get(CANDIDATES, params={"limit": 500, "count": "exact"}).json()
    assert listed["total"] == ROWS * len(imported) + len(created)
    audit = http.get(
        "/api/v1/audit-events", params={"action": "import", "limit": 500, "count": "exact"}
    ).json()
    assert sum(e["action"] == "import" for e in audit["items"]) == len(imported) + len(targeted)
    [target] = http.get("/api/v1/recruitment/targets", params={"unit_id": cells[0]}).json()["items"]
    assert target["target"] in {r["target"] for r in target_rows}
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
    assert kept == recomputed
