"""Webhook subscriptions and their delivery logs.

Who may subscribe: a manager (or an admin), to the events of a subtree they manage, or with no
subtree to everything they may read; what a subscription is sent is checked again at every
event against its owner's grants of the day (app/webhooks/worker.py `wants`). A subscription
belongs to whoever created it (a user or an API key): only they and admins see or change it."""

from typing import Any

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.audit.service import audited
from app.core.errors import ConflictError, InvalidValueError, NotFoundError
from app.core.pagination import PageParams, paginate
from app.models import (
    DeliveryStatus,
    EventType,
    OutboxEvent,
    WebhookDelivery,
    WebhookSubscription,
    utcnow,
)
from app.webhooks.schemas import WebhookCreate, WebhookUpdate
from app.webhooks.sending import new_secret
from app.webhooks.urls import UnsafeURLError, check_url


def _check_url(url: str) -> None:
    try:
        check_url(url)
    except UnsafeURLError as error:
        raise InvalidValueError("url", str(error)) from None


def _check_subtree(scope: Scope, unit_id: int | None) -> None:
    if unit_id is None:
        scope.require_role("subscribe to webhooks")
        return
    scope.named_unit(unit_id)
    scope.require_write(unit_id, f"subscribe to the events of unit {unit_id}")


def _event_values(events: list[EventType]) -> list[str]:
    return [e.value for e in dict.fromkeys(events)]


def create_webhook(
    session: Session, *, scope: Scope, webhook_in: WebhookCreate
) -> WebhookSubscription:
    _check_url(webhook_in.url)
    _check_subtree(scope, webhook_in.unit_id)
    principal = scope.principal
    subscription = WebhookSubscription(
        url=webhook_in.url,
        events=_event_values(webhook_in.events),
        unit_id=webhook_in.unit_id,
        description=webhook_in.description,
        secret=new_secret(),
        owner=principal.name,
        owner_user_id=principal.user_id,
        owner_api_key_id=principal.api_key_id,
    )
    with audited(session, scope=scope, action="create", entity=subscription):
        session.add(subscription)
    return subscription


def _owned(scope: Scope) -> sa.ColumnElement[bool]:
    principal = scope.principal
    if principal.is_admin:
        return sa.true()
    if principal.user_id is not None:
        return col(WebhookSubscription.owner_user_id) == principal.user_id
    return col(WebhookSubscription.owner_api_key_id) == principal.api_key_id


def list_webhooks(session: Session, *, scope: Scope, params: PageParams) -> dict[str, Any]:
    """The caller's own subscriptions (an admin's: everyone's), oldest first."""
    statement = (
        select(WebhookSubscription).where(_owned(scope)).order_by(col(WebhookSubscription.id))
    )
    return paginate(session, statement, params, plain=True)


def update_webhook(
    session: Session, *, scope: Scope, subscription: WebhookSubscription, webhook_in: WebhookUpdate
) -> WebhookSubscription:
    changes = webhook_in.model_dump(exclude_unset=True)
    if "url" in changes:
        _check_url(changes["url"])
    if "unit_id" in changes:
        _check_subtree(scope, changes["unit_id"])
    if "events" in changes:
        changes["events"] = _event_values(webhook_in.events)
    if "active" in changes:
        # Resuming starts the count of failures afresh; either way the service's reason goes.
        changes["disabled_reason"] = None
        if changes["active"]:
            changes["consecutive_failures"] = 0
    with audited(session, scope=scope, action="update", entity=subscription):
        subscription.apply(changes)
    return subscription


def delete_webhook(session: Session, *, scope: Scope, subscription: WebhookSubscription) -> None:
    """With its delivery log. The deliveries go first, the order the worker locks them in (a
    delivery, then its subscription), so that a delete waits for an attempt under way."""
    with audited(session, scope=scope, action="delete", entity=subscription):
        session.execute(
            sa.delete(WebhookDelivery).where(
                col(WebhookDelivery.subscription_id) == subscription.id
            )
        )
        session.delete(subscription)


def list_deliveries(
    session: Session,
    *,
    subscription: WebhookSubscription,
    params: PageParams,
    status: DeliveryStatus | None,
) -> dict[str, Any]:
    """Newest first, each with its last response."""
    statement = (
        select(
            *WebhookDelivery.__table__.columns,  # type: ignore[attr-defined]
            col(OutboxEvent.type).label("event_type"),
        )
        .join(OutboxEvent, col(OutboxEvent.id) == col(WebhookDelivery.event_id))
        .where(col(WebhookDelivery.subscription_id) == subscription.id)
        .order_by(col(WebhookDelivery.id).desc())
    )
    if status is not None:
        statement = statement.where(col(WebhookDelivery.status) == status)
    return paginate(session, statement, params, plain=True)


def redeliver(
    session: Session,
    *,
    scope: Scope,
    subscription: WebhookSubscription,
    delivery_id: int,
) -> dict[str, Any]:
    """A new delivery of the same event (the same `webhook-id`), attempted at once."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.subscription_id != subscription.id:
        raise NotFoundError(f"Delivery {delivery_id} of webhook {subscription.id} does not exist.")
    if not subscription.active:
        raise ConflictError("The webhook is paused or disabled: resume it first (active: true).")
    now = utcnow()
    again = WebhookDelivery(
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        created_at=now,
        next_attempt_at=now,
    )
    with audited(session, scope=scope, action="create", entity=again, unit_id=subscription.unit_id):
        session.add(again)
    event_type = session.execute(
        select(col(OutboxEvent.type)).where(col(OutboxEvent.id) == again.event_id)
    ).scalar_one()
    return again.model_dump() | {"event_type": event_type}
