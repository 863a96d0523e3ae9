from typing import Annotated

from fastapi import Depends

from app.access.loaders import loader
from app.access.scope import Scope
from app.core.errors import NotFoundError
from app.models import WebhookSubscription


def _own(scope: Scope, subscription_id: int) -> WebhookSubscription:
    """A subscription is its owner's (admins see all); 404 alike for anyone else's."""
    subscription = scope.session.get(WebhookSubscription, subscription_id)
    principal = scope.principal
    if subscription is None or not (
        principal.is_admin
        or (principal.user_id is not None and subscription.owner_user_id == principal.user_id)
        or (
            principal.api_key_id is not None
            and subscription.owner_api_key_id == principal.api_key_id
        )
    ):
        raise NotFoundError(f"Webhook {subscription_id} does not exist.")
    return subscription


WebhookDep = Annotated[WebhookSubscription, Depends(loader("webhook_id", _own))]
