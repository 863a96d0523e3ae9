"""Every write family under concurrent writers on one line of units (issue 11): no request may
answer 5xx (on PostgreSQL, a lock taken out of order deadlocks and answers 500), a refusal is a
409 or 412 problem, every acknowledged write is there afterwards with its audit event, and the
candidates' flows equal their recomputation.

Against a real server, as in test_concurrency.py, so that the requests really overlap in the
server's worker threads and database connections. On SQLite the writers queue on the database
lock; the same assertions hold.
"""

import itertools
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session, col

from app.core.db import engine
from app.models import UNTIL_CHANGED, Unit, UnitVersion
from tests.concurrency.writers import (
    CANDIDATES,
    NEWCOMERS,
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
from tests.helpers import flow_tables


def assert_flows_exact() -> None:
    with Session(engine) as session:
        kept, recomputed = flow_tables(session)
    assert kept == recomputed


# Each step of the pipeline, in order, with its date and what it must be sent.
STEPS: list[tuple[str, dict[str, Any]]] = [
    ("complete_course", {"on": "2024-03-01"}),
    ("apply", {"on": "2024-06-03"}),
    ("verify", {"on": "2024-08-01"}),
    ("admit", {"on": "2024-10-01", "decision_number": "125-QĐ/ĐU"}),
    ("hold_ceremony", {"on": "2024-10-15"}),
    ("recognise", {"on": "2025-11-03"}),
]


@pytest.mark.slow
def test_candidates_created_and_moved_through_every_step_at_once(http: httpx.Client) -> None:
    """Twenty creates into one unit, then twenty writers per step, one candidate each, plus a
    second writer racing the first candidate's step, one more dropping a candidate and five
    creating new ones; then every candidate's details changed at once."""
    ids = make_line(http)
    unit = ids["CB0"]
    calls: list[Call] = [
        ("POST", CANDIDATES, {"unit_id": unit, "full_name": f"Q {i}", "source_since": "2024-01-02"})
        for i in range(WRITERS)
    ]
    created = burst(http, calls, "create")
    answered, written = created, [(ok_id(r), "create") for r in created]
    candidates = [r.json()["id"] for r in acknowledged(created)]
    listed = http.get(CANDIDATES, params={"unit_id": unit, "limit": 500}).json()
    assert sorted(c["id"] for c in listed["items"]) == sorted(candidates)
    assert len(candidates) == WRITERS  # nothing to refuse: every create is acknowledged

    fresh: list[int] = []
    dropped = candidates[-1]
    moving = candidates[:-1]
    for action, body in STEPS:
        steps: list[Call] = [
            ("POST", f"{CANDIDATES}/{c}/transitions", {"action": action, **body}) for c in moving
        ]
        steps.append(steps[0])  # the same step twice at once: one of them may be refused
        if action == "verify":
            steps.append(
                (
                    "POST",
                    f"{CANDIDATES}/{dropped}/transitions",
                    {"action": "drop", "on": "2024-08-01", "reason": "Chuyển đi nơi khác"},
                )
            )
        written += [(int(path.split("/")[-2]), (body or {})["action"]) for _, path, body in steps]
        steps += calls[:NEWCOMERS]  # creates at the same time, into the same unit
        responses = burst(http, steps, action)
        newcomers = responses[-NEWCOMERS:]
        written += [(ok_id(r), "create") for r in newcomers]
        answered += responses
        fresh += [r.json()["id"] for r in newcomers]
        # Every candidate took the step, whether or not its duplicate was refused.
        assert {r.request.url.path for r in acknowledged(responses)} >= {
            f"{CANDIDATES}/{c}/transitions" for c in moving
        }
    notes: list[Call] = [
        ("PATCH", f"{CANDIDATES}/{c}", {"note": f"Ghi chú {c}"}) for c in candidates + fresh
    ]
    answered += burst(http, notes, "note")
    written += [(int(path.split("/")[-1]), "update") for _, path, _ in notes]
    stages = {
        c["id"]: c["stage"] for c in http.get(CANDIDATES, params={"limit": 500}).json()["items"]
    }
    assert stages == {
        **dict.fromkeys(moving, "official"),
        dropped: "dropped",
        **dict.fromkeys(fresh, "source"),
    }
    assert_audited(http, "candidate", answered, written)
    assert_flows_exact()


def test_outcomes_created_changed_and_removed_at_once_in_one_line(http: httpx.Client) -> None:
    """An outcome of the commune overlaps those of its cells: whichever comes first, the line
    never holds both. Then changes and removals race new outcomes of another year."""
    ids = make_line(http)
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]
    year_2023 = {"period_start": "2023-01-01", "period_end": "2023-12-31", "admitted": 2}
    calls: list[Call] = [
        ("POST", OUTCOMES, {"unit_id": unit, **year_2023}) for unit in [ids["DX"], *cells]
    ]
    created = burst(http, calls, "outcome")
    assert_audited(http, "recruitment_outcome", created, [(ok_id(r), "create") for r in created])
    kept = http.get(OUTCOMES, params={"root_id": ids["HU"], "limit": 500}).json()["items"]
    assert sorted(o["id"] for o in kept) == sorted(ok_id(r) for r in acknowledged(created))
    assert {o["unit_id"] for o in kept} in ({ids["DX"]}, set(cells))

    changes: list[Call] = [
        ("PATCH", f"{OUTCOMES}/{o['id']}", {"admitted": 5})
        if n % 2
        else ("DELETE", f"{OUTCOMES}/{o['id']}", None)
        for n, o in enumerate(kept)
    ]
    year_2022 = {"period_start": "2022-01-01", "period_end": "2022-12-31", "admitted": 1}
    news: list[Call] = [("POST", OUTCOMES, {"unit_id": unit, **year_2022}) for unit in cells]
    responses = burst(http, changes + news, "change")
    written = [(o["id"], "update" if n % 2 else "delete") for n, o in enumerate(kept)] + [
        (ok_id(r), "create") for r in responses[len(changes) :]
    ]
    assert_audited(http, "recruitment_outcome", responses, written)
    for (method, path, _), response in zip(changes, responses, strict=False):
        after = http.get(path)
        if method == "DELETE" and response.is_success:
            # SQLite may give a removed row's id to a new one: then it is of another year.
            assert after.status_code == 404 or after.json()["period_start"] == "2022-01-01"
        elif response.is_success:
            assert after.json()["admitted"] == 5


TARGETS = "/api/v1/recruitment/targets"


def test_targets_and_allocations_at_once_under_one_parent(http: httpx.Client) -> None:
    """Twenty single targets race two allocations of the same parent and year: each cell ends
    with one target, and each acknowledged allocation wrote (and audited) all of its rows."""
    ids = make_line(http)
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]

    def allocation(target: int) -> Call:
        rows = [{"unit_id": unit, "target": target} for unit in cells]
        return (
            "POST",
            "/api/v1/recruitment/allocations",
            {"parent_id": ids["DX"], "year": 2024, "targets": rows},
        )

    creates: list[Call] = [
        ("POST", TARGETS, {"unit_id": unit, "year": 2024, "target": 1}) for unit in cells
    ]
    responses = burst(http, [*creates, allocation(3), allocation(4)], "target")
    assert_audited(
        http,
        "recruitment_target",
        responses[: len(creates)],
        [(ok_id(r), "create") for r in responses[: len(creates)]],
    )
    trail = events(http, "recruitment_target")
    for response in acknowledged(responses[len(creates) :]):
        assert len(trail[response.headers["x-request-id"]]) == WRITERS
    listed = http.get(TARGETS, params={"parent_id": ids["DX"], "year": 2024, "limit": 500})
    targets = listed.json()["items"]
    assert sorted(t["unit_id"] for t in targets) == sorted(cells)

    changes: list[Call] = [
        ("PATCH", f"{TARGETS}/{t['id']}", {"target": 7 + n}) for n, t in enumerate(targets)
    ]
    responses = burst(http, [*changes, allocation(9)], "retarget")
    written = [(t["id"], "update") for t in targets]
    assert_audited(http, "recruitment_target", responses[: len(changes)], written)
    final = {
        t["id"]: t["target"]
        for t in http.get(TARGETS, params={"parent_id": ids["DX"], "limit": 500}).json()["items"]
    }
    assert len(final) == WRITERS


COMMITMENTS = "/api/v1/commitments"


def test_commitments_registered_moved_and_reported_on_at_once(http: httpx.Client) -> None:
    """Twenty cells register commitments with their commune at once; then each step of the
    workflow and the progress reports, twenty writers at a time, with one report racing
    another on the same commitment."""
    ids = make_line(http)
    directive = http.post(
        "/api/v1/directives",
        json={"code": "05-CT/TW", "title": "Chỉ thị 05", "issuer": "Bộ Chính trị",
              "issued_on": "2016-05-15"},
    )  # fmt: skip
    assert directive.status_code == 201, directive.text
    calls: list[Call] = [
        ("POST", COMMITMENTS,
         {"unit_id": ids[f"CB{i}"], "registered_with_id": ids["DX"],
          "directive_id": directive.json()["id"], "year": 2025, "kind": "difficult_task",
          "category": "party_recruitment", "title": f"Việc khó {i}"})
        for i in range(WRITERS)
    ]  # fmt: skip
    created = burst(http, calls, "commit")
    assert_audited(http, "commitment", created, [(ok_id(r), "create") for r in created])
    commitments = [r.json()["id"] for r in created]
    for action in ("register", "accept", "start"):
        steps: list[Call] = [
            ("POST", f"{COMMITMENTS}/{c}/transitions", {"action": action}) for c in commitments
        ]
        steps.append(steps[0])
        responses = burst(http, steps, action)
        written = [(int(path.split("/")[-2]), action) for _, path, _ in steps]
        assert_audited(http, "commitment", responses, written)
    reports: list[Call] = [
        ("POST", f"{COMMITMENTS}/{c}/progress-updates",
         {"reported_on": "2025-06-01", "progress_percent": 10 + n, "note": "Tiến độ"})
        for n, c in enumerate([*commitments, commitments[0]])
    ]  # fmt: skip
    responses = burst(http, reports, "progress")
    assert_audited(http, "progress_update", responses, [(ok_id(r), "create") for r in responses])
    for (_, path, _), response in zip(reports, responses, strict=True):
        if response.is_success:
            timeline = http.get(path).json()
            assert response.json()["id"] in [u["id"] for u in timeline]
    statuses = {
        c["id"]: (c["status"], c["progress_percent"])
        for c in http.get(COMMITMENTS, params={"root_id": ids["DX"], "limit": 500}).json()["items"]
    }
    assert statuses.keys() == set(commitments)
    assert {s for s, _ in statuses.values()} == {"in_progress"}


EVALUATIONS = "/api/v1/evaluations"


def test_evaluations_assessed_proposed_and_decided_at_once_under_a_cap(
    http: httpx.Client,
) -> None:
    """Twenty cells assess themselves at once (two of them twice), their commune proposes and
    decides twenty excellent grades at once while its cap is raised: the grades never exceed
    the cap in force."""
    ids = make_line(http)
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]
    cap = http.post(
        f"{EVALUATIONS}/caps", json={"unit_id": ids["DX"], "year": 2024, "max_percent": 25}
    )
    assert cap.status_code == 201, cap.text
    calls: list[Call] = [
        ("POST", EVALUATIONS, {"unit_id": unit, "year": 2024, "grade": "excellent"})
        for unit in [*cells, *cells[:2]]
    ]
    # Caps of later years, at once: each references the commune, which every line here holds.
    caps: list[Call] = [
        ("POST", f"{EVALUATIONS}/caps", {"unit_id": ids["DX"], "year": year, "max_percent": 30})
        for year in range(2025, 2025 + NEWCOMERS)
    ]
    assessed = burst(http, calls + caps, "assess")
    assert_audited(
        http,
        "evaluation",
        assessed[: len(calls)],
        [(ok_id(r), "create") for r in assessed[: len(calls)]],
    )
    assert_audited(
        http,
        "excellence_cap",
        assessed[len(calls) :],
        [(ok_id(r), "create") for r in assessed[len(calls) :]],
    )
    assert sorted(r.status_code for r in assessed) == [201] * (WRITERS + NEWCOMERS) + [409] * 2
    # The evaluations only: the caps created in the same burst have ids of their own.
    evaluations = [r.json()["id"] for r in acknowledged(assessed[: len(calls)])]
    for action, step in (("propose", "proposal"), ("decide", "decision")):
        steps: list[Call] = [
            ("POST", f"{EVALUATIONS}/{e}/{step}", {"grade": "excellent"}) for e in evaluations
        ]
        if action == "decide":
            steps.append(("PATCH", f"{EVALUATIONS}/caps/{cap.json()['id']}", {"max_percent": 50}))
        responses = burst(http, steps, action)
        written: list[Any] = [(e, action) for e in evaluations]
        assert_audited(http, "evaluation", responses[: len(evaluations)], written)
    decided = sum(r.is_success for r in responses[: len(evaluations)])
    shown = http.get(f"{EVALUATIONS}/caps", params={"unit_id": ids["DX"]}).json()["items"][0]
    assert shown["excellent"] == decided <= shown["max_excellent"]
    assert decided >= 5  # the first cap's share at least


@pytest.mark.slow
def test_units_moved_while_their_candidates_move(http: httpx.Client) -> None:
    """Half the cells move from one commune to another, and the commune itself to another
    district, while candidates of every cell take a step and new ones and new cells are made:
    flows stay exact (each move carries its subtree's sums) and nothing deadlocks."""
    ids = make_line(http)
    for code, kind, parent in (
        ("HV", "district_committee", None),
        ("DY", "commune_committee", "HU"),
    ):
        body = {"code": code, "name": code, "kind": kind, "parent_id": ids.get(parent or "")}
        ids[code] = http.post("/api/v1/units", json=body).json()["id"]
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]
    candidates = []
    for unit in cells:
        made = http.post(
            CANDIDATES, json={"unit_id": unit, "full_name": "Q", "source_since": "2024-01-02"}
        )
        assert made.status_code == 201, made.text
        candidates.append(made.json()["id"])
    moving = cells[: WRITERS // 2]
    day = "2024-03-01"
    calls: list[Call] = [
        *(("PATCH", f"/api/v1/units/{unit}", {"parent_id": ids["DY"]}) for unit in moving),
        ("PATCH", f"/api/v1/units/{ids['DX']}", {"parent_id": ids["HV"]}),
        *(
            ("POST", f"{CANDIDATES}/{c}/transitions", {"action": "complete_course", "on": day})
            for c in candidates
        ),
        *(
            ("POST", CANDIDATES, {"unit_id": unit, "full_name": "R", "source_since": "2024-02-01"})
            for unit in cells[:NEWCOMERS]
        ),
        *(
            ("POST", "/api/v1/units",
             {"code": f"CM{i}", "name": f"CM{i}", "kind": "party_cell", "parent_id": ids["DX"]})
            for i in range(NEWCOMERS)
        ),
    ]  # fmt: skip
    responses = burst(http, calls, "move")
    written: list[Any] = [
        *((unit, "update") for unit in [*moving, ids["DX"]]),
        *((c, "complete_course") for c in candidates),
    ]
    n = len(written)
    assert_audited(http, "unit", responses[: len(moving) + 1], written[: len(moving) + 1])
    assert_audited(http, "candidate", responses[len(moving) + 1 : n], written[len(moving) + 1 :])
    assert_audited(
        http,
        "candidate",
        responses[n : n + NEWCOMERS],
        [(ok_id(r), "create") for r in responses[n : n + NEWCOMERS]],
    )
    assert_audited(
        http,
        "unit",
        responses[n + NEWCOMERS :],
        [(ok_id(r), "create") for r in responses[n + NEWCOMERS :]],
    )
    for unit, response in zip(moving, responses, strict=False):
        if response.is_success:
            assert http.get(f"/api/v1/units/{unit}").json()["parent_id"] == ids["DY"]
    assert_flows_exact()


def test_people_their_posts_and_directives_at_once_in_one_unit(http: httpx.Client) -> None:
    """The records shared by the tree and the terms held in one unit, written at once: the
    posts reference a person and a unit that others are changing or deleting meanwhile."""
    unit = make_line(http, cells=1)["DX"]
    people = [
        http.post("/api/v1/people", json={"full_name": f"Người {i}"}).json() for i in range(2)
    ]
    keep, doomed = people
    calls: list[Call] = [
        *(
            (
                "POST",
                "/api/v1/positions",
                {"person_id": person["id"], "unit_id": unit, "post": "committee_member"},
            )
            for person in (keep, doomed) * (WRITERS // 4)
        ),
        *(
            ("POST", "/api/v1/areas-of-charge", {"person_id": keep["id"], "unit_id": unit})
            for _ in range(WRITERS // 4)
        ),
        ("PATCH", f"/api/v1/people/{keep['id']}", {"full_name": "Người giữ lại"}),
        ("DELETE", f"/api/v1/people/{doomed['id']}", None),
        *(
            (
                "POST",
                "/api/v1/directives",
                # Two requests per code: one is created, its twin refused with 409.
                {
                    "code": f"{i // 2:02d}-CT/TW",
                    "title": "Chỉ thị",
                    "issuer": "Bộ Chính trị",
                    "issued_on": "2016-05-15",
                },
            )
            for i in range(WRITERS // 2)
        ),
    ]
    # A post for the person deleted first names a person that no longer exists: 422.
    responses = burst(http, calls, "people", frozenset({409, 412, 422}))
    posts = [r for r, (_, path, _) in zip(responses, calls, strict=True) if "positions" in path]
    assert_audited(http, "position", posts, [(ok_id(r), "create") for r in posts])
    directives = [r for r, c in zip(responses, calls, strict=True) if "directives" in c[1]]
    assert sorted(r.status_code for r in directives) == [201] * 5 + [409] * 5
    assert_audited(http, "directive", directives, [(ok_id(r), "create") for r in directives])
    # Whatever the order, a deleted person holds no post and a kept post names a person.
    deleted = responses[len(posts) + WRITERS // 4 + 1].is_success
    listed = http.get("/api/v1/positions", params={"limit": 500}).json()["items"]
    assert {p["id"] for p in listed} == {ok_id(r) for r in posts if r.is_success}
    assert not (deleted and any(p["person_id"] == doomed["id"] for p in listed))


def test_users_grants_and_keys_at_once(http: httpx.Client) -> None:
    """Accounts written at once: twins of a username are refused, grants and keys on one unit
    all land and are audited."""
    unit = make_line(http, cells=1)["DX"]
    grantee = http.post(
        "/api/v1/users",
        json={"username": "grantee", "full_name": "Người được giao", "password": "mật khẩu dài"},
    ).json()
    calls: list[Call] = [
        *(
            (
                "POST",
                "/api/v1/users",
                {"username": f"user{i // 2}", "full_name": "Cán bộ", "password": "mật khẩu dài"},
            )
            for i in range(WRITERS // 2)
        ),
        *(
            ("POST", f"/api/v1/users/{grantee['id']}/grants", {"role": "viewer", "unit_id": unit})
            for _ in range(WRITERS // 4)
        ),
        *(
            ("POST", "/api/v1/api-keys", {"name": f"Máy {i}", "role": "viewer", "unit_id": unit})
            for i in range(WRITERS // 4)
        ),
    ]
    responses = burst(http, calls, "users")
    users = responses[: WRITERS // 2]
    assert sorted(r.status_code for r in users) == [201] * 5 + [409] * 5
    assert_audited(http, "app_user", users, [(ok_id(r), "create") for r in users])
    keys = responses[-(WRITERS // 4) :]
    assert all(r.status_code == 201 for r in keys)
    assert_audited(http, "api_key", keys, [(ok_id(r), "create") for r in keys])


def test_units_renamed_and_corrected_at_once(http: httpx.Client) -> None:
    """Twenty corrections of one unit's versions race renames of it taking effect on several
    days: each is applied whole or refused (409 under a later change, 412 for a stale unit),
    the versions stay one after the other with no gap or overlap, the unit's own row is today's
    version, and every acknowledged write is audited."""
    ids = make_line(http)
    unit = ids["DX"]
    days = ["2024-01-01", "2025-01-01", "2025-07-01", "2026-01-01"]
    calls: list[Call] = [
        *(
            ("PATCH", f"/api/v1/units/{unit}", {"name": f"Đổi tên {day}", "effective_on": day})
            for day in days
        ),
        *(
            ("POST", f"/api/v1/units/{unit}/corrections",
             {"on": days[i % len(days)], "name": f"Sửa {i}", "reason": f"Ghi sai {i}"})
            for i in range(WRITERS)
        ),
    ]  # fmt: skip
    responses = burst(http, calls, "versions", frozenset({404, 409, 412}))
    assert acknowledged(responses[len(days) :])
    corrected = events(http, "unit_version")
    for response in responses[len(days) :]:
        request = response.headers["x-request-id"]
        assert bool(corrected.get(request)) == response.is_success
    with Session(engine) as session:
        versions = (
            session.execute(
                select(UnitVersion).where(col(UnitVersion.unit_id) == unit).order_by("valid_from")
            )
            .scalars()
            .all()
        )
        row = session.get_one(Unit, unit)
    for earlier, later in itertools.pairwise(versions):
        assert earlier.valid_to == later.valid_from
    assert versions[-1].valid_to == UNTIL_CHANGED
    assert (row.name, row.code, row.kind) == (
        versions[-1].name,
        versions[-1].code,
        versions[-1].kind,
    )


DISCIPLINES = "/api/v1/disciplines"
ALL_ON_TIME = {"total": 10, "on_time": 10, "exceeded": 3, "behind": 0}
SCORES_95 = [
    {"criterion": "commitments", "points": 30},
    {"criterion": "recruitment", "points": 20},
    {"criterion": "other_tasks", "points": 45},
]


def test_disciplines_recorded_while_their_superior_is_graded(http: httpx.Client) -> None:
    """Twenty decisions against the commune's cells at once, while the commune assesses itself
    on points: no 5xx, every acknowledged decision audited, and the grade counts exactly the
    decisions committed before it (all of them for the proposal made afterwards). Then every
    decision corrected and a few deleted at once."""
    ids = make_line(http)
    cells = [ids[f"CB{i}"] for i in range(WRITERS)]
    calls: list[Call] = [
        (
            "POST",
            DISCIPLINES,
            {
                "unit_id": cell,
                "form": "warning",
                "decision_number": f"{i}-QĐ/ĐU",
                "decided_on": "2026-05-04",
                "issued_by_id": ids["DX"],
            },
        )
        for i, cell in enumerate(cells)
    ]
    assessment = {
        "unit_id": ids["DX"],
        "year": 2026,
        "scores": SCORES_95,
        "tasks": ALL_ON_TIME,
    }
    responses = burst(http, [*calls, ("POST", "/api/v1/evaluations", assessment)], "discipline")
    made, assessed = responses[:-1], responses[-1]
    assert_audited(http, "discipline", made, [(ok_id(r), "create") for r in made])
    assert all(r.status_code == 201 for r in made)
    assert assessed.status_code == 201, assessed.text
    evaluation = assessed.json()
    counted = next(r for r in evaluation["grade_reasons"] if "bị kỷ luật trong kỳ" in r)
    before = int(counted.rsplit(" ", 1)[1].rstrip("."))
    assert evaluation["grade"] == ("excellent" if before == 0 else "good")
    proposed = http.post(f"/api/v1/evaluations/{evaluation['id']}/proposal", json={"points": 95})
    assert proposed.status_code == 200, proposed.text
    assert proposed.json()["grade"] == "good"
    assert f"kỷ luật trong kỳ: {WRITERS}." in " ".join(proposed.json()["grade_reasons"])

    decisions = [r.json()["id"] for r in made]
    changes: list[Call] = [
        ("PATCH", f"{DISCIPLINES}/{d}", {"form": "reprimand"}) for d in decisions
    ]
    changes += [("DELETE", f"{DISCIPLINES}/{d}", None) for d in decisions[:NEWCOMERS]]
    # A deletion racing the change of its record may find it gone: 404 is its answer then.
    answered = burst(http, changes, "correct", refusals=frozenset({404, 409, 412}))
    remaining = {d["id"]: d for d in http.get(DISCIPLINES, params={"limit": 500}).json()["items"]}
    patched, deleted = answered[:WRITERS], answered[WRITERS:]
    gone = {d for d, r in zip(decisions, deleted, strict=False) if r.is_success}
    assert set(remaining) == set(decisions) - gone
    # A change that lost the race to a deletion or was refused as stale changed nothing.
    for d, response in zip(decisions, patched, strict=True):
        if d in remaining:
            assert (remaining[d]["form"] == "reprimand") == response.is_success, d
    trail = events(http, "discipline")
    for response in answered:
        request_id = response.headers["x-request-id"]
        assert bool(trail.get(request_id)) == response.is_success, request_id
