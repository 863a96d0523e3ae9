"""The statutory dates of the admission pipeline.

Working days are Vietnam's: weekends, public holidays (Tết included) and the days the government
swaps are those of the maintained `holidays` library, not a hand-made list.
"""

from datetime import date
from functools import cache

import holidays
from dateutil.relativedelta import relativedelta

COURSE_VALID_YEARS = 5  # an awareness-course certificate is valid five years
PROBATION_MONTHS = 12  # probation runs twelve months from the admission decision
CEREMONY_WORKING_DAYS = 30  # the admission ceremony is held within 30 working days of the decision
RECOGNITION_WORKING_DAYS = 30  # recognition is considered within 30 working days after probation


@cache
def _vietnam() -> holidays.HolidayBase:
    # Years are filled in lazily as dates are asked for.
    return holidays.country_holidays("VN")


def working_days_after(day: date, count: int) -> date:
    """The `count`-th working day after `day`."""
    return _vietnam().get_nth_working_day(day, count)


def course_valid_until(completed_on: date) -> date:
    return completed_on + relativedelta(years=COURSE_VALID_YEARS)


def ceremony_due_on(decided_on: date) -> date:
    return working_days_after(decided_on, CEREMONY_WORKING_DAYS)


def probation_ends_on(decided_on: date) -> date:
    return decided_on + relativedelta(months=PROBATION_MONTHS)


def recognition_due_on(decided_on: date) -> date:
    return working_days_after(probation_ends_on(decided_on), RECOGNITION_WORKING_DAYS)
