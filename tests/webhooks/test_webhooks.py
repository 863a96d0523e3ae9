"""Webhooks through the API and a real receiver: subscriptions, what is delivered to whom,
signatures (checked with the `standardwebhooks` package), retries, disabling and redelivery.
The worker is driven by calling `deliver_due(now)`, as a worker process would."""

import json
import socket
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from standardwebhooks.webhooks import Webhook

from app.core.clock import VIETNAM
from app.core.config import settings
from app.core.db import engine
from app.models import OutboxEvent
from app.webhooks.worker import deliver_due
from tests.factories import (
    assert_problem,
    make_candidate,
    make_commitment,
    make_directive,
    make_target,
    make_tree,
)
from tests.helpers import ok
from tests.webhooks.conftest import Receiver

WEBHOOKS = "/api/v1/webhooks"
ALL_EVENTS = [
    "commitment.status_changed",
    "commitment.progress_reported",
    "candidate.step_taken",
    "target.changed",
    "evaluation.changed",
    "deadline.due",
    "deadline.overdue",
    "import.finished",
]


def subscribe(client: TestClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "events": ALL_EVENTS} | fields
    created: dict[str, Any] = ok(client.post(WEBHOOKS, json=body), 201)
    return created


def payloads(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    """What the receiver got, each request's signature verified as a receiver would."""
    return [Webhook(secret).verify(r.body, r.headers) for r in receiver.requests]


def outbox_size() -> int:
    with Session(engine) as session:
        return session.execute(select(func.count()).select_from(OutboxEvent)).scalar_one()


@pytest.fixture
def world(client: TestClient) -> dict[str, Any]:
    return make_tree(client) | {"directive": make_directive(client)}


def test_subscription_lifecycle(client: TestClient, world: dict[str, Any]) -> None:
    response = client.post(
        WEBHOOKS,
        json={
            "url": "https://hooks.example.org/camket",
            "events": ["deadline.overdue", "deadline.overdue", "target.changed"],
            "unit_id": world["commune"]["id"],
            "description": "Bảng điều khiển",
        },
    )
    created = ok(response, 201)
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["deadline.overdue", "target.changed"]
    assert created["active"] is True
    assert created["owner"] == "admin"
    location = response.headers["Location"]
    shown = ok(client.get(location))
    assert "secret" not in shown
    assert [w["id"] for w in ok(client.get(WEBHOOKS))["items"]] == [created["id"]]
    # The secret never reaches the audit trail.
    assert "whsec_" not in client.get("/api/v1/audit-events").text

    stale = client.patch(location, json={"events": ["target.changed"]}, headers={"If-Match": '"9"'})
    assert_problem(stale, 412)
    updated = ok(
        client.patch(
            location,
            json={"events": ["target.changed"], "active": False},
            headers={"If-Match": response.headers["ETag"]},
        )
    )
    assert updated["events"] == ["target.changed"]
    assert updated["active"] is False

    assert client.delete(location).status_code == 204
    assert_problem(client.get(location), 404)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://hooks.example.org/x"}, "url"),
        ({"url": "https://user:pw@hooks.example.org/x"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "http://[::1/x"}, "url"),
        ({"url": "http://hooks.example.org:99999/x"}, "url"),
        ({"url": "http://hooks.example.org/a b"}, "url"),
        ({"events": []}, "events"),
        ({"events": ["commitment.deleted"]}, "events"),
        ({"unit_id": 999_999}, "unit_id"),
        ({"secret": "whsec_mine"}, "secret"),
    ],
)
def test_bad_subscriptions_are_refused(
    client: TestClient, body: dict[str, Any], field: str
) -> None:
    full = {"url": "https://hooks.example.org/x", "events": ["target.changed"]} | body
    problem = assert_problem(client.post(WEBHOOKS, json=full), 422)
    assert field in json.dumps(problem["errors"])
    assert ok(client.get(WEBHOOKS))["total"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:192.168.1.1]/x",
        "http://localhost/x",
        "http://100.64.0.1/x",
    ],
)
def test_private_addresses_are_refused_unless_allowed(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private", False)
    problem = assert_problem(client.post(WEBHOOKS, json={"url": url, "events": ALL_EVENTS}), 422)
    assert "not a public address" in problem["detail"]


def test_only_allowed_hosts(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_allowed_hosts", "hooks.example.org, *.camket.vn")
    for url in ["https://hooks.example.org/a", "https://tinh.camket.vn/b"]:
        subscribe(client, url)
    for url in ["https://evil.example.org/a", "https://camket.vn.evil.org/b"]:
        assert_problem(client.post(WEBHOOKS, json={"url": url, "events": ALL_EVENTS}), 422)


def test_who_may_subscribe(client: TestClient, login: Any, world: dict[str, Any]) -> None:
    commune, department = world["commune"], world["department"]
    manager = login("manager", commune["id"])
    # Outside the manager's subtree, or without the manager role: refused, nothing written.
    assert_problem(
        manager.post(
            WEBHOOKS,
            json={
                "url": "https://h.example.org",
                "events": ALL_EVENTS,
                "unit_id": department["id"],
            },
        ),
        403,
    )
    for role in ("viewer", "reporter"):
        other = login(role, commune["id"])
        assert_problem(
            other.post(WEBHOOKS, json={"url": "https://h.example.org", "events": ALL_EVENTS}), 403
        )
    own = subscribe(manager, "https://h.example.org", unit_id=commune["id"])
    # A subscription is its owner's: another manager, even of the same unit, does not see it.
    colleague = login("manager", commune["id"])
    assert_problem(colleague.get(f"{WEBHOOKS}/{own['id']}"), 404)
    assert_problem(colleague.delete(f"{WEBHOOKS}/{own['id']}"), 404)
    assert ok(colleague.get(WEBHOOKS))["total"] == 0
    # Moving it out of the owner's subtree is refused as creating it there would be.
    assert_problem(
        manager.patch(f"{WEBHOOKS}/{own['id']}", json={"unit_id": department["id"]}), 403
    )
    assert ok(client.get(WEBHOOKS))["total"] == 1  # admins see every subscription


def _events_of_the_commune(client: TestClient, world: dict[str, Any]) -> None:
    """Commitment transitions and progress, a target, a candidate's step: five events."""
    commitment = make_commitment(client, world, "accepted")  # register, accept
    ok(
        client.post(
            f"/api/v1/commitments/{commitment['id']}/progress-updates",
            json={"reported_on": "2022-06-01", "progress_percent": 40, "note": "Đã giao chỉ tiêu"},
        ),
        201,
    )
    make_target(client, world["commune"], year=2025, target=3)
    candidate = make_candidate(client, world["cell_a"], "2025-01-01")
    ok(
        client.post(
            f"/api/v1/recruitment/candidates/{candidate['id']}/transitions",
            json={"action": "complete_course", "on": "2025-02-01"},
        )
    )


def test_every_committed_event_arrives_once_signed(
    client: TestClient, world: dict[str, Any], receiver: Receiver
) -> None:
    webhook = subscribe(client, receiver.url)
    _events_of_the_commune(client, world)
    now = datetime.now(UTC)
    assert deliver_due(now) == 5
    assert deliver_due(now) == 0  # nothing twice
    got = payloads(receiver, webhook["secret"])
    assert [p["type"] for p in got] == [
        "commitment.status_changed",
        "commitment.status_changed",
        "commitment.progress_reported",
        "target.changed",
        "candidate.step_taken",
    ]
    assert [p["data"]["action"] for p in got[:2]] == ["register", "accept"]
    assert got[1]["data"]["record"]["status"] == "accepted"
    assert got[1]["data"]["previous"]["status"] == "registered"
    assert got[4]["data"]["unit_id"] == world["cell_a"]["id"]
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert len(set(ids)) == 5
    # A tampered body fails verification.
    tampered = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Webhook(webhook["secret"]).verify(tampered.body + b" ", tampered.headers)

    log = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries"))
    assert log["total"] == 5
    assert {d["status"] for d in log["items"]} == {"succeeded"}
    assert {d["last_status_code"] for d in log["items"]} == {204}
    assert log["items"][0]["event_type"] == "candidate.step_taken"  # newest first


def test_subscribers_get_only_their_subtree_and_scope(
    client: TestClient, login: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    cell_manager = login("manager", world["cell_b"]["id"])
    in_cell_b = subscribe(cell_manager, receiver.url)  # all it may read: cell B
    cell_a_only = subscribe(client, receiver.url, unit_id=world["cell_a"]["id"])
    _events_of_the_commune(client, world)  # of the commune, and a step in cell A
    deliver_due(datetime.now(UTC))
    assert len(receiver.requests) == 1
    assert (
        Webhook(cell_a_only["secret"]).verify(
            receiver.requests[0].body, receiver.requests[0].headers
        )["type"]
        == "candidate.step_taken"
    )
    assert ok(cell_manager.get(f"{WEBHOOKS}/{in_cell_b['id']}/deliveries"))["total"] == 0


def test_a_rolled_back_write_sends_nothing(
    client: TestClient, world: dict[str, Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    webhook = subscribe(client, receiver.url)

    def failing_commit(self: Session) -> None:
        # The connection lost as the commit was sent: the transaction is rolled back.
        raise OperationalError(
            "COMMIT", {}, Exception("the database went away"), connection_invalidated=True
        )

    with monkeypatch.context() as patch:
        patch.setattr(Session, "commit", failing_commit)
        response = client.post(
            "/api/v1/recruitment/targets",
            json={"unit_id": world["commune"]["id"], "year": 2025, "target": 3},
        )
    assert response.status_code == 503
    assert outbox_size() == 0
    deliver_due(datetime.now(UTC))
    assert receiver.requests == []
    # The same write, committed, is delivered.
    make_target(client, world["commune"], year=2025, target=3)
    deliver_due(datetime.now(UTC))
    assert [p["type"] for p in payloads(receiver, webhook["secret"])] == ["target.changed"]


def test_a_refused_write_sends_nothing(
    client: TestClient, world: dict[str, Any], receiver: Receiver
) -> None:
    subscribe(client, receiver.url)
    commitment = make_commitment(client, world, "draft")
    refused = client.post(
        f"/api/v1/commitments/{commitment['id']}/transitions", json={"action": "accept"}
    )
    assert_problem(refused, 409)
    assert deliver_due(datetime.now(UTC)) == 0
    assert receiver.requests == []


def test_retry_after_a_500(client: TestClient, world: dict[str, Any], receiver: Receiver) -> None:
    webhook = subscribe(client, receiver.url)
    receiver.statuses = [500]
    make_target(client, world["commune"], year=2025, target=3)
    now = datetime.now(UTC)
    assert deliver_due(now) == 1
    [failed] = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries"))["items"]
    assert failed["status"] == "pending"
    assert failed["attempts"] == 1
    assert failed["last_status_code"] == 500
    assert failed["last_response"] == "ok"
    assert datetime.fromisoformat(failed["next_attempt_at"]) == now + timedelta(seconds=10)
    assert deliver_due(now + timedelta(seconds=9)) == 0  # not yet
    assert deliver_due(now + timedelta(seconds=10)) == 1
    [delivered] = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries"))["items"]
    assert (delivered["status"], delivered["attempts"]) == ("succeeded", 2)
    # Two attempts of one message: the same webhook-id, each validly signed.
    got = payloads(receiver, webhook["secret"])
    assert len(got) == 2
    assert got[0] == got[1]
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert ok(client.get(f"{WEBHOOKS}/{webhook['id']}"))["consecutive_failures"] == 0


def test_backoff_doubles_up_to_the_cap_then_the_delivery_fails(
    client: TestClient, world: dict[str, Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 100)
    webhook = subscribe(client, receiver.url)
    receiver.status = 500
    make_target(client, world["commune"], year=2025, target=3)
    now = datetime.now(UTC)
    waits = []
    for _ in range(5):
        assert deliver_due(now) == 1
        [delivery] = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries"))["items"]
        if delivery["next_attempt_at"] is None:
            break
        later = datetime.fromisoformat(delivery["next_attempt_at"])
        waits.append((later - now).total_seconds())
        now = later
    assert waits == [10, 20, 40, 60]  # base 10 s, doubling, capped at 60 s
    assert (delivery["status"], delivery["attempts"]) == ("failed", 5)
    assert deliver_due(now + timedelta(days=1)) == 0
    assert len(receiver.requests) == 5


def test_disabled_after_repeated_failures_then_resumed_and_redelivered(
    client: TestClient, world: dict[str, Any], receiver: Receiver
) -> None:
    webhook = subscribe(client, receiver.url)
    path = f"{WEBHOOKS}/{webhook['id']}"
    receiver.status = 503
    make_target(client, world["commune"], year=2025, target=3)
    make_target(client, world["district"], year=2025, target=9)
    now = datetime.now(UTC)
    assert deliver_due(now) == 2
    assert ok(client.get(path))["active"] is True
    assert deliver_due(now + timedelta(seconds=10)) == 1  # the third failure in a row
    disabled = ok(client.get(path))
    assert disabled["active"] is False
    assert "3 failed attempts" in disabled["disabled_reason"]
    assert deliver_due(now + timedelta(hours=1)) == 0
    assert len(receiver.requests) == 3

    [_newest, oldest] = ok(client.get(f"{path}/deliveries"))["items"]
    assert_problem(client.post(f"{path}/deliveries/{oldest['id']}/redeliver"), 409)
    resumed = ok(client.patch(path, json={"active": True}))
    assert (resumed["consecutive_failures"], resumed["disabled_reason"]) == (0, None)
    receiver.status = 200
    again = ok(client.post(f"{path}/deliveries/{oldest['id']}/redeliver"), 202)
    assert again["event_id"] == oldest["event_id"]
    assert again["status"] == "pending"
    assert_problem(client.post(f"{path}/deliveries/999999/redeliver"), 404)
    # The redelivery, and both pending retries, go out.
    assert deliver_due(now + timedelta(hours=1)) == 3
    log = ok(client.get(f"{path}/deliveries", params={"status": "succeeded"}))
    assert log["total"] == 3
    assert all(Webhook(webhook["secret"]).verify(r.body, r.headers) for r in receiver.requests)


def test_addresses_are_checked_again_at_delivery(
    client: TestClient, world: dict[str, Any], receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A public-looking name that resolves to loopback when the delivery is made (DNS
    rebinding) gets nothing."""
    port = receiver.url.split(":")[2].split("/")[0]
    monkeypatch.setattr(settings, "webhook_allow_private", False)
    webhook = subscribe(client, f"http://hooks.example.org:{port}/hooks")

    real = socket.getaddrinfo

    def rebound(host: str, *args: Any, **kwargs: Any) -> Any:
        return real("127.0.0.1" if host == "hooks.example.org" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    make_target(client, world["commune"], year=2025, target=3)
    assert deliver_due(datetime.now(UTC)) == 1
    assert receiver.requests == []
    [delivery] = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries"))["items"]
    assert "resolves to 127.0.0.1, not public" in delivery["last_error"]
    # Allowed by the operator, the same name reaches the receiver, with its own Host header.
    monkeypatch.setattr(settings, "webhook_allow_private", True)
    assert deliver_due(datetime.now(UTC) + timedelta(seconds=10)) == 1
    assert receiver.requests[0].headers["host"] == f"hooks.example.org:{port}"


def test_deadlines_due_and_overdue_once_a_day(
    client: TestClient, world: dict[str, Any], receiver: Receiver
) -> None:
    webhook = subscribe(client, receiver.url, events=["deadline.due", "deadline.overdue"])
    now = datetime.now(UTC)
    today = now.astimezone(VIETNAM).date()
    year = today.year
    due = make_commitment(client, world, "accepted", year=year, deadline=today.isoformat())
    late = make_commitment(
        client, world, "accepted", year=year, deadline=(today - timedelta(days=1)).isoformat()
    )
    make_commitment(client, world, "completed", year=year, deadline=today.isoformat())
    assert deliver_due(now) == 2
    assert deliver_due(now) == 0  # the day is announced once
    got = {p["type"]: p["data"] for p in payloads(receiver, webhook["secret"])}
    assert got["deadline.due"]["entity_id"] == due["id"]
    assert got["deadline.overdue"]["entity_id"] == late["id"]
    assert got["deadline.overdue"]["day"] == today.isoformat()
    # The next day: the first becomes overdue, the second stays overdue (no new event).
    tomorrow = now + timedelta(days=1)
    receiver.requests.clear()
    assert deliver_due(tomorrow) == 1
    [overdue] = [json.loads(r.body) for r in receiver.requests]
    assert (overdue["type"], overdue["data"]["entity_id"]) == ("deadline.overdue", due["id"])


def test_a_machine_client_subscribes_with_its_api_key(
    client: TestClient, app: Any, world: dict[str, Any], receiver: Receiver
) -> None:
    """An API key with the manager role subscribes for its subtree; revoked, it gets nothing."""
    key = ok(
        client.post(
            "/api/v1/api-keys",
            json={"name": "Bảng điều khiển", "role": "manager", "unit_id": world["commune"]["id"]},
        ),
        201,
    )
    machine = TestClient(app, headers={"X-API-Key": key["key"]})
    webhook = subscribe(machine, receiver.url)
    assert webhook["owner"].startswith("key:")
    assert ok(machine.get(WEBHOOKS))["total"] == 1
    make_target(client, world["commune"], year=2025, target=3)
    make_target(client, world["department"], year=2025, target=1)  # outside its subtree
    assert deliver_due(datetime.now(UTC)) == 1
    assert payloads(receiver, webhook["secret"])[0]["data"]["unit_id"] == world["commune"]["id"]
    ok(client.post(f"/api/v1/api-keys/{key['id']}/revoke"))
    make_target(client, world["commune"], year=2026, target=3)
    assert deliver_due(datetime.now(UTC)) == 0


def test_a_subscription_gets_only_events_after_it(
    client: TestClient, world: dict[str, Any], receiver: Receiver
) -> None:
    make_target(client, world["commune"], year=2025, target=3)
    webhook = subscribe(client, receiver.url)
    make_target(client, world["commune"], year=2026, target=4)
    assert deliver_due(datetime.now(UTC)) == 1
    [got] = payloads(receiver, webhook["secret"])
    assert got["data"]["record"]["year"] == 2026
