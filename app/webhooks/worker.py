"""The worker that delivers webhooks: `deliver_due(now)` is one pass, which the in-process
thread (`camket serve` on SQLite), `camket worker` processes and the tests all run.

A pass (1) announces the day's deadlines (app/webhooks/deadlines.py), (2) fans each new outbox
event out into one delivery per subscription that wants it, and (3) makes every attempt due.
Several workers share the work on PostgreSQL by claiming rows with `FOR UPDATE SKIP LOCKED`:
an attempt keeps its delivery's row locked until its outcome is committed, so no other worker
can make the same attempt. SQLite has no row locks: there a worker claims a delivery by moving
its next attempt forward (a lease) in a transaction of its own before it sends.

None of this locks a unit or a record of the domain: writers only insert into the outbox, and
the worker only updates the outbox, the deliveries and the subscriptions (in that order)."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy import CursorResult, Engine, select
from sqlmodel import Session, col

from app.access.scope import Principal, Scope
from app.core import clock
from app.core.config import settings
from app.core.db import engine as default_engine
from app.models import (
    ApiKey,
    DeliveryStatus,
    Grant,
    OutboxEvent,
    UnitClosure,
    User,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from app.tree.closure import valid_on
from app.webhooks import deadlines
from app.webhooks.sending import Outcome, send

log = logging.getLogger("camket.webhooks")

FAN_OUT_BATCH = 100
# How long a worker on SQLite holds a delivery it claimed: longer than any attempt can take.
LEASE = timedelta(minutes=5)


def deliver_due(now: datetime | None = None, *, engine: Engine = default_engine) -> int:
    """One pass of the worker at `now` (default: the present); the number of attempts made."""
    now = now or utcnow()
    with Session(engine, expire_on_commit=False) as session:
        deadlines.check(session, now.astimezone(clock.VIETNAM).date())
    fan_out(now, engine=engine)
    attempts = 0
    while attempt_one(now, engine=engine):
        attempts += 1
    return attempts


# -- fan-out ---------------------------------------------------------------------------------


def owner_principal(session: Session, subscription: WebhookSubscription) -> Principal | None:
    """The subscription's owner as it stands now (its grants today), or None when the account is
    disabled or the key revoked: what it may read is what it is sent."""
    if subscription.owner_user_id is not None:
        user = session.get(User, subscription.owner_user_id)
        if user is None or not user.is_active:
            return None
        grants = session.execute(
            select(col(Grant.role), col(Grant.unit_id)).where(col(Grant.user_id) == user.id)
        ).all()
        return Principal(
            name=user.username, grants=tuple((r, u) for r, u in grants), user_id=user.id
        )
    key = session.get(ApiKey, subscription.owner_api_key_id)
    if key is None or key.revoked_at is not None:
        return None
    return Principal(name=f"key:{key.prefix}", grants=((key.role, key.unit_id),), api_key_id=key.id)


def _in_subtree(session: Session, root_id: int, unit_id: int) -> bool:
    statement = select(col(UnitClosure.depth)).where(
        col(UnitClosure.ancestor_id) == root_id,
        col(UnitClosure.descendant_id) == unit_id,
        valid_on(UnitClosure),
    )
    return session.execute(statement.limit(1)).first() is not None


def wants(
    session: Session, subscription: WebhookSubscription, owner: Principal, event: OutboxEvent
) -> bool:
    """The subscription asked for the event's type, the event happened since it subscribed,
    and its unit lies in the subscription's subtree and in what the owner may read (in today's
    tree)."""
    if event.type.value not in subscription.events or event.occurred_at < subscription.created_at:
        return False
    if event.unit_id is None:
        return subscription.unit_id is None and owner.is_admin
    if subscription.unit_id is not None and not _in_subtree(
        session, subscription.unit_id, event.unit_id
    ):
        return False
    return Scope(session, owner).can_read(event.unit_id)


def fan_out(now: datetime, *, engine: Engine = default_engine) -> int:
    """Turn the outbox's new events into deliveries, a batch per transaction; how many events."""
    done = 0
    with Session(engine, expire_on_commit=False) as session:
        while True:
            events = (
                session.execute(
                    select(OutboxEvent)
                    .where(col(OutboxEvent.dispatched_at).is_(None))
                    .order_by(col(OutboxEvent.id))
                    .limit(FAN_OUT_BATCH)
                    .with_for_update(skip_locked=True)
                )
                .scalars()
                .all()
            )
            if not events:
                return done
            subscriptions = session.execute(
                select(WebhookSubscription).where(col(WebhookSubscription.active))
            ).scalars()
            owners = [(s, owner_principal(session, s)) for s in subscriptions]
            for event in events:
                # The condition makes the claim on SQLite, which ignores FOR UPDATE.
                claimed = session.execute(
                    sa.update(OutboxEvent)
                    .where(
                        col(OutboxEvent.id) == event.id,
                        col(OutboxEvent.dispatched_at).is_(None),
                    )
                    .values(dispatched_at=now)
                    .execution_options(synchronize_session=False)
                )
                if cast(CursorResult[Any], claimed).rowcount != 1:
                    continue
                for subscription, owner in owners:
                    if owner is not None and wants(session, subscription, owner, event):
                        session.add(
                            WebhookDelivery(
                                subscription_id=subscription.id,
                                event_id=event.id,
                                next_attempt_at=now,
                                created_at=now,
                            )
                        )
                done += 1
            session.commit()


# -- attempts --------------------------------------------------------------------------------


def _due(now: datetime) -> sa.Select[Any]:
    return (
        select(WebhookDelivery)
        .join(
            WebhookSubscription,
            col(WebhookSubscription.id) == col(WebhookDelivery.subscription_id),
        )
        .where(
            col(WebhookDelivery.status) == DeliveryStatus.pending,
            col(WebhookDelivery.next_attempt_at) <= now,
            col(WebhookSubscription.active),
        )
        .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
        .limit(1)
    )


def _claim(session: Session, now: datetime) -> WebhookDelivery | None:
    """A delivery due at `now` that no other worker is attempting, held by this session."""
    if session.get_bind().dialect.name == "postgresql":
        locked: WebhookDelivery | None = (
            session.execute(_due(now).with_for_update(skip_locked=True, of=WebhookDelivery))
            .scalars()
            .first()
        )
        return locked
    while True:
        delivery: WebhookDelivery | None = session.execute(_due(now)).scalars().first()
        if delivery is None:
            return None
        leased = session.execute(
            sa.update(WebhookDelivery)
            .where(
                col(WebhookDelivery.id) == delivery.id,
                col(WebhookDelivery.next_attempt_at) == delivery.next_attempt_at,
                col(WebhookDelivery.status) == DeliveryStatus.pending,
            )
            .values(next_attempt_at=now + LEASE)
            .execution_options(synchronize_session=False)
        )
        session.commit()
        if cast(CursorResult[Any], leased).rowcount == 1:
            return delivery


def backoff(attempts: int) -> timedelta:
    """The wait before the next attempt after `attempts` failed ones: doubling, capped."""
    seconds = settings.webhook_retry_base_seconds * 2 ** min(attempts - 1, 60)
    return timedelta(seconds=min(seconds, settings.webhook_retry_cap_seconds))


def attempt_one(now: datetime, *, engine: Engine = default_engine) -> bool:
    """Make one attempt due at `now`, if there is one, and record its outcome."""
    with Session(engine, expire_on_commit=False) as session:
        delivery = _claim(session, now)
        if delivery is None:
            return False
        subscription = session.get(WebhookSubscription, delivery.subscription_id)
        event = session.get(OutboxEvent, delivery.event_id)
        assert subscription is not None  # foreign keys
        assert event is not None
        outcome = send(url=subscription.url, secret=subscription.secret, event=event)
        _record(session, delivery, subscription, outcome, now)
        session.commit()
    return True


def _record(
    session: Session,
    delivery: WebhookDelivery,
    subscription: WebhookSubscription,
    outcome: Outcome,
    now: datetime,
) -> None:
    attempts = delivery.attempts + 1
    if outcome.ok:
        status, next_attempt = DeliveryStatus.succeeded, None
    elif attempts >= settings.webhook_max_attempts:
        status, next_attempt = DeliveryStatus.failed, None
    else:
        status, next_attempt = DeliveryStatus.pending, now + backoff(attempts)
    session.execute(
        sa.update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery.id)
        .values(
            attempts=attempts,
            status=status,
            next_attempt_at=next_attempt,
            last_attempt_at=now,
            last_status_code=outcome.status_code,
            last_response=outcome.response,
            last_error=outcome.error,
        )
        .execution_options(synchronize_session=False)
    )
    # Bookkeeping, not an edit: the subscription's version (its ETag) changes only when the
    # worker disables it.
    table = WebhookSubscription.__table__  # type: ignore[attr-defined]
    if outcome.ok:
        session.execute(
            table.update()
            .where(table.c.id == subscription.id, table.c.consecutive_failures != 0)
            .values(consecutive_failures=0)
        )
        return
    session.execute(
        table.update()
        .where(table.c.id == subscription.id)
        .values(consecutive_failures=table.c.consecutive_failures + 1)
    )
    session.execute(
        table.update()
        .where(
            table.c.id == subscription.id,
            table.c.active,
            table.c.consecutive_failures >= settings.webhook_disable_after_failures,
        )
        .values(
            active=False,
            disabled_reason=(
                f"Disabled after {settings.webhook_disable_after_failures} failed attempts "
                f"in a row (the last at {now.isoformat()})."
            ),
            version=table.c.version + 1,
            updated_at=now,
        )
    )


# -- running ---------------------------------------------------------------------------------


def run(stop: threading.Event, *, engine: Engine = default_engine) -> None:
    """Pass after pass until `stop` is set, resting between passes that found nothing to do.
    A failing pass (the database unreachable…) is logged and tried again after the rest."""
    while not stop.is_set():
        try:
            busy = deliver_due(engine=engine) > 0
        except Exception:
            log.exception("webhook worker pass failed")
            busy = False
        if not busy:
            stop.wait(settings.webhook_poll_seconds)


def in_process_enabled(engine: Engine = default_engine) -> bool:
    if settings.webhook_in_process_worker is not None:
        return settings.webhook_in_process_worker
    return engine.dialect.name == "sqlite"


@contextmanager
def in_process() -> Iterator[None]:
    """The worker as a thread of the serving process while the block runs, when enabled."""
    if not in_process_enabled():
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(target=run, args=(stop,), name="webhook-worker", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=settings.webhook_timeout_seconds * 4)
