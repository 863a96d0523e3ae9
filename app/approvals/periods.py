"""Periods figures are approved for, in DHIS2's notation (FACTS-2025.md, "What peers offer"):
a year (`2025`) or a quarter of it (`2025Q1`), of those app/core/periods.py reads. Other kinds
(a half year `2025S1`, a month `2025-01`) would need only a `PeriodKind` here."""

import re
from dataclasses import dataclass
from datetime import date

from app.core.i18n import t
from app.core.periods import parse_period as days_of
from app.models import PeriodKind

PERIOD_PATTERN = r"^\d{4}(Q[1-4])?$"
_PERIOD = re.compile(PERIOD_PATTERN)


@dataclass(frozen=True)
class Period:
    key: str
    kind: PeriodKind
    start: date
    end: date

    @property
    def year(self) -> int:
        return self.end.year


def parse_period(key: str) -> Period:
    """The period a key names; a ValueError for one that names none."""
    if not _PERIOD.match(key):
        raise ValueError(
            t("{key!r} is not a period: a year (2025) or a quarter (2025Q1).", key=key)
        )
    days = days_of(key)
    kind = PeriodKind.quarter if "Q" in key else PeriodKind.year
    return Period(key, kind, days.start, days.end)
