from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from app.access.loaders import in_scope, loader
from app.core import clock
from app.core.errors import InvalidValueError
from app.core.i18n import t
from app.core.schemas import YearQuery
from app.models import Candidate, RecruitmentOutcome, RecruitmentTarget


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
        raise InvalidValueError("to_year", t("to_year comes before from_year."), location="query")
    return Period(first, last)


PeriodDep = Annotated[Period, Depends(period)]


CandidateDep = Annotated[
    Candidate, Depends(loader("candidate_id", in_scope(Candidate, t("Candidate"))))
]
OutcomeDep = Annotated[
    RecruitmentOutcome, Depends(loader("outcome_id", in_scope(RecruitmentOutcome, t("Outcome"))))
]
TargetDep = Annotated[
    RecruitmentTarget, Depends(loader("target_id", in_scope(RecruitmentTarget, t("Target"))))
]
