"""Several workers at once, and the pure rules the worker applies."""

import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.core.config import settings
from app.outbox import event_type
from app.webhooks import worker
from app.webhooks.urls import UnsafeURLError, check_url, resolve
from tests.conftest import IS_POSTGRES
from tests.factories import make_target, make_tree
from tests.helpers import ok
from tests.webhooks.conftest import Receiver
from tests.webhooks.test_webhooks import WEBHOOKS, payloads, subscribe


@pytest.mark.skipif(not IS_POSTGRES, reason="workers share the work on PostgreSQL")
@pytest.mark.postgres_only
def test_two_workers_never_make_the_same_attempt(
    client: TestClient, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_disable_after_failures", 1000)
    tree = make_tree(client)
    webhook = subscribe(client, receiver.url)
    for year in range(2020, 2030):
        for unit in ("commune", "cell_a", "cell_b"):
            make_target(client, tree[unit], year=year, target=year - 2019)
    receiver.delay = 0.01  # slow enough for the workers to overlap
    # Every first attempt fails, so the second pass retries what either worker attempted.
    receiver.statuses = [500] * 30
    now = datetime.now(UTC)
    made: list[int] = []

    def run(start: threading.Barrier, at: datetime) -> None:
        start.wait()
        made.append(worker.deliver_due(at))

    for at in (now, now + timedelta(seconds=10)):
        start = threading.Barrier(2)
        threads = [threading.Thread(target=run, args=(start, at)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    # 30 events, each attempted twice (a 500, then a 204): each attempt reached the receiver
    # once, whichever worker made it.
    assert sum(made) == 60
    assert len(made) == 4
    assert min(made[2:]) > 0  # the retries were shared
    per_message = Counter(r.headers["webhook-id"] for r in receiver.requests)
    assert len(per_message) == 30
    assert set(per_message.values()) == {2}
    assert len(payloads(receiver, webhook["secret"])) == 60
    log = ok(client.get(f"{WEBHOOKS}/{webhook['id']}/deliveries", params={"limit": 500}))
    assert log["total"] == 30
    assert {(d["status"], d["attempts"]) for d in log["items"]} == {("succeeded", 2)}


def test_the_in_process_worker_delivers_by_itself(
    client: TestClient, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "webhook_in_process_worker", True)
    monkeypatch.setattr(settings, "webhook_poll_seconds", 0.05)
    tree = make_tree(client)
    webhook = subscribe(client, receiver.url)
    with worker.in_process():
        make_target(client, tree["commune"], year=2025, target=3)
        deadline = time.monotonic() + 10
        while not receiver.requests and time.monotonic() < deadline:
            time.sleep(0.05)
    assert [p["type"] for p in payloads(receiver, webhook["secret"])] == ["target.changed"]


def test_the_in_process_worker_is_for_the_embedded_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(settings, "webhook_in_process_worker", None)
    assert worker.in_process_enabled() is (not IS_POSTGRES)
    monkeypatch.setattr(settings, "webhook_in_process_worker", False)
    assert worker.in_process_enabled() is False


def test_backoff_doubles_up_to_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_retry_base_seconds", 30.0)
    monkeypatch.setattr(settings, "webhook_retry_cap_seconds", 3600.0)
    waits = [worker.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 500)]
    assert waits == [30, 60, 120, 1920, 3600, 3600]


@pytest.mark.parametrize(
    ("entity_type", "action", "expected"),
    [
        ("commitment", "accept", "commitment.status_changed"),
        ("commitment", "return", "commitment.status_changed"),
        ("commitment", "update", None),
        ("commitment", "create", None),
        ("progress_update", "create", "commitment.progress_reported"),
        ("candidate", "admit", "candidate.step_taken"),
        ("candidate", "update", None),
        ("recruitment_target", "delete", "target.changed"),
        ("evaluation", "decide", "evaluation.changed"),
        ("unit", "create", None),
        ("webhook_subscription", "create", None),
    ],
)
def test_which_audited_changes_are_events(
    entity_type: str, action: str, expected: str | None
) -> None:
    kind = event_type(entity_type, action)
    assert (kind.value if kind else None) == expected


@pytest.mark.parametrize(
    ("url", "public"),
    [
        ("https://8.8.8.8/x", True),
        ("https://[2001:4860:4860::8888]/x", True),
        ("https://192.168.0.10/x", False),
        ("https://172.16.5.4/x", False),
        ("https://[fe80::1]/x", False),
        ("https://[fc00::1]/x", False),
        ("https://0.0.0.0/x", False),
        ("https://224.0.0.1/x", False),
        ("https://printer.local/x", False),
    ],
)
def test_public_addresses(url: str, public: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "webhook_allow_private", False)
    if public:
        check_url(url)
    else:
        with pytest.raises(UnsafeURLError):
            check_url(url)


def test_every_resolved_address_must_be_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name with one public and one private address is refused: the connection could go to
    either."""
    monkeypatch.setattr(settings, "webhook_allow_private", False)

    def two(host: str, *_: Any, **__: Any) -> list[Any]:
        return [(2, 1, 6, "", ("8.8.8.8", 443)), (2, 1, 6, "", ("10.0.0.1", 443))]

    monkeypatch.setattr("socket.getaddrinfo", two)
    with pytest.raises(UnsafeURLError, match=r"10\.0\.0\.1"):
        resolve("https://hooks.example.org/x")
