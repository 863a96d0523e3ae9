from datetime import datetime

from pydantic.config import JsonDict
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from app.core.schemas import Id, InputModel
from app.models import DeliveryStatus, EventType

EXAMPLE_WEBHOOK: JsonDict = {
    "url": "https://dashboard.example.org/hooks/camket",
    "events": ["commitment.status_changed", "deadline.overdue"],
    "unit_id": 1,
    "description": "Bảng điều khiển của Ban Tổ chức Tỉnh ủy",
}

URL_FIELD = Field(
    min_length=1,
    max_length=2000,
    description="http(s) URL the events are POSTed to; its host must be one the operator "
    "allows, and public unless the operator allows private addresses.",
)
EVENTS_FIELD = Field(
    min_length=1, max_length=len(EventType), description="The event types to receive."
)
UNIT_FIELD = Field(
    default=None,
    description="Only events of this unit's subtree (in today's tree); none: every unit the "
    "subscriber may read.",
)


class WebhookCreate(InputModel):
    url: str = URL_FIELD
    events: list[EventType] = EVENTS_FIELD
    unit_id: Id | None = UNIT_FIELD
    description: str | None = Field(default=None, max_length=500)

    model_config = SQLModelConfig(json_schema_extra={"examples": [EXAMPLE_WEBHOOK]})


class WebhookUpdate(InputModel):
    url: str = Field(default=None, min_length=1, max_length=2000)
    events: list[EventType] = Field(default=None, min_length=1, max_length=len(EventType))
    unit_id: Id | None = UNIT_FIELD
    description: str | None = Field(default=None, max_length=500)
    active: bool = Field(
        default=None,
        description="false pauses deliveries; true resumes them (and clears the failure count "
        "of a subscription that was disabled).",
    )


class WebhookPublic(SQLModel):
    id: int
    url: str
    events: list[EventType]
    unit_id: int | None
    description: str | None
    owner: str = Field(description="Who subscribed: a username, or `key:<prefix>`.")
    active: bool
    disabled_reason: str | None = Field(
        description="Why the service disabled the subscription, if it did."
    )
    consecutive_failures: int
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookPublic):
    secret: str = Field(
        description="Signs every delivery (Standard Webhooks, `whsec_` + base64). Shown only "
        "in this answer: store it now."
    )


class DeliveryPublic(SQLModel):
    id: int
    subscription_id: int
    event_id: int = Field(description="Also the `webhook-id` header, as `evt_<event_id>`.")
    event_type: EventType
    status: DeliveryStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    last_status_code: int | None = Field(description="The receiver's last HTTP status.")
    last_response: str | None = Field(description="The start of the receiver's last answer.")
    last_error: str | None = Field(description="Why the last attempt got no answer.")
