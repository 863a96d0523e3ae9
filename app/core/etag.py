"""ETags are record versions; `If-Match` with another one answers 412 before anything changes."""

from typing import TypeVar

from fastapi import Response

from app.core.errors import PreconditionFailedError
from app.core.i18n import t
from app.models import TimestampMixin

Record = TypeVar("Record", bound=TimestampMixin)


def etag_of(record: TimestampMixin) -> str:
    return f'"{record.version}"'


def check_if_match(record: TimestampMixin, accepted: set[str] | None) -> None:
    if accepted is not None and etag_of(record) not in accepted:
        raise PreconditionFailedError(
            t(
                "The record is at version {version}, not {accepted}: read it again and retry.",
                version=etag_of(record),
                accepted=sorted(accepted),
            )
        )


def with_etag(response: Response, record: Record) -> Record:
    response.headers["ETag"] = etag_of(record)
    return record
