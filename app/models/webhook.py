"""Webhooks: the outbox of events, the subscriptions that receive them, and their deliveries."""

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.models.base import LabelledEnum, TimestampMixin, UTCDateTime, enum_column, utcnow

# 64-bit on PostgreSQL; SQLite autoincrements only an INTEGER primary key (64-bit there anyway).
_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class EventType(LabelledEnum):
    """What a subscription can be told about (README, "Webhooks")."""

    commitment_status_changed = "commitment.status_changed", "Cam kết chuyển trạng thái"
    commitment_progress_reported = "commitment.progress_reported", "Báo cáo tiến độ cam kết"
    candidate_step_taken = "candidate.step_taken", "Quần chúng chuyển bước kết nạp"
    target_changed = "target.changed", "Chỉ tiêu kết nạp thay đổi"
    evaluation_changed = "evaluation.changed", "Đánh giá, xếp loại thay đổi"
    deadline_due = "deadline.due", "Đến hạn"
    deadline_overdue = "deadline.overdue", "Quá hạn"
    import_finished = "import.finished", "Nhập dữ liệu hoàn tất"


class DeliveryStatus(LabelledEnum):
    pending = "pending", "Đang chờ gửi"
    succeeded = "succeeded", "Đã gửi"
    failed = "failed", "Gửi không thành công"


class OutboxEvent(SQLModel, table=True):
    """An event, inserted in the transaction of the change it describes (so it exists exactly
    when the change committed) and never updated by writers; the worker marks it dispatched
    once it made a delivery for every subscription that wants it."""

    __tablename__ = "outbox_event"

    id: int | None = Field(default=None, sa_type=_BIG_ID, primary_key=True)
    type: EventType = Field(sa_type=enum_column(EventType))
    # No foreign key: an insert would take a key-share lock on the unit's row.
    unit_id: int | None = Field(default=None, description="The unit the event is about.")
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    data: dict[str, Any] = Field(sa_type=sa.JSON)
    dispatched_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)


class WebhookSubscription(TimestampMixin, table=True):
    """Where to send which events: of the units its owner may read, in `unit_id`'s subtree."""

    __tablename__ = "webhook_subscription"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    events: list[str] = Field(sa_type=sa.JSON)
    unit_id: int | None = Field(default=None, foreign_key="unit.id", index=True)
    description: str | None = Field(default=None, max_length=500)
    # `whsec_` + base64: kept as is because it signs; shown once, never copied into the trail.
    secret: str = Field(max_length=100)
    owner: str = Field(max_length=120, description="Username, or `key:<prefix>`.")
    owner_user_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    owner_api_key_id: int | None = Field(default=None, foreign_key="api_key.id", index=True)
    active: bool = True
    disabled_reason: str | None = Field(default=None, max_length=500)
    consecutive_failures: int = 0


class WebhookDelivery(SQLModel, table=True):
    """One event to one subscription, with its attempts so far and the last response."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        sa.Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_log", "subscription_id", "id"),
    )

    id: int | None = Field(default=None, sa_type=_BIG_ID, primary_key=True)
    subscription_id: int = Field(foreign_key="webhook_subscription.id")
    event_id: int = Field(sa_type=_BIG_ID, foreign_key="outbox_event.id", index=True)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.pending, sa_type=enum_column(DeliveryStatus)
    )
    attempts: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_status_code: int | None = None
    last_response: str | None = Field(default=None, max_length=1000)
    last_error: str | None = Field(default=None, max_length=1000)


class DeadlineCheck(SQLModel, table=True):
    """The Vietnamese days whose due and overdue deadlines the worker has announced: inserting
    a day claims it, so that of several workers exactly one announces it."""

    __tablename__ = "deadline_check"

    day: date = Field(primary_key=True)
    checked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
