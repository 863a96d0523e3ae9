"""The statutory dates of the admission pipeline, each under the rules in force on the day it
counts from (app/rules/admission.py: the Party Charter, Regulation 294-QĐ/TW and Guidance
06-HD/TW from 1 July 2025).

Working days are Vietnam's: weekends, public holidays (Tết included) and the days the government
swaps are those of the maintained `holidays` library, not a hand-made list.
"""

from datetime import date
from functools import cache

import holidays
from dateutil.relativedelta import relativedelta

from app.rules.registry import admission_rules


@cache
def _vietnam() -> holidays.HolidayBase:
    # Years are filled in lazily as dates are asked for.
    return holidays.country_holidays("VN")


def working_days_after(day: date, count: int) -> date:
    """The `count`-th working day after `day`."""
    return _vietnam().get_nth_working_day(day, count)


def _working_days(day: date, rule: str) -> date:
    return working_days_after(day, admission_rules(day).int_value(rule))


def course_valid_until(completed_on: date) -> date:
    years = admission_rules(completed_on).int_value("course_valid_years")
    return completed_on + relativedelta(years=years)


def decision_due_on(proposed_on: date) -> date:
    """The competent committee decides within 60 working days of the cell's resolution."""
    return _working_days(proposed_on, "decision_working_days")


def ceremony_due_on(decided_on: date) -> date:
    """The cell holds the ceremony within 30 working days of receiving the decision."""
    return _working_days(decided_on, "ceremony_working_days")


def probation_ends_on(ceremony_on: date) -> date:
    """Twelve months from the day the cell holds the ceremony (Party Charter, Article 5.1)."""
    months = admission_rules(ceremony_on).int_value("probation_months")
    return ceremony_on + relativedelta(months=months)


def recognition_proposal_due_on(probation_ends: date) -> date:
    """The cell considers recognition within 30 working days after probation ends."""
    return _working_days(probation_ends, "recognition_proposal_working_days")


def recognition_decision_due_on(proposed_on: date) -> date:
    """The competent committee decides within 30 working days of the cell's proposal."""
    return _working_days(proposed_on, "recognition_decision_working_days")


def age_in_months(born: date, on: date) -> int:
    """Whole months of age on `on` (the age rule counts in months). A month is full on the
    same day of the month, or on the month's last day when it is shorter (29 February)."""
    age = relativedelta(on, born)
    return age.years * 12 + age.months
