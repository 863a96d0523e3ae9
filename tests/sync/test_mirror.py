"""A client mirroring its scope through the changes feed and cursor pages ends equal to the
server, whatever was written meanwhile: creates, updates, deletes, renames and moves of units
in and out of its subtree (a seeded random sequence, on each database)."""

import random
import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.sync.service import HREFS
from tests.conftest import IS_POSTGRES
from tests.factories import (
    assert_problem,
    commitment_body,
    make_directive,
    make_person,
    make_tree,
    make_unit,
)
from tests.helpers import ok

CHANGES = "/api/v1/changes"
POSITIONS = "/api/v1/positions"
# The lists the mirror holds, by path; a change's `href` is one of them plus `/{id}`.
LISTS = ("/api/v1/units", "/api/v1/positions", "/api/v1/commitments", "/api/v1/people")
POSTS = ("secretary", "deputy_secretary", "standing_committee_member")


class Mirror:
    """What a sync client keeps: every record of its lists, by href, and where it stands."""

    def __init__(self, http: TestClient) -> None:
        self.http = http
        self.records: dict[str, Any] = {}
        self.position = 0
        self.scope = ""
        self.full_listings = 0
        self.full()

    def full(self) -> None:
        """List everything by cursor; the feed's position is taken first, so nothing written
        during the listing is lost (it comes again through the feed)."""
        start = ok(self.http.get(CHANGES))
        assert start["items"] == []
        self.records = {}
        for path in LISTS:
            response = self.http.get(path, params={"limit": 3})
            while True:
                for item in ok(response)["items"]:
                    self.records[f"{path}/{item['id']}"] = item
                if "link" not in response.headers:
                    break
                response = self.http.get(response.headers["link"][1:].partition(">")[0])
        self.position, self.scope = start["next"], start["scope"]
        self.full_listings += 1

    def sync(self) -> None:
        while True:
            body = ok(self.http.get(CHANGES, params={"since": self.position, "limit": 4}))
            if body["scope"] != self.scope:
                self.full()  # records may have left or entered the scope without a write
                continue
            for change in body["items"]:
                href = change["href"]
                if href is None or href.rpartition("/")[0] not in LISTS:
                    continue
                response = self.http.get(href)
                if response.status_code == 404:  # deleted, or out of the caller's reach
                    self.records.pop(href, None)
                else:
                    self.records[href] = ok(response)
            self.position = body["next"]
            if not body["more"]:
                return


def server_view(http: TestClient) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for path in LISTS:
        for item in ok(http.get(path, params={"limit": 500}))["items"]:
            found[f"{path}/{item['id']}"] = item
    return found


@pytest.mark.parametrize("seed", [1, 2])
def test_a_mirror_of_a_subtree_ends_equal_to_the_server(
    client: TestClient, login: Any, seed: int
) -> None:
    rng = random.Random(seed)
    tree = make_tree(client)
    directive = make_directive(client)
    province, district = tree["province"], tree["district"]
    elsewhere = make_unit(client, name="Huyện ủy khác", kind="district_committee",
                          parent_id=province["id"])  # fmt: skip
    # Moves between the mirrored district and another one, taking its cell along.
    mover = make_unit(client, name="Đảng bộ xã Di", kind="commune_committee",
                      parent_id=district["id"])  # fmt: skip
    make_unit(client, name="Chi bộ thôn Di", kind="party_cell", parent_id=mover["id"])
    units = [u["id"] for u in ok(client.get("/api/v1/units", params={"limit": 500}))["items"]]
    # Commitments registered with a unit's superior, inside the district and outside it.
    pairs = [("commune", "district"), ("cell_a", "commune"), ("district", "province")]
    world = tree | {"directive": directive}
    positions: list[int] = []
    commitments: list[int] = []
    people: list[int] = []

    viewer = login("viewer", district["id"])
    mirror = Mirror(viewer)

    def step() -> None:
        op = rng.choice(["position", "position", "post", "drop", "commit", "retitle", "move",
                         "rename", "person"])  # fmt: skip
        if op == "position" or (op in {"post", "drop"} and not positions):
            person = make_person(client)["id"]
            body = {"person_id": person, "unit_id": rng.choice(units), "post": rng.choice(POSTS)}
            response = client.post("/api/v1/positions", json=body)
            if response.status_code == 201:
                positions.append(response.json()["id"])
        elif op == "post":
            patch = {"post": rng.choice(POSTS)}
            client.patch(f"/api/v1/positions/{rng.choice(positions)}", json=patch)
        elif op == "drop":
            position = positions.pop(rng.randrange(len(positions)))
            assert client.delete(f"/api/v1/positions/{position}").status_code == 204
        elif op == "commit" or (op == "retitle" and not commitments):
            unit, superior = rng.choice(pairs)
            body = commitment_body(world, unit=unit, superior=superior, year=2026)
            commitments.append(ok(client.post("/api/v1/commitments", json=body), 201)["id"])
        elif op == "retitle":
            patch = {"title": f"Việc {rng.randrange(1000)}"}
            ok(client.patch(f"/api/v1/commitments/{rng.choice(commitments)}", json=patch))
        elif op == "move":
            now = ok(client.get(f"/api/v1/units/{mover['id']}"))["parent_id"]
            to = elsewhere["id"] if now == district["id"] else district["id"]
            ok(client.patch(f"/api/v1/units/{mover['id']}", json={"parent_id": to}))
        elif op == "rename":
            patch = {"name": f"Đơn vị {rng.randrange(1000)}"}
            ok(client.patch(f"/api/v1/units/{rng.choice(units)}", json=patch))
        else:
            people.append(make_person(client)["id"])

    for _ in range(8):
        for _ in range(rng.randrange(1, 6)):
            step()
        mirror.sync()
        assert mirror.records == server_view(viewer)
    # Mostly by the feed: a full listing only when the scope changed.
    assert mirror.full_listings < 8
    # An admin's mirror too, started at the beginning of nothing in particular: now.
    admin = Mirror(client)
    for _ in range(3):
        step()
    admin.sync()
    assert admin.records == server_view(client)


def test_the_feed_answers_deletions_and_hides_other_subtrees(
    client: TestClient, login: Any
) -> None:
    tree = make_tree(client)
    other = make_unit(client, name="Huyện khác", kind="district_committee")
    person = make_person(client)["id"]
    viewer = login("viewer", tree["district"]["id"])
    start = ok(viewer.get(CHANGES))["next"]
    post = {"person_id": person, "post": "secretary"}
    mine = ok(client.post(POSITIONS, json=post | {"unit_id": tree["commune"]["id"]}), 201)
    ok(client.post(POSITIONS, json=post | {"unit_id": other["id"]}), 201)
    assert client.delete(f"/api/v1/positions/{mine['id']}").status_code == 204
    changes = ok(viewer.get(CHANGES, params={"since": start}))
    assert [(c["action"], c["entity_type"], c["href"]) for c in changes["items"]] == [
        ("create", "position", f"/api/v1/positions/{mine['id']}"),
        ("delete", "position", f"/api/v1/positions/{mine['id']}"),
    ]
    assert changes["more"] is False
    everything = ok(client.get(CHANGES, params={"since": start}))["items"]
    assert len(everything) == 3
    # Paged: `more` and `next` continue where the page stopped.
    first = ok(client.get(CHANGES, params={"since": start, "limit": 2}))
    assert first["more"] is True
    rest = ok(client.get(CHANGES, params={"since": first["next"]}))
    assert first["items"] + rest["items"] == everything


def test_bad_positions_are_problems(client: TestClient) -> None:
    make_tree(client)
    top = int(ok(client.get(CHANGES))["next"])
    assert top > 0
    gone = assert_problem(client.get(CHANGES, params={"since": str(top + 1)}), 410)
    assert gone["type"] == "/problems/sync-position-unknown"
    for bad in ("-1", "x", "1.0", "9" * 19, ""):
        assert_problem(client.get(CHANGES, params={"since": bad}), 422)


def test_every_href_is_a_route(app: Any) -> None:
    paths = app.openapi()["paths"]
    templates = {p.rpartition("/")[0] for p in paths if "get" in paths[p] and p.endswith("}")}
    assert {href.rpartition("/")[0] for href in HREFS.values()} <= templates


@pytest.mark.skipif(not IS_POSTGRES, reason="PostgreSQL commits out of position order")
def test_a_late_commit_is_not_passed_over(client: TestClient, engine: Engine) -> None:
    """A transaction that took position p and commits after one that took p+1: the feed waits
    for it rather than answer p+1 and move past p for ever."""
    make_tree(client)
    start = ok(client.get(CHANGES))["next"]
    insert = text(
        "INSERT INTO audit_event (at, actor, action, entity_type, entity_id) "
        "VALUES (now(), 'test', 'update', 'unit', 1) RETURNING id"
    )
    late = engine.connect()
    late_tx = late.begin()
    late_id = late.execute(insert).scalar_one()
    with engine.begin() as early:
        early_id = early.execute(insert).scalar_one()
    assert early_id > late_id
    answers: list[Any] = []
    reader = threading.Thread(
        target=lambda: answers.append(client.get(CHANGES, params={"since": start}))
    )
    reader.start()
    time.sleep(0.5)
    assert answers == []  # waiting for the late writer
    late_tx.commit()
    late.close()
    reader.join(timeout=10)
    positions = [c["position"] for c in ok(answers[0])["items"]]
    assert positions == [late_id, early_id]
