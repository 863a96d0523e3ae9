"""Reorganisations racing each other and the writes they reorganise (issue 12, concurrency): no
request answers 5xx (on PostgreSQL a lock taken out of the one order of app/tree/lineage.py
deadlocks and answers 500), a refusal is a 409, 412 or 422 problem, every accepted event is
audited and listed, the tree of every day stays a tree whose closure rows are exactly the
transitive closure of its parent links, no unit is lost, no record lives in a closed unit's life
after its closing, and a dry run writes nothing.

Against a live server, as tests/concurrency/test_write_families.py, so that the requests really
overlap; on SQLite they queue on the database lock and the same assertions hold. Each test
prints how many requests of each kind ended how (`pytest -s`)."""

from collections import Counter
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col

from app.commitments.workflow import FINISHED
from app.core.db import engine
from app.models import SINCE_EVER, UNTIL_CHANGED, Candidate, CandidateStage, Unit, UnitClosure
from app.tree.holdings import held_from
from tests.concurrency.writers import (
    CANDIDATES,
    OUTCOMES,
    Call,
    acknowledged,
    assert_audited,
    burst,
    ok_id,
)
from tests.factories import make_line
from tests.helpers import Clock, flow_tables

TODAY = date(2026, 6, 30)
EVENTS = "/api/v1/reorganisations"
UNITS = "/api/v1/units"
TARGETS = "/api/v1/recruitment/targets"
COMMITMENTS = "/api/v1/commitments"
BASIS = ["Nghị quyết 1676/NQ-UBTVQH15"]
REFUSALS = frozenset({409, 412, 422})
FEB, APR, JUN = "2026-02-01", "2026-04-01", "2026-06-01"


@pytest.fixture(autouse=True)
def frozen_today(clock: Clock) -> None:
    """The live server runs in this process: it reads the same frozen today."""
    clock.day = TODAY


def event(on: str, *operations: dict[str, Any]) -> Call:
    return ("POST", EVENTS, {"effective_on": on, "legal_basis": BASIS, "operations": operations})


def add_units(http: httpx.Client, ids: dict[str, int], *units: tuple[str, str, str | None]) -> None:
    for code, kind, parent in units:
        body = {"code": code, "name": code, "kind": kind, "parent_id": ids.get(parent or "")}
        created = http.post(UNITS, json=body)
        assert created.status_code == 201, created.text
        ids[code] = created.json()["id"]


def tally(label: str, calls: list[Call], responses: list[httpx.Response]) -> Counter[str]:
    """How requests of each kind ended, printed (the measure the report quotes)."""
    counts: Counter[str] = Counter()
    reasons: set[str] = set()
    for (method, path, body), response in zip(calls, responses, strict=True):
        kind = kind_of(method, path, body)
        counts[f"{kind} {response.status_code}"] += 1
        if not response.is_success:
            reasons.add(f"{kind} {response.status_code}: {response.json()['detail'][:110]}")
    print(f"\n{label}: " + ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())))
    print("\n".join(f"  {reason}" for reason in sorted(reasons)))
    return counts


def kind_of(method: str, path: str, body: Any) -> str:
    if path.startswith(EVENTS):
        ops = "+".join(o["op"] for o in body["operations"])
        return f"{'dry ' if 'dry_run' in path else ''}event({ops})"
    if path.endswith("/transitions"):
        return f"{path.split('/')[3]} step"
    parts = path.split("/")
    return f"{method} {parts[-1] if method == 'POST' else parts[-2]}"


# --- what every day's tree must be -------------------------------------------------------------


def days_to_check(session: Session) -> list[date]:
    """Every day a closure row begins or ends, the day before each, and today."""
    bounds: set[date] = {TODAY}
    for column in (UnitClosure.valid_from, UnitClosure.valid_to):
        for (day,) in session.execute(select(col(column)).distinct()):
            if day not in (SINCE_EVER, UNTIL_CHANGED):
                bounds |= {day, day - timedelta(days=1)}
    return sorted(bounds)


def assert_trees_consistent(expected_units: int | None = None, min_days: int = 2) -> None:
    """On every day where the tree changed (and the day before): each unit has at most one
    parent, its closure rows are exactly the transitive closure of the parent links (no cycle,
    no duplicate), no open unit hangs under a unit closed on that day, and today's parent and
    level are those the units' own rows hold. No unit is lost: every unit has its own row."""
    with Session(engine) as session:
        units = {u.id: u for u in session.execute(select(Unit)).scalars()}
        if expected_units is not None:
            assert len(units) == expected_units
        rows = session.execute(
            select(
                col(UnitClosure.ancestor_id),
                col(UnitClosure.descendant_id),
                col(UnitClosure.depth),
                col(UnitClosure.valid_from),
                col(UnitClosure.valid_to),
            )
        ).all()
        days = days_to_check(session)
    assert len(days) >= min_days

    def open_on(unit: Unit, day: date) -> bool:
        return (unit.valid_from is None or unit.valid_from <= day) and (
            unit.valid_to is None or unit.valid_to > day
        )

    for day in days:
        held = [(a, d, depth) for a, d, depth, start, end in rows if start <= day < end]
        assert len(held) == len(set(held)), f"duplicate closure rows on {day}"
        parents: dict[int, list[int]] = {}
        for a, d, depth in held:
            if depth == 1:
                parents.setdefault(d, []).append(a)
        assert all(len(p) == 1 for p in parents.values()), (day, parents)
        parent = {d: p[0] for d, p in parents.items()}
        expected = set()
        for unit_id in units:
            node, depth, seen = unit_id, 0, set()
            while node is not None:
                assert node not in seen, f"a cycle through {unit_id} on {day}"
                seen.add(node)
                expected.add((node, unit_id, depth))
                node, depth = parent.get(node), depth + 1
        assert set(held) == expected, (
            day,
            sorted(parent.items()),
            "extra",
            sorted(set(held) - expected),
            "missing",
            sorted(expected - set(held)),
        )
        for child, above in parent.items():
            if open_on(units[child], day):
                assert open_on(units[above], day), f"open {child} under closed {above} on {day}"
        if day == TODAY:
            for unit_id, unit in units.items():
                assert unit.parent_id == parent.get(unit_id), unit_id
                assert unit.level == sum(1 for _, d, k in expected if d == unit_id and k > 0)


def assert_no_record_after_closing() -> None:
    """No closed unit holds a record of its life after its closing (the rules of a close), and,
    checked apart from them, no candidate in the pipeline or with a step on or after it."""
    with Session(engine) as session:
        closed = session.execute(select(Unit).where(col(Unit.valid_to).is_not(None))).scalars()
        for unit in closed:
            assert unit.valid_to is not None
            assert held_from(session, unit_id=unit.id, day=unit.valid_to, finished=FINISHED) == []
        after = session.execute(
            select(func.count())
            .select_from(Candidate)
            .join(Unit, col(Unit.id) == col(Candidate.unit_id))
            .where(
                col(Unit.valid_to).is_not(None),
                sa.or_(
                    col(Candidate.stage).not_in([CandidateStage.official, CandidateStage.dropped]),
                    col(Candidate.source_since) >= col(Unit.valid_to),
                ),
            )
        ).scalar_one()
        assert after == 0


def assert_flows_exact() -> None:
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
    assert kept == recomputed


def row_counts() -> dict[str, int]:
    with Session(engine) as session:
        return {
            table.name: session.execute(select(func.count()).select_from(table)).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


def request_ids_audited(http: httpx.Client) -> set[str]:
    """The request id of every event of the audit trail, of every kind of record."""
    found: set[str] = set()
    offset = 0
    while True:
        page = http.get(
            "/api/v1/audit-events", params={"limit": 500, "offset": offset, "count": "exact"}
        ).json()
        found |= {event["request_id"] for event in page["items"]}
        offset += len(page["items"])
        if offset >= page["total"]:
            return found


def assert_events_recorded(
    http: httpx.Client, calls: list[Call], responses: list[httpx.Response]
) -> None:
    """Each accepted event is audited under its request id and listed; a refused request (of
    any kind) left no audit event of any kind."""
    mine = [(c, r) for c, r in zip(calls, responses, strict=True) if c[1] == EVENTS]
    events = [r for _, r in mine]
    assert_audited(http, "reorganisation", events, [(ok_id(r), "create") for r in events])
    listed = http.get(EVENTS, params={"limit": 500}).json()["items"]
    assert {e["id"] for e in listed} >= {ok_id(r) for r in acknowledged(events)}
    trail = request_ids_audited(http)
    for response in responses:
        if not response.is_success:
            assert response.headers["x-request-id"] not in trail, response.text


# --- 1. reorganisations racing each other ------------------------------------------------------


def racing_events(ids: dict[str, int]) -> list[Call]:
    """Twenty-odd events over one district's line, effective on three days: the same commune
    merged into two others, split, moved, its district dissolved, its cells moved and
    dissolved, a new commune established and another merged into it."""
    cells = [ids[f"CB{i}"] for i in range(10)]
    split = {
        "op": "split",
        "source": ids["DX"],
        "into": [ids["DY"], ids["DZ"]],
        "children": [
            {"unit": c, "to": ids["DY"] if n < 5 else ids["DZ"]} for n, c in enumerate(cells)
        ],
    }
    calls = [
        *(event(APR, {"op": "merge", "sources": [ids["DX"]], "into": ids["DY"]}) for _ in range(3)),
        event(FEB, {"op": "merge", "sources": [ids["DX"]], "into": ids["DZ"]}),
        event(JUN, split),
        event(APR, {"op": "dissolve", "unit": ids["HU"], "children_to": ids["HV"]}),
        *(event(FEB, {"op": "move", "unit": ids["DX"], "parent": ids["HV"]}) for _ in range(2)),
        *(event(FEB if n % 2 else JUN, {"op": "move", "unit": c, "parent": ids["DY"]})
          for n, c in enumerate(cells[:6])),
        event(APR, {"op": "dissolve", "unit": cells[7]}),
        event(JUN, {"op": "dissolve", "unit": cells[8]}),
        event(
            APR,
            {"op": "establish", "ref": "new", "code": "DN", "name": "DN",
             "kind": "commune_committee", "parent": ids["HU"]},
            {"op": "merge", "sources": [ids["DZ"]], "into": "new"},
        ),
        event(JUN, {"op": "rename", "unit": ids["DY"], "name": "Đảng ủy xã Mới"}),
        event(FEB, {"op": "move", "unit": ids["DY"], "parent": ids["HV"]}),
        event(JUN, {"op": "merge", "sources": [ids["DY"], ids["DZ"]], "into": ids["DX"]}),
    ]  # fmt: skip
    return calls


def line_to_reorganise(http: httpx.Client) -> dict[str, int]:
    """District HU → communes DX (ten cells), DY, DZ; and a district HV."""
    ids = make_line(http, cells=10)
    add_units(
        http,
        ids,
        ("HV", "district_committee", None),
        ("DY", "commune_committee", "HU"),
        ("DZ", "commune_committee", "HU"),
    )
    return ids


@pytest.mark.slow
def test_reorganisations_of_one_line_at_once(http: httpx.Client) -> None:
    """Twenty events over one line at once, twice: each is accepted or refused whole (201, or
    409/422 naming its operation), the trees of every day stay trees, no unit is lost, every
    accepted event is audited, listed and closed what its plan says."""
    ids = line_to_reorganise(http)
    calls = racing_events(ids)
    assert len(calls) >= 20
    counts: Counter[str] = Counter()
    # Twice: the second round meets the tree the first one left, closed units and all.
    for round_ in ("first", "second"):
        before = len(http.get(UNITS, params={"include_closed": True, "limit": 500}).json()["items"])
        responses = burst(http, calls, f"reorg-{round_}", REFUSALS)
        counts += tally(f"events, {round_} round", calls, responses)
        accepted = acknowledged(responses)
        # Each event alone is valid on the first round's tree: the first served is accepted.
        assert accepted or round_ == "second"
        opened = sum(len(r.json()["plan"]["opened"]) for r in accepted)
        assert_events_recorded(http, calls, responses)
        # At least the day of an accepted event, the day before it and today are checked (which
        # events win the race, hence how many days the tree changed on, varies from run to run).
        assert_trees_consistent(expected_units=before + opened, min_days=3)
        assert_no_record_after_closing()
        for response in accepted:
            shown = http.get(f"{EVENTS}/{response.json()['id']}").json()
            assert shown["plan"] == response.json()["plan"]
            for closed in response.json()["plan"]["closed"]:
                unit = http.get(f"{UNITS}/{closed['unit_id']}").json()
                assert unit["valid_to"] == response.json()["effective_on"]
    # The same commune merged three times on one day: once at most.
    merges = http.get(EVENTS, params={"unit_id": ids["DX"], "limit": 500}).json()["items"]
    assert sum(1 for e in merges for c in e["plan"]["closed"] if c["unit_id"] == ids["DX"]) <= 1
    print(f"\nevents, both rounds: {dict(sorted(counts.items()))}")


# --- 2. writes racing a reorganisation ---------------------------------------------------------


def commune_at_work(http: httpx.Client) -> dict[str, Any]:
    """District HU → DX (ten cells, a candidate in each, an in-progress commitment registered
    with HU, a target of 2026) and DY; a district HV → DW."""
    ids = make_line(http, cells=10)
    add_units(
        http,
        ids,
        ("HV", "district_committee", None),
        ("DY", "commune_committee", "HU"),
        ("DW", "commune_committee", "HV"),
    )
    candidates = []
    for i in range(10):
        body = {"unit_id": ids[f"CB{i}"], "full_name": f"Nguồn {i}", "source_since": "2026-01-05"}
        made = http.post(CANDIDATES, json=body)
        assert made.status_code == 201, made.text
        candidates.append(made.json()["id"])
    directive = http.post(
        "/api/v1/directives",
        json={"code": "05-CT/TW", "title": "Chỉ thị 05", "issuer": "Bộ Chính trị",
              "issued_on": "2016-05-15"},
    ).json()  # fmt: skip
    commitment = http.post(
        COMMITMENTS,
        json={"unit_id": ids["DX"], "registered_with_id": ids["HU"],
              "directive_id": directive["id"], "year": 2026, "kind": "difficult_task",
              "category": "party_recruitment", "title": "Việc khó"},
    ).json()  # fmt: skip
    for action in ("register", "accept", "start"):
        step = http.post(f"{COMMITMENTS}/{commitment['id']}/transitions", json={"action": action})
        assert step.is_success, step.text
    target = http.post(TARGETS, json={"unit_id": ids["DX"], "year": 2026, "target": 5})
    assert target.status_code == 201, target.text
    return {
        "ids": ids,
        "candidates": candidates,
        "commitment": commitment["id"],
        "target": target.json()["id"],
    }


def writes_into(world: dict[str, Any]) -> tuple[list[Call], list[int]]:
    """Thirty-odd writes into the commune and its cells, dated in June 2026; and the indexes of
    those that belong to the commune's own life on or after 1 June (a merge effective then and
    each of them exclude each other: the one that comes second is refused with 409)."""
    ids, cells = world["ids"], [world["ids"][f"CB{i}"] for i in range(10)]
    # The commune's own outcomes of June, and its cells' of May: no two overlap in a line.
    halves = [("2026-06-01", "2026-06-14"), ("2026-06-15", "2026-06-28")]
    may = {"period_start": "2026-05-01", "period_end": "2026-05-28", "admitted": 1}
    own: list[Call] = [
        *(("POST", CANDIDATES,
           {"unit_id": ids["DX"], "full_name": f"Tại xã {i}", "source_since": "2026-06-02"})
          for i in range(3)),
        *(("POST", OUTCOMES,
           {"unit_id": ids["DX"], "period_start": a, "period_end": b, "admitted": 1})
          for a, b in halves),
        ("PATCH", f"{UNITS}/{ids['DX']}", {"parent_id": ids["HV"]}),
    ]  # fmt: skip
    others: list[Call] = [
        # A target of a later year: written first, the merge carries it to the successor.
        ("POST", TARGETS, {"unit_id": ids["DX"], "year": 2027, "target": 2}),
        *(("POST", CANDIDATES,
           {"unit_id": c, "full_name": f"Mới {n}", "source_since": "2026-06-10"})
          for n, c in enumerate(cells[:8])),
        *(("POST", f"{CANDIDATES}/{c}/transitions",
           {"action": "complete_course", "on": "2026-06-20"})
          for c in world["candidates"]),
        *(("POST", OUTCOMES, {"unit_id": c, **may}) for c in cells[:4]),
        *(("POST", f"{COMMITMENTS}/{world['commitment']}/progress-updates",
           {"reported_on": "2026-06-20", "progress_percent": 40 + n, "note": "Tiến độ"})
          for n in range(2)),
        ("PATCH", f"{TARGETS}/{world['target']}", {"target": 6}),
        # A cell moved today: before the merge, it stops it (the cell's line changed after 1
        # June); after it, it leaves the cell's new commune.
        ("PATCH", f"{UNITS}/{cells[9]}", {"parent_id": ids["DW"]}),
    ]  # fmt: skip
    return [*own, *others], list(range(len(own)))


def audited_as(method: str, path: str, response: httpx.Response) -> tuple[str, Any]:
    """The entity type and (id, action) an acknowledged write is audited as."""
    parts = path.split("/")
    if path.endswith("/transitions"):
        return "candidate", (int(parts[-2]), "complete_course")
    if path.endswith("/progress-updates"):
        return "progress_update", (ok_id(response), "create")
    kind = {"candidates": "candidate", "outcomes": "recruitment_outcome",
            "targets": "recruitment_target", "units": "unit"}  # fmt: skip
    if method == "PATCH":
        return kind[parts[-2]], (int(parts[-1]), "update")
    return kind[parts[-1]], (ok_id(response), "create")


# Where the event stands among the writes; None: answered before they start, so the branch
# where it wins is taken every run.
@pytest.mark.slow
@pytest.mark.parametrize("at", [None, 0, 12], ids=["before", "first", "middle"])
def test_writes_racing_a_merge_of_their_unit(http: httpx.Client, at: int | None) -> None:
    world = commune_at_work(http)
    ids = world["ids"]
    merge = event(JUN, {"op": "merge", "sources": [ids["DX"]], "into": ids["DY"]})
    writes, own = writes_into(world)
    if at is None:
        method, path, body = merge
        first = http.request(method, path, json=body, headers={"X-Request-ID": "merged"})
        assert first.status_code == 201, first.text
        calls, responses = writes, burst(http, writes, "race", REFUSALS)
        merged = first
    else:
        calls = [*writes[:at], merge, *writes[at:]]
        responses = burst(http, calls, "race", REFUSALS)
        merged = responses[at]
        del calls[at], responses[at]
    tally(f"writes racing a merge ({at=})", [*calls, merge], [*responses, merged])
    assert merged.status_code in {201, 409}, merged.text

    for (method, path, _), response in zip(calls, responses, strict=True):
        if response.is_success:
            entity_type, written = audited_as(method, path, response)
            assert_audited(http, entity_type, [response], [written])
            if method == "POST" and not path.endswith(("/transitions", "/progress-updates")):
                assert http.get(f"{path}/{ok_id(response)}").status_code == 200
    assert_events_recorded(http, [*calls, merge], [*responses, merged])
    dx = http.get(f"{UNITS}/{ids['DX']}").json()
    mine = [responses[i] for i in own]
    if merged.is_success:
        assert dx["valid_to"] == JUN
        # The commune's own life from 1 June was not written: each such write lost (409), as
        # it came after the merge, or the merge would have been refused.
        assert [r.status_code for r in mine] == [409] * len(mine), [r.text for r in mine]
        for cell in range(9):  # the tenth may have moved on today
            ancestors = http.get(f"{UNITS}/{ids[f'CB{cell}']}/ancestors").json()
            assert ids["DY"] in [a["id"] for a in ancestors]
    else:
        assert dx["valid_to"] is None
        assert any(r.is_success for r in mine)
    # Writes outside the commune's own life are never refused for it. Of two progress reports
    # on one commitment at once the second may find it changed (412); so may a write to a
    # record the merge changed meanwhile: the commitment it carried, the target it carried,
    # the cell it moved.
    changed = ("/progress-updates", f"{TARGETS}/{world['target']}", f"{UNITS}/{ids['CB9']}")
    others = [(c, r) for i, (c, r) in enumerate(zip(calls, responses, strict=True)) if i not in own]
    for (method, path, body), response in others:
        stale = path.endswith(changed[0]) or (merged.is_success and path.endswith(changed))
        allowed = {200, 201, 412} if stale else {200, 201}
        if method == "POST" and path == TARGETS and body and body["unit_id"] == ids["DX"]:
            # After the merge, the commune takes no target of 2027 (409); before it, the merge
            # carried it to the successor.
            allowed = {201, 409} if merged.is_success else {201}
            if response.is_success and merged.is_success:
                assert http.get(f"{TARGETS}/{ok_id(response)}").json()["unit_id"] == ids["DY"]
        assert response.status_code in allowed, response.text
    assert_trees_consistent()
    assert_no_record_after_closing()
    assert_flows_exact()


# --- 3. dry runs racing real events ------------------------------------------------------------


def dry(call: Call) -> Call:
    method, path, body = call
    return (method, f"{path}?dry_run=true", body)


@pytest.mark.slow
def test_dry_runs_racing_real_events_write_nothing(http: httpx.Client) -> None:
    ids = line_to_reorganise(http)
    real = racing_events(ids)
    # Each real event with its dry twin, interleaved.
    calls = [c for pair in zip(real, map(dry, real), strict=True) for c in pair]
    before = row_counts()
    responses = burst(http, calls, "dry", REFUSALS)
    tally("dry runs and real events", calls, responses)
    dry_answers = responses[1::2]
    assert all(r.status_code == 200 and r.json()["id"] is None for r in dry_answers), [
        r.text for r in dry_answers if r.status_code != 200
    ]
    assert_events_recorded(http, calls, responses)
    # Every row written belongs to an accepted real event: its event, units, links, versions.
    accepted = acknowledged(responses[0::2])
    after = row_counts()
    assert after["reorganisation"] - before["reorganisation"] == len(accepted)
    opened = sum(len(r.json()["plan"]["opened"]) for r in accepted)
    assert after["unit"] - before["unit"] == opened
    links = sum(
        len(r.json()["plan"]["opened"])
        + sum(max(1, len(c["successor_ids"])) for c in r.json()["plan"]["closed"])
        for r in accepted
    )
    assert after["unit_lineage"] - before["unit_lineage"] == links
    trail = request_ids_audited(http)
    for response in dry_answers:
        assert response.headers["x-request-id"] not in trail
    assert_trees_consistent(expected_units=after["unit"])

    # Dry runs alone, racing each other over the tree the events left: not one row changes.
    settled = row_counts()
    responses = burst(http, [dry(c) for c in real] * 2, "dry-only", REFUSALS)
    assert {r.status_code for r in responses} == {200}
    assert row_counts() == settled


def test_a_back_dated_move_of_a_unit_whose_subtree_grew_since_is_refused(
    http: httpx.Client,
) -> None:
    """Found by the dry-run race: a commune merged into DY on 1 April, then DY moved to another
    district from 1 February. On 1 February DY's subtree was DY alone, so the move passed the
    "no later change" rule and re-hung DY only: the cells that joined it in April kept rows
    under the old district, two grandparents on every day from April. The move must be refused
    (409): it would rewrite the days from April."""
    ids = line_to_reorganise(http)
    merged = burst(
        http, [event(APR, {"op": "merge", "sources": [ids["DX"]], "into": ids["DY"]})], "merge"
    )
    assert merged[0].status_code == 201, merged[0].text
    moved = burst(
        http, [event(FEB, {"op": "move", "unit": ids["DY"], "parent": ids["HV"]})], "move", REFUSALS
    )
    assert moved[0].status_code == 409, moved[0].text
    assert "changed on 2026-04-01" in moved[0].json()["detail"]
    assert_trees_consistent()
