from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import IdPath
from app.idempotency import IDEMPOTENT
from app.models import DeliveryStatus, EventType, WebhookSubscription
from app.webhooks import service
from app.webhooks.deps import WebhookDep
from app.webhooks.schemas import (
    DeliveryPublic,
    WebhookCreate,
    WebhookCreated,
    WebhookPublic,
    WebhookUpdate,
)

router = APIRouter(prefix="/webhooks", tags=["webhooks"])

_EVENT_TYPES = "\n".join(f"- `{e.value}`: {e.label}" for e in EventType)


@router.post(
    "",
    response_model=WebhookCreated,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Subscribe to events",
    description=(
        "Managers, for a subtree they manage (or, with no `unit_id`, everything they may "
        "read). The answer holds the `secret` that signs the deliveries, shown this once. "
        "Event types:\n\n" + _EVENT_TYPES
    ),
    responses=problem_responses(403),
)
def create_webhook(
    session: SessionDep,
    scope: ScopeDep,
    webhook_in: WebhookCreate,
    request: Request,
    response: Response,
) -> WebhookSubscription:
    subscription = service.create_webhook(session, scope=scope, webhook_in=webhook_in)
    response.headers["Location"] = str(request.url_for("get_webhook", webhook_id=subscription.id))
    return with_etag(response, subscription)


@router.get("", response_model=Page[WebhookPublic], summary="List webhooks")
def list_webhooks(session: SessionDep, scope: ScopeDep, page: PageDep) -> Any:
    """The caller's own subscriptions (an admin's: everyone's), oldest first."""
    return service.list_webhooks(session, scope=scope, params=page)


@router.get(
    "/{webhook_id:int}",
    response_model=WebhookPublic,
    summary="Get a webhook",
    responses=problem_responses(404),
)
async def get_webhook(webhook: WebhookDep, response: Response) -> WebhookSubscription:
    """One of the caller's subscriptions, without its secret."""
    return with_etag(response, webhook)


@router.patch(
    "/{webhook_id:int}",
    response_model=WebhookPublic,
    summary="Update a webhook",
    responses=problem_responses(403, 404, 412),
)
def update_webhook(
    session: SessionDep,
    scope: ScopeDep,
    webhook: WebhookDep,
    if_match: IfMatch,
    webhook_in: WebhookUpdate,
    response: Response,
) -> WebhookSubscription:
    """Change the fields sent; `active: true` resumes a subscription the service disabled."""
    check_if_match(webhook, if_match)
    updated = service.update_webhook(
        session, scope=scope, subscription=webhook, webhook_in=webhook_in
    )
    return with_etag(response, updated)


@router.delete(
    "/{webhook_id:int}",
    status_code=204,
    summary="Delete a webhook",
    responses=problem_responses(404, 412),
)
def delete_webhook(
    session: SessionDep, scope: ScopeDep, webhook: WebhookDep, if_match: IfMatch
) -> None:
    """With its delivery log; deliveries under way finish first."""
    check_if_match(webhook, if_match)
    service.delete_webhook(session, scope=scope, subscription=webhook)


@router.get(
    "/{webhook_id:int}/deliveries",
    response_model=Page[DeliveryPublic],
    summary="List a webhook's deliveries",
    responses=problem_responses(404),
)
def list_deliveries(
    session: SessionDep,
    webhook: WebhookDep,
    page: PageDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
) -> Any:
    """Newest first, each with its attempts and the receiver's last answer."""
    return service.list_deliveries(session, subscription=webhook, params=page, status=status)


@router.post(
    "/{webhook_id:int}/deliveries/{delivery_id:int}/redeliver",
    response_model=DeliveryPublic,
    status_code=202,
    summary="Deliver an event again",
    responses=problem_responses(404, 409),
)
def redeliver(
    session: SessionDep, scope: ScopeDep, webhook: WebhookDep, delivery_id: IdPath
) -> Any:
    """A new delivery of the same event, with the same `webhook-id`, attempted at once (409
    while the webhook is paused or disabled)."""
    return service.redeliver(session, scope=scope, subscription=webhook, delivery_id=delivery_id)
