"""History is immutable (issue 12, "Done when"): a random small tree, a random walk of
reorganisations, dated edits and record writes, and after every step

1. every report of every period that ended before the step's effective day (before the current
   year, for a record write; any period at all, for a refused step) answers byte for byte what
   it answered before the step, and so does the tree of every earlier day;
2. `structure=current` admissions equal a recomputation in plain Python from the records the
   test wrote, each unit read under today's tree with a closed unit under the unit that carries
   its history on (`/units/{id}/lineage`), or where it stood when it closed; the top root has
   the same totals under both structures;
3. the candidate flow sums the writes keep equal their recomputation from the candidates.

"Byte for byte" holds today still: a step never moves the service's today, so each answer is
compared with the one given the same day (`issued_on` and the figures read as of today, such
as overdue alerts, included). Moving today is a step of its own, after which the answers are
read again. The test admits candidates with their ceremony the same day and keeps today within
a year of every admission, so no alert is ever overdue: an overdue alert is a figure of today,
which a past period's report rightly shows as it changes.
"""

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import count
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from tests.factories import make_candidate, make_directive, make_target, make_unit
from tests.helpers import Clock, flow_tables, ok

API = "/api/v1"
CANDIDATES = f"{API}/recruitment/candidates"
START = date(2026, 2, 2)  # today when a walk begins; it moves on by at most STEPS × 14 days
CURRENT = START.year
PAST = (2024, 2025)
# The periods every report is read for: each past year, both, and the current year.
PERIODS = ((2024, 2024), (2025, 2025), (2024, 2025), (CURRENT, CURRENT), (2025, CURRENT))
# Days whose tree is compared, with the day before each step's effective day.
TREE_DAYS = (date(2024, 12, 31), date(2025, 7, 1), date(2025, 12, 31), date(CURRENT, 1, 1))
EXTRA = {"decision_number": "125-QĐ/ĐU"}
STEPS = 8
_codes = count(1)


@dataclass
class World:
    """One example's tree and the records the test wrote into it."""

    client: TestClient
    province: int
    units: list[int] = field(default_factory=list)  # every unit made, closed ones included
    candidate_cells: list[int] = field(default_factory=list)
    outcome_cells: list[int] = field(default_factory=list)
    directive: int = 0
    candidates: dict[int, dict[str, Any]] = field(default_factory=dict)
    # (unit, period_end's year, admitted) of every outcome written
    outcomes: list[tuple[int, int, int]] = field(default_factory=list)
    homes: dict[int, int | None] = field(default_factory=dict)  # closed unit → where it counts


# --- reading ------------------------------------------------------------------------------------


def period_end(last_year: int) -> date:
    return date(last_year, 12, 31)


def tree_answer(response: Any) -> bytes:
    """The tree's answer without the two fields that describe each unit's record rather than
    the day asked about: `updated_at` (the row's last write, which an edit effective today moves
    in every day's answer) and `valid_to` (the day the unit closed, which a close effective D
    shows in the tree of every day before D, where the unit is open). Everything else (codes,
    names, kinds, parents, levels, which units are there) is compared byte for byte."""

    def strip(node: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in node.items() if k not in {"updated_at", "valid_to"}}
        return kept | {"children": [strip(child) for child in node["children"]]}

    return json.dumps(strip(response.json()), ensure_ascii=False).encode()


# What is read of each unit: (path, periods, depths: 0 for none); the province in full, every
# other unit by its own reports of the past (its figures are rows of the province's already).
FULL = (
    ("reports/recruitment", PERIODS, (3,)),
    ("reports/recruitment", ((2025, 2025),), (1, 2)),
    ("recruitment", PERIODS, (0,)),
    ("reports/commitments", tuple(p for p in PERIODS if p[0] == p[1]), (0,)),
    ("scorecard", tuple(p for p in PERIODS if p[0] == p[1]), (0,)),
)
OWN = (
    ("reports/recruitment", ((2024, 2025),), (1,)),
    ("recruitment", ((2024, 2025),), (0,)),
    ("reports/commitments", ((2025, 2025),), (0,)),
    ("scorecard", ((2025, 2025),), (0,)),
)


def snapshot(
    world: World, extra_days: tuple[date, ...] = (), only_trees: tuple[date, ...] = ()
) -> dict[tuple[Any, ...], bytes]:
    """The reports of every unit of the world (FULL, OWN), and the province's tree of every
    compared day, as the bytes the API answered (keys name the request and end with its
    period's last day); or only the trees of `only_trees`."""
    client, answers = world.client, {}

    def read(key: tuple[Any, ...], path: str, **params: Any) -> Any:
        response = client.get(f"{API}/{path}", params=params)
        assert response.status_code == 200, (path, params, response.text)
        answers[key] = response.content
        return response

    for unit in [] if only_trees else world.units:
        cell = unit in world.candidate_cells or unit in world.outcome_cells
        for name, periods, depths in FULL if unit == world.province else OWN:
            if cell and name == "recruitment":
                continue  # no children: the figures of its scorecard
            report = name.startswith("reports/")
            path = name if report else f"units/{unit}/{name}"
            for first, last in periods:
                params: dict[str, Any] = {"root_id": unit} if report else {}
                if name.endswith("recruitment"):
                    params |= {"from_year": first, "to_year": last}
                else:
                    params["year"] = last
                for depth in depths:
                    key = (name, unit, first, last, depth, date(last, 12, 31))
                    read(key, path, **params, **({"depth": depth} if depth else {}))
    for day in only_trees or {*TREE_DAYS, *extra_days}:
        response = read(("tree", day, day), f"units/{world.province}/tree", as_of=str(day))
        answers[("tree", day, day)] = tree_answer(response)
    return answers


def assert_unchanged(
    before: dict[tuple[Any, ...], bytes],
    after: dict[tuple[Any, ...], bytes],
    until: date,
    what: str,
) -> int:
    """Every answer about a period (or day) ending before `until` is the same; returns how many
    were compared."""
    compared = 0
    for key, answer in before.items():
        if key[-1] < until and key in after:
            assert after[key] == answer, f"{what} changed {key[:-1]}:\n{answer!r}\n{after[key]!r}"
            compared += 1
    return compared


def today_tree(world: World) -> dict[int, int | None]:
    """Each open unit's parent in today's tree (the API's tree of open units)."""
    parents: dict[int, int | None] = {}

    def walk(node: dict[str, Any], parent: int | None) -> None:
        parents[node["id"]] = parent
        for child in node["children"]:
            walk(child, node["id"])

    walk(ok(world.client.get(f"{API}/units/{world.province}/tree")), None)
    return parents


def home_of(world: World, unit_id: int) -> int | None:
    """Where a closed unit's figures count today: the successor that carries its history on,
    or, with none (dissolved), the unit it stood under on its last day."""
    if unit_id not in world.homes:
        lineage = ok(world.client.get(f"{API}/units/{unit_id}/lineage"))
        carriers = [s["unit_id"] for s in lineage["successors"] if s["carries_history"]]
        assert len(carriers) <= 1, lineage
        if carriers:
            world.homes[unit_id] = carriers[0]
        else:
            last_day = date.fromisoformat(lineage["valid_to"]) - timedelta(days=1)
            then = ok(world.client.get(f"{API}/units/{unit_id}", params={"as_of": str(last_day)}))
            world.homes[unit_id] = then["parent_id"]
    return world.homes[unit_id]


def current_parents(world: World) -> dict[int, int | None]:
    """Every unit's parent in today's tree, derived without the closure table's rows of closed
    units: open units from today's tree, closed ones from their lineage."""
    parents: dict[int, int | None] = dict(today_tree(world))
    for unit in world.units:
        if unit not in parents:
            parents[unit] = home_of(world, unit)
    return parents


def admissions(world: World) -> dict[tuple[int, int], int]:
    """(unit, year) → admissions the test recorded: candidates admitted and reported counts."""
    found: dict[tuple[int, int], int] = defaultdict(int)
    for candidate in world.candidates.values():
        if candidate.get("admitted_on"):
            found[candidate["unit_id"], date.fromisoformat(candidate["admitted_on"]).year] += 1
    for unit, year, admitted in world.outcomes:
        found[unit, year] += admitted
    return found


def check_current_structure(world: World) -> None:
    """(2): structure=current admissions of every row equal the recomputation; the province's
    totals are the same under both structures, and they count every admission once."""
    parents = current_parents(world)

    def above(unit: int | None) -> Iterator[int]:
        while unit is not None:
            yield unit
            unit = parents[unit]

    per_unit = admissions(world)
    for first, last in ((2025, 2025), (CURRENT, CURRENT), (2024, CURRENT)):
        wanted: dict[int, int] = defaultdict(int)
        everything = 0
        for (unit, year), n in per_unit.items():
            if first <= year <= last:
                everything += n
                for ancestor in above(unit):
                    wanted[ancestor] += n
        reports = {
            structure: ok(
                world.client.get(
                    f"{API}/reports/recruitment",
                    params={
                        "root_id": world.province,
                        "from_year": first,
                        "to_year": last,
                        "depth": 10,
                        "structure": structure,
                    },
                )
            )
            for structure in ("current", "as_of")
        }
        current = reports["current"]
        for row in [current["totals"], *current["rows"]]:
            assert row["admitted"] == wanted[row["unit_id"]], (first, last, row, dict(wanted))
        assert current["totals"]["admitted"] == everything
        children = [r for r in current["rows"] if r["depth"] == 1]
        assert sum(r["admitted"] for r in children) == everything  # the province holds no records
        same = [
            {k: v for k, v in r.items() if k not in {"structure", "code", "name"}}
            for r in (
                reports["as_of"]["totals"],
                current["totals"],
            )
        ]
        assert same[0] == same[1], (first, last)


def check_flows(engine: Engine, world: World) -> None:
    """(3), on the world's units (an example that failed before leaves its own behind)."""
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
    mine = set(world.units)
    assert {r for r in kept if r[0] in mine} == {r for r in recomputed if r[0] in mine}


# --- writing ------------------------------------------------------------------------------------


def code() -> str:
    return f"HP-{next(_codes)}"


def step_candidate(
    world: World, candidate_id: int, action: str, on: date, status: int = 200
) -> int:
    response = world.client.post(
        f"{CANDIDATES}/{candidate_id}/transitions",
        json={"action": action, "on": on.isoformat(), **EXTRA, "reason": "Chuyển đi"},
    )
    assert response.status_code in {status, 409}, response.text
    if response.status_code == 200:
        world.candidates[candidate_id] = response.json()
    return response.status_code


def admit_in_past(world: World, cell: int, admitted_on: date) -> None:
    """A candidate of `cell` admitted (ceremony the same day) on `admitted_on`, recognised when
    the probation ended if that was before the current year."""
    candidate = make_candidate(
        world.client, {"id": cell}, (admitted_on - timedelta(days=60)).isoformat()
    )
    world.candidates[candidate["id"]] = candidate
    for action, days_before in [("complete_course", 45), ("apply", 30), ("verify", 15)]:
        step_candidate(world, candidate["id"], action, admitted_on - timedelta(days=days_before))
    for action in ("admit", "hold_ceremony"):
        assert step_candidate(world, candidate["id"], action, admitted_on) == 200
    recognised = date.fromisoformat(world.candidates[candidate["id"]]["probation_ends_on"])
    if recognised.year < CURRENT:
        assert step_candidate(world, candidate["id"], "recognise", recognised) == 200


def build(client: TestClient, data: st.DataObject) -> World:
    """A province, two districts, one or two communes each, one or two cells each (each cell
    holds candidates or reported outcomes, never both, so that no outcome stands for an
    individual admission), and records of the past two years."""
    province = make_unit(client, kind="province_committee", code=code())
    world = World(client=client, province=province["id"], units=[province["id"]])
    world.directive = make_directive(client)["id"]
    for _ in range(2):
        district = make_unit(
            client, kind="district_committee", parent_id=province["id"], code=code()
        )
        world.units.append(district["id"])
        make_target(client, district, year=2025, target=data.draw(st.integers(1, 9)))
        for _ in range(data.draw(st.integers(1, 2), label="communes")):
            commune = make_unit(client, parent_id=district["id"], code=code())
            world.units.append(commune["id"])
            status = data.draw(st.sampled_from(["completed", "in_progress"]), label="status")
            commit(world, commune["id"], district["id"], 2025, status)
            for _ in range(data.draw(st.integers(1, 2), label="cells")):
                cell = make_unit(client, kind="party_cell", parent_id=commune["id"], code=code())
                world.units.append(cell["id"])
                if data.draw(st.booleans(), label="reports outcomes"):
                    world.outcome_cells.append(cell["id"])
                    year = data.draw(st.sampled_from(PAST))
                    write_outcome(world, cell["id"], date(year, 3, 1), date(year, 9, 30))
                    continue
                world.candidate_cells.append(cell["id"])
                admit_in_past(world, cell["id"], date(2024, 5, 6))
                admit_in_past(world, cell["id"], date(2025, 9, 8))
                # one still in the pipeline at the end of 2025
                pending = make_candidate(client, cell, "2025-10-01")
                world.candidates[pending["id"]] = pending
    return world


def commit(world: World, unit: int, superior: int, year: int, status: str) -> int:
    body = {
        "unit_id": unit,
        "registered_with_id": superior,
        "directive_id": world.directive,
        "year": year,
        "kind": "difficult_task",
        "category": "party_recruitment",
        "title": f"Nhiệm vụ khó {next(_codes)}",
        "description": "Giao chỉ tiêu kết nạp đảng viên cho từng chi bộ.",
        "success_criteria": ["Mỗi chi bộ kết nạp ít nhất 1 đảng viên"],
        "deadline": f"{year}-12-31",
    }
    response = world.client.post(f"{API}/commitments", json=body)
    if response.status_code != 201:
        assert response.status_code in {409, 422}, response.text
        return response.status_code
    actions = {"draft": [], "completed": ["register", "accept", "start", "complete"]}.get(
        status, ["register", "accept", "start"]
    )
    for action in actions:
        path = f"{API}/commitments/{response.json()['id']}/transitions"
        fields = {"result_summary": "Kết nạp 3 đảng viên mới"}
        ok(world.client.post(path, json={"action": action} | fields))
    return 201


def write_outcome(world: World, cell: int, start: date, end: date, status: int = 201) -> int:
    admitted = 1 + (cell + start.toordinal()) % 4
    response = world.client.post(
        f"{API}/recruitment/outcomes",
        json={
            "unit_id": cell,
            "period_start": start.isoformat(),
            "period_end": end.isoformat(),
            "admitted": admitted,
        },
    )
    assert response.status_code in {status, 409}, response.text
    if response.status_code == 201:
        world.outcomes.append((cell, end.year, admitted))
    return response.status_code


# --- the steps ----------------------------------------------------------------------------------


def a_day(data: st.DataObject, today: date) -> date:
    """An effective day: today, a few days back, or a boundary of the current or last year."""
    choices = [
        today,
        today - timedelta(days=data.draw(st.integers(1, 40))),
        date(CURRENT, 1, 1),
        date(2025, 12, 31),
        date(2025, 7, 1),
    ]
    return min(today, data.draw(st.sampled_from(choices), label="effective on"))


def open_units(parents: dict[int, int | None], kinds: dict[int, str], kind: str) -> list[int]:
    return sorted(u for u in parents if kinds.get(u) == kind)


def unit_kinds(world: World) -> dict[int, str]:
    kinds: dict[int, str] = {}

    def walk(node: dict[str, Any]) -> None:
        kinds[node["id"]] = node["kind"]
        for child in node["children"]:
            walk(child)

    walk(ok(world.client.get(f"{API}/units/{world.province}/tree")))
    return kinds


def draw_reorganisation(  # noqa: PLR0911 (one return per kind of operation)
    world: World, data: st.DataObject
) -> list[dict[str, Any]]:
    """One or two operations on the open units below the province (never the province)."""
    parents = today_tree(world)
    kinds = unit_kinds(world)
    levels = {k: open_units(parents, kinds, k) for k in ("district_committee", "commune_committee")}
    cells = open_units(parents, kinds, "party_cell")
    op = data.draw(
        st.sampled_from(["establish", "merge", "split", "move", "rename", "dissolve"]), label="op"
    )
    kind = data.draw(st.sampled_from(["district_committee", "commune_committee"]), label="level")
    peers = levels[kind]
    pick = lambda units: data.draw(st.sampled_from(units))  # noqa: E731
    upper = [world.province] if kind == "district_committee" else levels["district_committee"]
    if op == "establish" or (op in {"merge", "split"} and len(peers) < 2):
        parent = pick(levels["commune_committee"] or upper) if op == "establish" else pick(upper)
        new_kind = "party_cell" if kinds.get(parent) == "commune_committee" else kind
        ops: list[dict[str, Any]] = [
            {"op": "establish", "ref": "new", "code": code(), "name": "Mới", "kind": new_kind}
            | {"parent": parent}
        ]
        if op in {"merge", "split"} and peers and new_kind == kind:
            source = pick(peers)
            children = [c for c, p in parents.items() if p == source]
            ops.append(
                {"op": "merge", "sources": [source], "into": "new"}
                if op == "merge"
                else {
                    "op": "split",
                    "source": source,
                    "into": ["new", pick([u for u in peers if u != source] or upper)],
                    "children": [{"unit": c, "to": "new"} for c in children],
                }
            )
        return ops
    if op == "merge":
        source, into = data.draw(st.permutations(peers))[:2]
        return [{"op": "merge", "sources": [source], "into": into}]
    if op == "split":
        source, *into = data.draw(st.permutations(peers))[:3]
        if len(into) < 2:
            into.append(pick(upper))
        children = [c for c, p in parents.items() if p == source]
        assignments = [{"unit": c, "to": data.draw(st.sampled_from(into))} for c in children]
        return [{"op": "split", "source": source, "into": into, "children": assignments}]
    if op == "move":
        if data.draw(st.booleans(), label="a cell") and cells:
            return [
                {
                    "op": "move",
                    "unit": pick(cells),
                    "parent": pick(levels["commune_committee"] or [world.province]),
                }
            ]
        unit = pick(peers or cells)
        return [{"op": "move", "unit": unit, "parent": pick(upper)}]
    if op == "rename":
        unit = pick(sorted(parents))
        return [{"op": "rename", "unit": unit, "name": f"Tên mới {next(_codes)}"}]
    unit = pick(peers or cells)
    children = [c for c, p in parents.items() if p == unit]
    dissolve: dict[str, Any] = {"op": "dissolve", "unit": unit}
    others = [u for u in peers if u != unit]
    if children and others:
        dissolve["children_to"] = pick(others)
    return [dissolve]


def reorganise(world: World, data: st.DataObject, on: date) -> tuple[bool, str]:
    operations = draw_reorganisation(world, data)
    response = world.client.post(
        f"{API}/reorganisations",
        json={"effective_on": on.isoformat(), "legal_basis": ["NQ thử"], "operations": operations},
    )
    assert response.status_code in {201, 409, 422}, response.text
    if response.status_code == 201:
        for planned in response.json()["plan"]["opened"]:
            world.units.append(planned["unit_id"])
    return response.status_code == 201, f"reorganisation {operations} on {on}: {response.text}"


def edit(world: World, data: st.DataObject, on: date) -> tuple[bool, str]:
    """PATCH a unit: a move under another unit of its parent's kind, or a rename."""
    parents = today_tree(world)
    kinds = unit_kinds(world)
    unit = data.draw(st.sampled_from(sorted(u for u in parents if u != world.province)))
    body: dict[str, Any] = {"effective_on": on.isoformat()}
    if data.draw(st.booleans(), label="move"):
        parent_kind = kinds[parents[unit]]  # type: ignore[index]
        body["parent_id"] = data.draw(st.sampled_from(open_units(parents, kinds, parent_kind)))
    else:
        body["name"] = f"Tên sửa {next(_codes)}"
    response = world.client.patch(f"{API}/units/{unit}", json=body)
    assert response.status_code in {200, 409, 422}, response.text
    return response.status_code == 200, f"PATCH unit {unit} {body}: {response.text}"


NEXT = {
    "source": "complete_course",
    "awareness_course": "apply",
    "applied": "verify",
    "verified": "admit",
}


def record(world: World, data: st.DataObject, today: date) -> tuple[bool, str]:
    """A record dated in the current year (Jan 1 to `today`): a candidate or a step of one, an
    outcome, a commitment or a target."""
    first = date(CURRENT, 1, 1)

    def in_year(after: date) -> date:
        return after + timedelta(days=data.draw(st.integers(0, max(0, (today - after).days))))

    what = data.draw(
        st.sampled_from(["candidate", "step", "step", "outcome", "commitment", "target"]),
        label="record",
    )
    client = world.client
    if what == "candidate" and world.candidate_cells:
        cell = data.draw(st.sampled_from(world.candidate_cells))
        body = {"unit_id": cell, "full_name": "Quần chúng", "source_since": str(in_year(first))}
        response = client.post(CANDIDATES, json=body)
        assert response.status_code in {201, 409}, response.text
        if response.status_code == 201:
            world.candidates[response.json()["id"]] = response.json()
        return response.status_code == 201, f"candidate {body}: {response.text}"
    movable = sorted(i for i, c in world.candidates.items() if c["stage"] in NEXT)
    if what == "step" and movable:
        candidate_id = data.draw(st.sampled_from(movable))
        candidate = world.candidates[candidate_id]
        last = max(
            date.fromisoformat(candidate[f])
            for f in ("source_since", "course_completed_on", "applied_on", "verified_on")
            if candidate.get(f)
        )
        on = in_year(max(last, first))
        action = NEXT[candidate["stage"]]
        done = step_candidate(world, candidate_id, action, on) == 200
        if done and action == "admit":  # no ceremony ever overdue: see the module's docstring
            assert step_candidate(world, candidate_id, "hold_ceremony", on) == 200
        return done, f"{action} candidate {candidate_id} on {on}"
    if what == "outcome" and world.outcome_cells:
        cell = data.draw(st.sampled_from(world.outcome_cells))
        start = in_year(first)
        end = in_year(start)
        done = write_outcome(world, cell, start, end, status=201) == 201
        return done, f"outcome of {cell} {start}..{end}"
    parents = today_tree(world)
    below = sorted(u for u, p in parents.items() if p is not None)
    unit = data.draw(st.sampled_from(below))
    if what == "commitment":
        done = commit(world, unit, parents[unit], CURRENT, "draft") == 201  # type: ignore[arg-type]
        return done, f"commitment of {unit}"
    response = client.post(
        f"{API}/recruitment/targets", json={"unit_id": unit, "year": CURRENT, "target": 5}
    )
    assert response.status_code in {201, 409}, response.text
    return response.status_code == 201, f"target of {unit}: {response.text}"


# --- the test -----------------------------------------------------------------------------------


@pytest.mark.slow
@settings(
    max_examples=6,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
def test_history_never_changes(
    client: TestClient, clock: Clock, engine: Engine, data: st.DataObject
) -> None:
    # Each example builds its own province (codes are unique across examples): the walks do
    # not meet, and the database is emptied once, after the test.
    clock.day = START
    world = build(client, data)
    check_flows(engine, world)
    check_current_structure(world)
    before = snapshot(world)
    counts: dict[str, int] = defaultdict(int)
    for _ in range(data.draw(st.integers(1, STEPS), label="steps")):
        kind = data.draw(st.sampled_from(["today", "reorganise", "reorganise", "edit", "record"]))
        if kind == "today":
            clock.day += timedelta(days=data.draw(st.integers(1, 14), label="days on"))
            note(f"today is {clock.day}")
            before = snapshot(world)
            continue
        # The day the step takes effect: a record of the current year changes no earlier year.
        on = date(CURRENT, 1, 1) if kind == "record" else a_day(data, clock.day)
        eve = (on - timedelta(days=1),)
        before |= snapshot(world, only_trees=eve)
        step = {"reorganise": reorganise, "edit": edit, "record": record}[kind]
        done, what = step(world, data, clock.day if kind == "record" else on)
        counts[f"{kind} {'done' if done else 'refused'}"] += 1
        note(f"{'done' if done else 'refused'}: {what}")
        # A refused step changes nothing at all: every period, the current one included.
        until = on if done else date.max
        after = snapshot(world, extra_days=eve)
        assert_unchanged(before, after, until, what)
        check_flows(engine, world)
        check_current_structure(world)
        before = after


def test_a_unit_established_later_is_no_child_in_an_earlier_years_progress(
    client: TestClient, clock: Clock
) -> None:
    """Found by the walk above: `GET /units/{id}/recruitment` of a past year listed a child
    established after it (with zeros), so establishing a unit changed every earlier year's
    answer of its parent."""
    clock.day = START
    district = make_unit(client, kind="district_committee", code=code())
    make_unit(client, parent_id=district["id"], code=code())
    progress = f"{API}/units/{district['id']}/recruitment"
    last_year = {"from_year": 2025, "to_year": 2025}
    before = client.get(progress, params=last_year).content
    establish = {"op": "establish", "ref": "n", "code": code(), "name": "Mới"}
    established = establish | {"kind": "commune_committee", "parent": district["id"]}
    body = {"effective_on": str(START), "legal_basis": ["NQ"], "operations": [established]}
    new_id = ok(client.post(f"{API}/reorganisations", json=body), 201)["plan"]["opened"][0]
    assert client.get(progress, params=last_year).content == before
    this_year = ok(client.get(progress, params={"from_year": CURRENT, "to_year": CURRENT}))
    assert new_id["unit_id"] in {child["unit_id"] for child in this_year["children"]}
