"""Periods in DHIS2's notation: the one parser of what a client names a period by (pure:
`parse_period`), and the query parameters and answer field that use it.

DHIS2 names fixed periods `2022` (a year), `2022S1` (a half-year), `2022Q3` (a quarter) and
`202207` (a month); Cam Kết also reads a month as `2022-07`, the ISO 8601 form the issue asks
for (DHIS2's period types: https://github.com/damurka/khisr/blob/HEAD/vignettes/articles/date-format.Rmd,
"Fixed Periods"; FACTS-2025.md, "What peers offer"). DHIS2 has no range syntax: its analytics
take a list of periods (`pe:2022Q1;2022Q2;2022Q3`) or a start and an end date. A range here is
two periods joined by `..` (`2022Q1..2022Q3`, `2021..2022S1`), as ISO 8601-2 writes ranges: from
the first day of the first to the last day of the second, one parameter a link can carry.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated

from dateutil.relativedelta import relativedelta
from fastapi import Depends, Query
from pydantic import BaseModel, Field

from app.core import clock
from app.core.errors import InvalidValueError
from app.core.i18n import Msg, t
from app.core.schemas import YearQuery

FIRST_YEAR, LAST_YEAR = 1990, 2100
MAX_LENGTH = 30
RANGE = ".."
EXAMPLES = "2025, 2025S1, 2025Q3, 2025-07 (or 202507), or a range such as 2025Q1..2025Q3"

# The shape first, the numbers after: `2022Q5` is a quarter that does not exist, not garbage.
# ASCII digits only: `\d` would take other scripts' digits, which `int` reads as well.
_ONE = re.compile(r"(?P<year>[0-9]{4})(?:(?P<kind>[QS])(?P<part>[0-9])|-?(?P<month>[0-9]{2}))?")
# (kind, parts in a year, months in a part, its name)
_PARTS = {"S": (2, 6, "half-year"), "Q": (4, 3, "quarter"), "M": (12, 1, "month")}


def _day_starts(day: date) -> datetime:
    return datetime.combine(day, time(), clock.VIETNAM).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """Whole days from `start` to `end`, both included, named by `key`."""

    key: str
    start: date
    end: date

    @classmethod
    def years(cls, first: int, last: int) -> "Period":
        key = str(first) if first == last else f"{first}{RANGE}{last}"
        return cls(key, date(first, 1, 1), date(last, 12, 31))

    @property
    def whole_years(self) -> bool:
        """Made of whole calendar years: figures set per year (targets, evaluations) apply."""
        return (self.start.month, self.start.day, self.end.month, self.end.day) == (1, 1, 12, 31)

    def times(self) -> tuple[datetime, datetime]:
        """From the first day's start to the start of the day after the last, in Vietnam
        (app/core/clock.py), as UTC times (as stamps are stored and time parameters read)."""
        return _day_starts(self.start), _day_starts(self.end + timedelta(days=1))

    @property
    def first_year(self) -> int:
        return self.start.year

    @property
    def last_year(self) -> int:
        return self.end.year


def _no_such_part(kind: str, text: str) -> Msg:
    if kind == "S":
        return t("{text!r}: a year has half-years 1 to 2.", text=text)
    if kind == "Q":
        return t("{text!r}: a year has quarters 1 to 4.", text=text)
    return t("{text!r}: a year has months 1 to 12.", text=text)


def _one(text: str) -> tuple[date, date]:
    match = _ONE.fullmatch(text)
    if not match:
        raise ValueError(t("{text!r} is not a period: {examples}.", text=text, examples=EXAMPLES))
    year = int(match["year"])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValueError(
            t(
                "{text!r}: the year lies outside {first}–{last}.",
                text=text,
                first=FIRST_YEAR,
                last=LAST_YEAR,
            )
        )
    if match["kind"] is None and match["month"] is None:
        return date(year, 1, 1), date(year, 12, 31)
    kind, part = (
        (match["kind"], int(match["part"])) if match["kind"] else ("M", int(match["month"]))
    )
    count, months, _name = _PARTS[kind]
    if not 1 <= part <= count:
        raise ValueError(_no_such_part(kind, text))
    start = date(year, (part - 1) * months + 1, 1)
    return start, start + relativedelta(months=months, days=-1)


def parse_period(text: str) -> Period:
    """The days a period names; a ValueError saying what is wrong for one that names none."""
    if len(text) > MAX_LENGTH:
        raise ValueError(
            t(
                "A period is at most {most} characters: {examples}.",
                most=MAX_LENGTH,
                examples=EXAMPLES,
            )
        )
    first, sep, last = text.partition(RANGE)
    if not sep:
        return Period(text, *_one(text))
    start, first_end = _one(first)
    last_start, end = _one(last)
    if last_start < start or end < first_end:
        raise ValueError(t("{text!r}: the range ends before it starts.", text=text))
    return Period(text, start, end)


PeriodQuery = Annotated[
    str | None,
    Query(
        max_length=MAX_LENGTH,
        description="A period in DHIS2's notation: a year `2025`, a half-year `2025S1`, a "
        "quarter `2025Q3`, a month `2025-07` (or `202507`), or a range of two joined by `..` "
        "(`2025Q1..2025Q3`, both included).",
    ),
]


def period_param(text: str | None, name: str = "period") -> Period | None:
    """A query parameter's period, or a 422 naming the parameter and what is wrong."""
    if text is None:
        return None
    try:
        return parse_period(text)
    except ValueError as error:
        raise InvalidValueError(name, error.args[0], location="query") from error


def not_both(period: str | None, **others: object) -> None:
    """`period` replaces the parameters `others`: a 422 when both are given."""
    if period is not None and any(value is not None for value in others.values()):
        names = "/".join(others)
        raise InvalidValueError(
            "period", t("Give either period or {names}, not both.", names=names), location="query"
        )


def years_or_period(
    from_year: YearQuery = None, to_year: YearQuery = None, period: PeriodQuery = None
) -> Period:
    """`period`, or whole years from `from_year` to `to_year`: either bound defaults to the
    other, both to the current year."""
    not_both(period, from_year=from_year, to_year=to_year)
    chosen = period_param(period)
    if chosen is not None:
        return chosen
    this_year = clock.today().year
    first = from_year or to_year or this_year
    last = to_year or from_year or this_year
    if last < first:
        raise InvalidValueError("to_year", t("to_year comes before from_year."), location="query")
    return Period.years(first, last)


def year_or_period(year: YearQuery = None, period: PeriodQuery = None) -> Period:
    """`period` lying within one year (what belongs to a year, as commitments do, is reported
    a year at a time), or the year `year`, by default the current one."""
    not_both(period, year=year)
    chosen = period_param(period)
    if chosen is None:
        chosen_year = year or clock.today().year
        return Period.years(chosen_year, chosen_year)
    if chosen.first_year != chosen.last_year:
        raise InvalidValueError(
            "period",
            t("{key!r} spans several years: name one year or part of one.", key=chosen.key),
            location="query",
        )
    return chosen


def year_or_period_filter(year: YearQuery = None, period: PeriodQuery = None) -> Period | None:
    """A list's filter: the year `year` or the period `period` (not both), or none."""
    not_both(period, year=year)
    if period is not None:
        return period_param(period)
    return None if year is None else Period.years(year, year)


def days_or_period(period: str | None, **bounds: date | None) -> tuple[date | None, date | None]:
    """A list's first and last day (both included): the two `bounds` as given, or the days of
    `period`, which replaces them."""
    not_both(period, **bounds)
    chosen = period_param(period)
    if chosen is not None:
        return chosen.start, chosen.end
    first, last = bounds.values()
    return first, last


PeriodDep = Annotated[Period, Depends(years_or_period)]
PeriodFilter = Annotated[Period | None, Depends(year_or_period_filter)]
YearPeriodDep = Annotated[Period, Depends(year_or_period)]


class PeriodPublic(BaseModel):
    """The period an answer covers, and whether figures set per year apply to it."""

    key: str = Field(description="The period as asked (`2025Q1`) or as the years made it.")
    start: date
    end: date = Field(description="Its last day, included.")
    whole_years: bool = Field(
        description="Made of whole calendar years. Targets, evaluations and grades are set per "
        "year: they are shown only then (otherwise empty, never prorated)."
    )
    note: str | None = Field(description="Why the figures set per year are empty, when they are.")

    @classmethod
    def of(cls, period: Period) -> "PeriodPublic":
        whole = period.whole_years
        return cls(
            key=period.key,
            start=period.start,
            end=period.end,
            whole_years=whole,
            note=None if whole else YEARLY_NOTE,
        )


YEARLY_NOTE = (
    "Targets, evaluations and grades are set per year: not shown for a period that is not made "
    "of whole years."
)
