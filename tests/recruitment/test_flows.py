"""The candidate flows summed over subtrees (app/recruitment/flows.py), which the reports read,
always equal their recomputation from the candidates themselves: after every write the API
takes (new candidates, each step of the pipeline, dates across years, drops, refused steps, a
unit moved with its candidates), on both databases."""

import random
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, delete
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.models import Candidate, CandidateDue, CandidateFlow, CandidateStage
from app.recruitment import flows
from app.recruitment.workflow import STEP_DATES
from tests.factories import make_admitted, make_candidate, make_tree, make_unit
from tests.helpers import Clock, FlowRow, flow_tables

CANDIDATES = "/api/v1/recruitment/candidates"
TODAY = date(2026, 6, 30)
S = CandidateStage

# What each action needs from the candidate's stage (the workflow), and what it must be sent.
ACTIONS = {
    "complete_course": {S.source, S.awareness_course},
    "apply": {S.awareness_course},
    "verify": {S.applied},
    "admit": {S.verified},
    "hold_ceremony": {S.admitted},
    "recognise": {S.admitted},
    "drop": {S.source, S.awareness_course, S.applied, S.verified, S.admitted},
}
EXTRA = {"decision_number": "125-QĐ/ĐU", "reason": "Chuyển đi nơi khác"}
DATE_FIELDS = (*STEP_DATES, "dropped_on")


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    clock.day = TODAY


def kept(engine: Engine) -> set[FlowRow]:
    with Session(engine) as session:
        return flow_tables(session)[0]


def recomputed(engine: Engine) -> set[FlowRow]:
    with Session(engine) as session:
        return flow_tables(session)[1]


def test_flows_of_a_candidate() -> None:
    """A stage is held from its date to the next one; same-day steps enter and exit at once."""
    candidate = Candidate(
        unit_id=1,
        full_name="x",
        search_key="x",
        stage=S.dropped,
        source_since=date(2021, 5, 1),
        course_completed_on=date(2022, 3, 1),
        applied_on=date(2022, 3, 1),
        verified_on=date(2023, 1, 9),
        dropped_on=date(2024, 2, 1),
    )
    assert flows.flows_of(candidate) == {
        (S.source, 2021, "entered"): 1,
        (S.source, 2022, "exited"): 1,
        (S.awareness_course, 2022, "entered"): 1,
        (S.awareness_course, 2022, "exited"): 1,
        (S.applied, 2022, "entered"): 1,
        (S.applied, 2023, "exited"): 1,
        (S.verified, 2023, "entered"): 1,
        (S.verified, 2024, "exited"): 1,
        (S.dropped, 2024, "entered"): 1,
    }
    assert flows.flows_of(None) == {}


def _last_date(candidate: dict[str, Any]) -> date:
    return max(date.fromisoformat(candidate[f]) for f in DATE_FIELDS if candidate.get(f))


def test_the_kept_flows_always_equal_a_recomputation(client: TestClient, engine: Engine) -> None:
    rng = random.Random(2026)
    tree = make_tree(client)
    other_commune = make_unit(client, name="Đảng bộ xã Thiện Kế", parent_id=tree["district"]["id"])
    cells = [tree["cell_a"], tree["cell_b"], tree["department"]]
    candidates: list[dict[str, Any]] = []
    for n in range(14):
        since = date(2021, 1, 4) + timedelta(days=rng.randrange(0, 4 * 365))
        unit = rng.choice(cells)
        candidates.append(
            make_candidate(client, unit, since.isoformat(), full_name=f"Quần chúng {n}")
        )
    assert kept(engine) == recomputed(engine)

    outcomes: dict[int, int] = {}
    moved, carried = 0, False
    for turn in range(150):
        if turn % 30 == 29:
            # A cell moves to the other commune and back, effective today or earlier (refused
            # before the tree's last change there): its sums of the move's year on follow it
            # up the tree, with the candidates it holds at that year's start.
            cell = tree["cell_a"]
            parent = other_commune["id"] if turn % 60 == 29 else tree["commune"]["id"]
            on = TODAY - timedelta(days=rng.choice([0, 200, 400, 800]))
            response = client.patch(
                f"/api/v1/units/{cell['id']}",
                json={"parent_id": parent, "effective_on": on.isoformat()},
            )
            assert response.status_code in {200, 409}, response.text
            moved += response.status_code == 200
            assert kept(engine) == recomputed(engine), f"after moving unit {cell['id']} on {on}"
            carried |= any(row[6] for row in kept(engine))
            continue
        i = rng.randrange(len(candidates))
        candidate = candidates[i]
        allowed = [a for a, stages in ACTIONS.items() if S(candidate["stage"]) in stages]
        if not allowed:
            continue
        # Dropping ends the way: rarely.
        onward = [a for a in allowed if a != "drop"]
        action = "drop" if rng.random() < 0.04 or not onward else rng.choice(onward)
        # Mostly forward within a few months, sometimes the same day, capped at today.
        last = _last_date(candidate)
        on = min(TODAY, last + timedelta(days=rng.choice([0, 0, 20, 90, 200, 400])))
        response = client.post(
            f"{CANDIDATES}/{candidate['id']}/transitions",
            json={"action": action, "on": on.isoformat(), **EXTRA},
        )
        # Some steps are refused by the rules (an expired course, probation not over): those
        # must change nothing, the flows included.
        assert response.status_code in {200, 409}, response.text
        outcomes[response.status_code] = outcomes.get(response.status_code, 0) + 1
        if response.status_code == 200:
            candidates[i] = response.json()
        assert kept(engine) == recomputed(engine), f"after {action} of candidate {i} on {on}"

    stages = {c["stage"] for c in candidates}
    assert {"official", "dropped", "admitted"} <= stages, stages  # the walk went the whole way
    assert outcomes.get(200, 0) > 40
    years = {row[3] for row in kept(engine)}
    assert len(years) >= 4, years
    assert moved >= 2
    assert carried  # some move carried the stock of a year's start


def test_recount_flows_restores_them_after_candidates_written_outside_the_api(
    client: TestClient, engine: Engine
) -> None:
    tree = make_tree(client)
    make_candidate(client, tree["cell_a"], "2024-03-04", full_name="Lê Văn An")
    make_admitted(client, tree["cell_a"], date(2025, 3, 4))  # due for its ceremony, and overdue
    wanted = kept(engine)
    assert wanted == recomputed(engine) != set()
    assert any(row[1] == "due" for row in wanted)
    with Session(engine) as session:  # a bulk import that bypassed the API
        session.execute(delete(CandidateFlow))
        session.execute(delete(CandidateDue))
        session.commit()
    assert kept(engine) == set()
    result = CliRunner().invoke(cli, ["recount-flows"])
    assert result.exit_code == 0, result.output
    flow_rows = sum(row[1] != "due" for row in wanted)
    assert f"candidate_flow: {flow_rows} rows" in result.output
    assert f"candidate_due: {len(wanted) - flow_rows} rows" in result.output
    assert kept(engine) == wanted
