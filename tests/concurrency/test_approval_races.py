"""An approval racing writes to the figures it locks (issue 13, item 4): every write either
committed before the approval, or is refused with 409 /problems/period-locked; no 5xx.

The approval locks the approved unit's line, and each write its own unit's line, which holds the
approved unit: they take their turns, so the order of their audit events is the order they
committed in. Against a live server, as the other concurrency tests."""

from typing import Any

import httpx
import pytest

from tests.concurrency.writers import OUTCOMES, WRITERS, Call, burst, events
from tests.factories import make_line

APPROVALS = "/api/v1/approvals"


def approve(http: httpx.Client, unit_id: int) -> dict[str, Any]:
    created = http.post(APPROVALS, json={"unit_id": unit_id, "period": "2025"})
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


@pytest.mark.slow
@pytest.mark.parametrize("round_", range(3))
def test_an_approval_racing_writes_to_its_period(http: httpx.Client, round_: int) -> None:
    ids = make_line(http, cells=WRITERS)
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]
    for cell in cells:
        approval = approve(http, cell)
        stepped = http.post(f"{APPROVALS}/{approval['id']}/transitions", json={"action": "approve"})
        assert stepped.status_code == 200, stepped.text
    commune = approve(http, ids["DX"])

    calls: list[Call] = [
        (
            "POST",
            OUTCOMES,
            {
                "unit_id": ids["DX"],
                "period_start": f"2025-{month:02d}-01",
                "period_end": f"2025-{month:02d}-28",
                "admitted": 1,
            },
        )
        for month in range(1, 13)
    ]
    half = len(calls) // 2
    calls.insert(half, ("POST", f"{APPROVALS}/{commune['id']}/transitions", {"action": "approve"}))
    responses = burst(http, calls, f"race{round_}", refusals=frozenset({409}))

    decided = responses[half]
    assert decided.status_code == 200, decided.text
    writes = responses[:half] + responses[half + 1 :]
    for response in writes:
        if not response.is_success:
            assert response.json()["type"] == "/problems/period-locked", response.text
            assert response.json()["approval"]["id"] == commune["id"]
    # Every write that went through committed before the approval: its event comes first.
    trail = http.get(
        "/api/v1/audit-events",
        params={"entity_type": "approval", "entity_id": commune["id"], "limit": 500},
    ).json()["items"]
    approved_at = next(e["id"] for e in trail if e["action"] == "approve")
    created = events(http, "recruitment_outcome")
    acknowledged = [r.headers["x-request-id"] for r in writes if r.is_success]
    refused = [r.headers["x-request-id"] for r in writes if not r.is_success]
    event_ids = {
        e["request_id"]: e["id"]
        for e in http.get(
            "/api/v1/audit-events",
            params={"entity_type": "recruitment_outcome", "limit": 500},
        ).json()["items"]
    }
    assert sorted(acknowledged) == sorted(created)
    assert all(event_ids[request] < approved_at for request in acknowledged)
    assert not set(refused) & set(created)
    # And the figures are those of the acknowledged writes only.
    listed = http.get(
        OUTCOMES, params={"unit_id": ids["DX"], "limit": 500, "count": "exact"}
    ).json()
    assert listed["total"] == len(acknowledged)
