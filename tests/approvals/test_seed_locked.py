"""The article's 2022 figures of Hương Sơn, approved bottom-up, stay readable and unchanged, and
its reported 15 admissions can no longer be edited to 16 (issue 13's finding)."""

from typing import Any

from fastapi.testclient import TestClient

from app.core.config import settings
from app.seed import load_seed
from tests.factories import assert_problem
from tests.helpers import ok

API = "/api/v1"


def figures(client: TestClient, unit: dict[str, Any]) -> Any:
    return ok(
        client.get(
            f"{API}/units/{unit['id']}/recruitment", params={"from_year": 2021, "to_year": 2022}
        )
    )


def test_huong_son_2022_approved_and_locked(client: TestClient) -> None:
    load_seed(settings.seed_dir)
    commune = ok(client.get(f"{API}/units", params={"q": "huong son"}))["items"][0]
    before = figures(client, commune)
    assert before["unit"]["admitted_reported"] == 15
    outcomes = ok(client.get(f"{API}/recruitment/outcomes", params={"unit_id": commune["id"]}))
    outcome = next(o for o in outcomes["items"] if o["admitted"] == 15)

    report = ok(
        client.get(
            f"{API}/approvals/completeness", params={"root_id": commune["id"], "period": "2022"}
        )
    )
    # Bottom-up: the deepest units first, the commune last.
    for row in sorted(report["units"], key=lambda row: row["unit_id"] == commune["id"]):
        approval = ok(
            client.post(f"{API}/approvals", json={"unit_id": row["unit_id"], "period": "2022"}), 201
        )
        ok(client.post(f"{API}/approvals/{approval['id']}/transitions", json={"action": "approve"}))

    refused = assert_problem(
        client.patch(f"{API}/recruitment/outcomes/{outcome['id']}", json={"admitted": 16}), 409
    )
    assert refused["type"] == "/problems/period-locked"
    assert refused["approval"]["unit_id"] == commune["id"]
    assert refused["approval"]["period"] == "2022"
    assert ok(client.get(f"{API}/recruitment/outcomes/{outcome['id']}")) == outcome
    assert figures(client, commune) == before
    done = ok(
        client.get(
            f"{API}/approvals/completeness", params={"root_id": commune["id"], "period": "2022"}
        )
    )
    assert done["approved"] == done["expected"]
