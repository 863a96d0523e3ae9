"""Shared building blocks of request and response schemas."""

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import Path, Query
from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, field_validator
from sqlmodel import SQLModel

from app.models import MAX_ID

# Control characters other than tab and newlines: PostgreSQL rejects NUL, and none belongs in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        if _CONTROL.search(value):
            raise ValueError("control characters are not allowed")
        return value.strip()
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


class InputModel(SQLModel):
    """Base of every payload: strings are trimmed and may not hold control characters."""

    @field_validator("*", mode="before")
    @classmethod
    def _clean_strings(cls, value: Any) -> Any:
        return _clean(value)


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("the time is out of range once converted to UTC") from error


# A time with its UTC offset (a naive one is ambiguous), normalised to UTC.
UTCTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]

# pydantic reads a number as seconds since 1970 when it parses a date or a time, so a query string
# such as `as_of=0` or `until=0.5` would pass for one; parameters accept ISO 8601 text only.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _iso(pattern: re.Pattern[str], form: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(f"expected an ISO 8601 {form}")
        return value

    return BeforeValidator(check)


DateQuery = Annotated[date | None, _iso(_ISO_DATE, "date, YYYY-MM-DD")]
TimeQuery = Annotated[UTCTime | None, _iso(_ISO_TIME, "time, YYYY-MM-DDTHH:MM:SS±HH:MM")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# Ids are INTEGER columns (audit events' BIGINT ids are never parameters): 1 to 2^31 - 1.
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
RequiredIdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
Year = Annotated[int, Field(ge=1990, le=2100)]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]
RequiredYearQuery = Annotated[int, Query(ge=1990, le=2100)]
SearchQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=100,
        pattern=r"^[^\x00-\x1f\x7f]*$",
        description="Accent- and case-insensitive search: `huong son` finds “Hương Sơn”.",
    ),
]
