"""Periods figures are approved for, in DHIS2's notation (FACTS-2025.md, "What peers offer"):
a year (`2025`) or a quarter of it (`2025Q1`). Other kinds (a half year `2025S1`, a month
`2025-01`) would parse here and need nothing else."""

import re
from dataclasses import dataclass
from datetime import date

from app.core.i18n import t
from app.models import PeriodKind

PERIOD_PATTERN = r"^\d{4}(Q[1-4])?$"
_PERIOD = re.compile(PERIOD_PATTERN)
_QUARTER_ENDS = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


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
    year = int(key[:4])
    if year < 1990 or year > 2100:
        raise ValueError(t("{key!r}: the year lies outside 1990–2100.", key=key))
    if "Q" not in key:
        return Period(key, PeriodKind.year, date(year, 1, 1), date(year, 12, 31))
    quarter = int(key[5])
    month, day = _QUARTER_ENDS[quarter]
    return Period(key, PeriodKind.quarter, date(year, month - 2, 1), date(year, month, day))
