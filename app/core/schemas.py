"""Shared building blocks of request and response schemas."""

import re
import unicodedata
from datetime import UTC, date, datetime
from types import NoneType, UnionType
from typing import Annotated, Any, ClassVar, Union, get_args, get_origin

from fastapi import Path, Query
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    Field,
    Strict,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError
from sqlmodel import SQLModel
from sqlmodel._compat import SQLModelConfig

from app.core import clock
from app.core.config import settings
from app.core.i18n import t
from app.models import MAX_ID, Structure

# Control characters other than tab and newlines: PostgreSQL rejects NUL, and none belongs in text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Letters and symbols that draw nothing (Unicode's "default ignorable" fillers), which a name
# made to look empty would use since separators, format characters and marks are refused.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _visible(char: str) -> bool:
    # Not a separator, control, format, private or unassigned code point, not a combining mark
    # on its own (after NFC a mark with a base letter is part of it), not a filler.
    return unicodedata.category(char)[0] not in "ZCM" and char not in _BLANK_LETTERS


def _invisible_at_ends(char: str) -> bool:
    # Spaces of every kind (no-break, ideographic…) and format characters (zero-width space,
    # joiners, byte-order mark, direction marks) mean nothing around a text.
    return char.isspace() or unicodedata.category(char) == "Cf"


def clean_text(value: str) -> str:
    """Text as stored: NFC (Hương typed on any keyboard is one string), without surrounding
    spaces or invisible characters, and with a visible character if it is not empty."""
    if _CONTROL.search(value):
        raise ValueError(t("control characters are not allowed"))
    text = unicodedata.normalize("NFC", value).strip()
    # The common case costs two look-ups: a text that starts and ends with what it means.
    if text and (_invisible_at_ends(text[0]) or _invisible_at_ends(text[-1])):
        start, end = 0, len(text)
        while start < end and _invisible_at_ends(text[start]):
            start += 1
        while end > start and _invisible_at_ends(text[end - 1]):
            end -= 1
        text = text[start:end]
    if text and not _visible(text[0]) and not any(map(_visible, text)):
        raise ValueError(t("the text has no visible character"))
    return text


def plausible_dates() -> tuple[date, date]:
    """The first and last day a payload may name. The first is a setting (by default the
    founding of the Communist Party of Vietnam, 3 February 1930: nothing this service records is
    older); the last is the end of the year `CAMKET_MAX_YEARS_AHEAD` years from today, since
    plans and deadlines look a few years ahead at most and 9999-12-31 is a typing mistake."""
    return settings.min_date, date(clock.today().year + settings.max_years_ahead, 12, 31)


def _plausible_date(value: date | None) -> date | None:
    if value is not None:
        first, last = plausible_dates()
        if not first <= (value.date() if isinstance(value, datetime) else value) <= last:
            raise ValueError(
                t("the date must lie between {first} and {last}", first=first, last=last)
            )
    return value


def _not_too_far_ahead(year: int) -> int:
    last = plausible_dates()[1].year
    if year > last:
        raise ValueError(t("the year must not lie after {last}", last=last))
    return year


def _date_as_text(value: Any) -> Any:
    # Lax pydantic reads a number as a Unix time (0 is 1970-01-01): JSON dates are ISO text.
    if isinstance(value, int | float):
        raise ValueError(t("a date is ISO 8601 text, such as 2025-07-01"))
    return value


class Verbatim:
    """Marks text taken exactly as sent."""


# A password is compared byte for byte with what sign-in (a form) receives: neither trimmed nor
# normalised, or a password typed with a trailing space or on a keyboard that sends NFD would
# be stored as something its owner cannot type.
Secret = Annotated[str, Verbatim()]


def _leaf_types(annotation: Any) -> set[Any]:
    """The types a field may hold, through `X | None`, `Annotated` and `list[X]`."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _leaf_types(get_args(annotation)[0])
    if origin in (Union, UnionType, list):
        return set().union(*(_leaf_types(arg) for arg in get_args(annotation)))
    return {annotation} - {NoneType}


def _number_not_text(value: Any) -> Any:
    # JSON has one kind of number: to JSON Schema (and the OpenAPI document) 3.0 is the integer
    # 3, so it is taken; "3" and true are not numbers. (Strict mode would refuse 3.0.)
    if isinstance(value, str | bool):
        raise PydanticCustomError("number_type", "Input should be a number, not text or a boolean")
    return value


# No "4" for an id, no true for a count, no 1 for a flag. Strict mode for booleans only, since
# strict mode would also refuse ISO dates and enum values, which JSON can only send as text.
_NUMBER_RULES = [BeforeValidator(_number_not_text)]
_BOOLEAN_RULES = [Strict()]
_DATE_RULES = [BeforeValidator(_date_as_text), AfterValidator(_plausible_date)]


def _input_rules(field: FieldInfo) -> list[Any]:
    leaves = _leaf_types(field.annotation)
    if leaves and leaves <= {bool}:
        return _BOOLEAN_RULES
    if leaves and leaves <= {int, float}:
        return _NUMBER_RULES
    if leaves and leaves <= {date, datetime}:
        return _DATE_RULES
    return []


class InputModel(SQLModel):
    """Base of every payload. What a client sends is taken strictly: unknown fields, numbers
    and booleans sent as text (or booleans as numbers) and numbers as dates are refused; dates
    lie in a plausible range; text is NFC, trimmed, free of control characters and, unless
    empty, holds a visible character."""

    model_config = SQLModelConfig(extra="forbid")

    _verbatim: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        # Fields inherited from the table families (`UnitBase`…) are declared once for the
        # table and the payloads: the rules of input are added here, to the payload's copy.
        for field in cls.model_fields.values():
            # (a payload derived from another inherits the rules already added to its fields)
            rules = [r for r in _input_rules(field) if r not in field.metadata]
            if rules:
                field.metadata = [*field.metadata, *rules]
        cls._verbatim = frozenset(
            name
            for name, field in cls.model_fields.items()
            if any(isinstance(m, Verbatim) for m in field.metadata)
        )
        cls.model_rebuild(force=True)

    @field_validator("*", mode="before")
    @classmethod
    def _clean_strings(cls, value: Any, info: ValidationInfo) -> Any:
        if info.field_name in cls._verbatim:
            return value
        if isinstance(value, str):
            return clean_text(value)
        if isinstance(value, list):
            return [clean_text(v) if isinstance(v, str) else v for v in value]
        return value


def _to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as error:
        raise ValueError(t("the time is out of range once converted to UTC")) from error


# A time with its UTC offset (a naive one is ambiguous), normalised to UTC.
UTCTime = Annotated[AwareDatetime, AfterValidator(_to_utc)]

# pydantic reads a number as seconds since 1970 when it parses a date or a time, so a query string
# such as `as_of=0` or `until=0.5` would pass for one; parameters accept ISO 8601 text only.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}.*")


def _iso(pattern: re.Pattern[str], form: str) -> BeforeValidator:
    def check(value: Any) -> Any:
        if isinstance(value, str) and not pattern.fullmatch(value):
            raise ValueError(t("expected an ISO 8601 {form}", form=form))
        return value

    return BeforeValidator(check)


DateQuery = Annotated[date | None, _iso(_ISO_DATE, "date, YYYY-MM-DD")]
# With `root_id`: the subtree of that day (the tree has a time axis, app/tree).
RootAsOfQuery = Annotated[
    DateQuery,
    Query(
        description="With `root_id`: the units below it on this day (default today), as the "
        "tree stood then."
    ),
]
TimeQuery = Annotated[UTCTime | None, _iso(_ISO_TIME, "time, YYYY-MM-DDTHH:MM:SS±HH:MM")]
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
# Ids are INTEGER columns (audit events' BIGINT ids are never parameters): 1 to 2^31 - 1.
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
RequiredIdQuery = Annotated[int, Query(ge=1, le=MAX_ID)]
# A year a unit reports on (commitments, targets, grades): from 1990, to the last plausible year
# (checked against today; the schema states it as it was at start-up, never wider).
Year = Annotated[
    int,
    Field(ge=1990, json_schema_extra={"maximum": plausible_dates()[1].year}),
    AfterValidator(_not_too_far_ahead),
]
YearQuery = Annotated[int | None, Query(ge=1990, le=2100)]
StructureQuery = Annotated[
    Structure,
    Query(
        description="The tree figures are read under: `as_of` (default), the tree of each "
        "period (of a year's last day, today for the current year), where every unit stands "
        "as it stood then; `current`, today's tree, where a closed unit's figures count under "
        "the unit that carries its history on (a split's under the successor its event named). "
        "A root that kept its whole subtree has the same totals under both."
    ),
]
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
