"""One HTTP attempt of a delivery, signed per Standard Webhooks (standardwebhooks.com):
`webhook-id` (the event's id, the same on every attempt, so a receiver can drop repeats),
`webhook-timestamp` (the attempt's Unix time) and `webhook-signature`
(`v1,` + base64 of HMAC-SHA256 over `id.timestamp.body` with the subscription's secret)."""

import base64
import json
import secrets
import ssl
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from app.core.config import settings
from app.models import OutboxEvent, utcnow
from app.webhooks.urls import UnsafeURLError, resolve

SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)
# What the delivery log keeps of a response, and all that is read of it.
RESPONSE_EXCERPT = 1000
USER_AGENT = "CamKet-Webhooks/1"


@cache
def _tls() -> ssl.SSLContext:
    """Verifies receivers' certificates; built once, as building it takes 150 ms (measured)."""
    return httpx.create_ssl_context()


def new_secret() -> str:
    """A Standard Webhooks secret: `whsec_` + base64 of 32 random bytes (the key of the HMAC)."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def message_id(event_id: int) -> str:
    return f"evt_{event_id}"


def payload(event: OutboxEvent) -> str:
    """The body: the event's type, when it happened and its data (README, "Webhooks")."""
    body: dict[str, Any] = {
        "type": event.type.value,
        "timestamp": event.occurred_at.isoformat(),
        "data": event.data,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def signed_headers(*, secret: str, msg_id: str, at: datetime, body: str) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=at, data=body),
    }


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    response: str | None = None
    error: str | None = None


def send(*, url: str, secret: str, event: OutboxEvent) -> Outcome:
    """POST the event to `url`, signed as of the present (receivers refuse timestamps far from
    their clock); a 2xx answer is a success, anything else (a redirect included, as it is never
    followed) or no answer a failure."""
    try:
        addresses = resolve(url)
    except UnsafeURLError as error:
        return Outcome(ok=False, error=str(error))
    target = httpx.URL(url)
    body = payload(event)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        # The URL names the checked address; the receiver still sees its own host name.
        "host": target.netloc.decode("ascii"),
        **signed_headers(secret=secret, msg_id=message_id(event.id or 0), at=utcnow(), body=body),
    }
    extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
    try:
        with httpx.Client(
            timeout=settings.webhook_timeout_seconds, verify=_tls(), trust_env=False
        ) as client:
            request = client.build_request(
                "POST",
                target.copy_with(host=str(addresses[0])),
                content=body.encode(),
                headers=headers,
                extensions=extensions,
            )
            response = client.send(request, stream=True)
            try:
                excerpt = _excerpt(response)
            finally:
                response.close()
    except httpx.HTTPError as error:
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}"[:RESPONSE_EXCERPT])
    return Outcome(
        ok=response.is_success, status_code=response.status_code, response=excerpt or None
    )


def _excerpt(response: httpx.Response) -> str:
    """The start of the response's body, never more (a receiver could answer gigabytes)."""
    data = b""
    for chunk in response.iter_bytes():
        data += chunk
        if len(data) >= RESPONSE_EXCERPT:
            break
    return data[:RESPONSE_EXCERPT].decode("utf-8", errors="replace")
