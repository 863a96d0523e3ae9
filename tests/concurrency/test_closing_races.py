"""A close racing writes in its unit (issue 12, item 3): the close and each write take turns on
the unit's line, so the unit ends consistent: either the close was refused, or no record of the
unit belongs to its life after the closing day. No request answers 5xx."""

import httpx
import pytest

from tests.concurrency.writers import (
    CANDIDATES,
    OUTCOMES,
    WRITERS,
    Call,
    acknowledged,
    assert_audited,
    burst,
    events,
    ok_id,
)
from tests.factories import make_line

CLOSING_DAY = "2026-01-01"


# Where the close stands among the writes sent at once; None: it is answered before they start,
# so that the branch where the close wins is always taken once.
@pytest.mark.parametrize(
    "at", [None, 0, WRITERS * 3 // 4, WRITERS * 3 // 2], ids=["before", "first", "middle", "last"]
)
def test_a_close_racing_candidates_and_outcomes_of_its_unit(
    http: httpx.Client, at: int | None
) -> None:
    unit = make_line(http, cells=0)["DX"]
    candidates: list[Call] = [
        (
            "POST",
            CANDIDATES,
            {"unit_id": unit, "full_name": f"Nguồn {i}", "source_since": "2025-03-01"},
        )
        for i in range(WRITERS)
    ]
    # Months of 2025 stay in the unit's past whatever happens; those of 2026 follow its closing.
    outcomes: list[Call] = [
        (
            "POST",
            OUTCOMES,
            {
                "unit_id": unit,
                "period_start": f"{year}-{month:02d}-01",
                "period_end": f"{year}-{month:02d}-28",
                "admitted": 1,
            },
        )
        for year in (2025, 2026)
        for month in range(1, WRITERS // 4 + 1)
    ]
    # A candidate, an outcome, a candidate, and so on: 30 writes.
    writes = [*outcomes, *candidates]
    writes[::3], writes[1::3], writes[2::3] = candidates[::2], outcomes, candidates[1::2]
    close: Call = ("POST", f"/api/v1/units/{unit}/close", {"valid_to": CLOSING_DAY})
    if at is None:
        method, path, body = close
        assert http.request(method, path, json=body, headers={"X-Request-ID": "closed"}).is_success
        calls = writes
    else:
        calls = [*writes[:at], close, *writes[at:]]
    responses = burst(http, calls, "race")
    closed = at is None or responses[at].is_success

    kinds = {CANDIDATES: "candidate", OUTCOMES: "recruitment_outcome"}
    for path, kind in kinds.items():
        mine = [r for r, (_, p, _) in zip(responses, calls, strict=True) if p == path]
        assert_audited(http, kind, mine, [(ok_id(r), "create") for r in mine])
        kept = http.get(path, params={"root_id": unit, "limit": 500})
        assert sorted(item["id"] for item in kept.json()["items"]) == sorted(
            ok_id(r) for r in acknowledged(mine)
        )

    closing = "closed" if at is None else f"race-{at}"
    assert events(http, "unit").get(closing, []) == ([(unit, "close")] if closed else [])
    held = http.get(f"/api/v1/units/{unit}").json()
    if not closed:
        assert held["valid_to"] is None
        return
    assert held["valid_to"] == CLOSING_DAY
    # Every candidate written is still in the pipeline: none may stand in a closed unit.
    assert http.get(CANDIDATES, params={"root_id": unit, "count": "exact"}).json()["total"] == 0
    periods = http.get(OUTCOMES, params={"root_id": unit, "limit": 500}).json()["items"]
    assert all(o["period_end"] < CLOSING_DAY for o in periods), periods
