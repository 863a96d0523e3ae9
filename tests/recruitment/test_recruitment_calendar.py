"""The statutory dates of the admission pipeline (app/recruitment/calendar.py), against
expectations computed here: hand-listed dates, and a plain walk over the days that skips weekends
and the days off that the `holidays` library lists for Vietnam."""

import calendar as months
from datetime import date, timedelta

import holidays
import pytest

from app.core.config import settings
from app.recruitment import calendar

# Vietnam's days off and the Saturdays worked in exchange, as data; the walk below is ours.
VIETNAM = holidays.country_holidays("VN", years=range(2023, 2033))
WORKED_SATURDAYS = VIETNAM.weekend_workdays


def walk_working_days(day: date, n: int) -> date:
    """The n-th working day after `day`, walking one day at a time."""
    while n:
        day += timedelta(days=1)
        if (day.weekday() < 5 or day in WORKED_SATURDAYS) and day not in VIETNAM:
            n -= 1
    return day


def twelve_months_after(day: date) -> date:
    """The same day a year later, or the month's last day when it has none (29 February)."""
    last = months.monthrange(day.year + 1, day.month)[1]
    return date(day.year + 1, day.month, min(day.day, last))


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_the_library_holds_the_days_off_these_tests_rely_on() -> None:
    """Tết 2025 (29th of the twelfth month to the fourth of the new year) and 2026, and the
    Saturday of April 2025 worked to bridge Reunification Day and Labour Day."""
    tet_2025 = days(date(2025, 1, 27), date(2025, 2, 1))
    tet_2026 = days(date(2026, 2, 16), date(2026, 2, 20))
    assert all(day in VIETNAM for day in tet_2025 + tet_2026)
    assert date(2025, 2, 3) not in VIETNAM
    assert date(2025, 4, 26) in WORKED_SATURDAYS
    assert date(2025, 5, 2) in VIETNAM


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2025, 1, 20), 30, date(2025, 3, 10)),  # across Tết 2025
        (date(2025, 1, 24), 1, date(2025, 2, 3)),  # a Friday before Tết: the Monday after it
        (date(2025, 1, 29), 1, date(2025, 2, 3)),  # from a holiday
        (date(2025, 4, 25), 1, date(2025, 4, 26)),  # a Saturday worked
        (date(2025, 4, 29), 1, date(2025, 5, 5)),  # April 30 – May 2 off
        (date(2025, 8, 29), 1, date(2025, 9, 3)),  # National Day, 1–2 September
        (date(2026, 1, 20), 30, date(2026, 3, 10)),  # across Tết 2026
    ],
)
def test_working_days_after(start: date, n: int, expected: date) -> None:
    assert walk_working_days(start, n) == expected
    assert calendar.working_days_after(start, n) == expected


def test_every_deadline_matches_a_walk_over_the_days_off() -> None:
    """For every day from 2024 to 2027 (years the service fills in as it goes), each deadline
    of Regulation 294-QĐ/TW (and of the rules before it, the same counts) as a walk: the
    committee's decision 60 working days after the cell's proposal, the ceremony 30 after the
    decision, probation 12 months from the ceremony, the cell's recognition proposal 30
    working days after probation and the committee's decision 30 after that proposal."""
    wrong = []
    for day in days(date(2024, 1, 1), date(2027, 12, 31)):
        thirty = walk_working_days(day, 30)
        want = (walk_working_days(day, 60), thirty, twelve_months_after(day), thirty, thirty)
        got = (
            calendar.decision_due_on(day),
            calendar.ceremony_due_on(day),
            calendar.probation_ends_on(day),
            calendar.recognition_proposal_due_on(day),
            calendar.recognition_decision_due_on(day),
        )
        if got != want:
            wrong.append((day, got, want))
    assert wrong == []


@pytest.mark.parametrize(
    ("ceremony", "ends"),
    [
        (date(2025, 1, 20), date(2026, 1, 20)),
        (date(2024, 2, 29), date(2025, 2, 28)),
        (date(2025, 1, 31), date(2026, 1, 31)),
        (date(2025, 12, 31), date(2026, 12, 31)),
    ],
)
def test_probation_lasts_twelve_months(ceremony: date, ends: date) -> None:
    assert calendar.probation_ends_on(ceremony) == ends


@pytest.mark.parametrize(
    ("completed", "valid_until"),
    [
        (date(2019, 3, 1), date(2024, 3, 1)),
        (date(2020, 2, 29), date(2025, 2, 28)),
        (date(2023, 12, 31), date(2028, 12, 31)),
    ],
)
def test_a_course_certificate_lasts_five_years(completed: date, valid_until: date) -> None:
    """Five years by default: a setting, the sources leave it unverified (FACTS-2025.md)."""
    assert calendar.course_valid_until(completed) == valid_until


def test_the_course_validity_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings, "course_valid_years", 3)
    assert calendar.course_valid_until(date(2023, 12, 31)) == date(2026, 12, 31)


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2007, 3, 15), date(2025, 3, 14), 215),  # a day short of 18
        (date(2007, 3, 15), date(2025, 3, 15), 216),
        (date(1965, 7, 31), date(2025, 7, 31), 720),  # 60, not over
        (date(1965, 7, 31), date(2025, 8, 31), 721),
        # Born on 29 February: a month is full on the month's last day when it is shorter.
        (date(2004, 2, 29), date(2022, 2, 27), 215),
        (date(2004, 2, 29), date(2022, 2, 28), 216),
    ],
)
def test_age_is_counted_in_whole_months(born: date, on: date, months: int) -> None:
    assert calendar.age_in_months(born, on) == months
