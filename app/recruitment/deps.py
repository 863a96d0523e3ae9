from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.core import clock
from app.core.errors import InvalidValueError
from app.core.schemas import YearQuery


@dataclass(frozen=True)
class Period:
    from_year: int
    to_year: int


def period(from_year: YearQuery = None, to_year: YearQuery = None) -> Period:
    """Whole years; either bound defaults to the other, both to the current year."""
    this_year = clock.today().year
    first = from_year or to_year or this_year
    last = to_year or from_year or this_year
    if last < first:
        raise InvalidValueError("to_year", "to_year comes before from_year.", location="query")
    return Period(first, last)


PeriodDep = Annotated[Period, Depends(period)]
