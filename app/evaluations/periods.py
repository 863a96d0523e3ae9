"""The periods an organisation is evaluated over: a year, a quarter of a year, or a term of
several years (Regulation 366-QĐ/TW: per term, year or quarter; FACTS-2025.md)."""

from dataclasses import dataclass
from datetime import date

from app.models import PeriodKind

_QUARTER_STARTS = {1: 1, 2: 4, 3: 7, 4: 10}
_QUARTER_ENDS = {1: (3, 31), 2: (6, 30), 3: (9, 30), 4: (12, 31)}


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    # The year the period ends in: its tree is that year's, its superior is the one of then.
    year: int
    quarter: int | None = None
    # A term's first year.
    from_year: int | None = None

    @property
    def key(self) -> str:
        """2025, 2025-Q3, 2021-2025 (the notation of DHIS2's periods, FACTS-2025.md)."""
        if self.kind == PeriodKind.quarter:
            return f"{self.year}-Q{self.quarter}"
        if self.kind == PeriodKind.term:
            return f"{self.from_year}-{self.year}"
        return str(self.year)

    @property
    def start(self) -> date:
        if self.kind == PeriodKind.quarter:
            assert self.quarter is not None
            return date(self.year, _QUARTER_STARTS[self.quarter], 1)
        if self.kind == PeriodKind.term:
            assert self.from_year is not None
            return date(self.from_year, 1, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        if self.kind == PeriodKind.quarter:
            assert self.quarter is not None
            month, day = _QUARTER_ENDS[self.quarter]
            return date(self.year, month, day)
        return date(self.year, 12, 31)

    @property
    def first_year(self) -> int:
        return self.start.year

    @property
    def label(self) -> str:
        if self.kind == PeriodKind.quarter:
            return f"quý {self.quarter} năm {self.year}"
        if self.kind == PeriodKind.term:
            return f"nhiệm kỳ {self.from_year}–{self.year}"
        return f"năm {self.year}"
