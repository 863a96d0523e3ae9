"""The period parser (app/core/periods.py): every key names the days it should, and every
wrong one is refused with what is wrong."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from app.core.periods import Period, parse_period

years = st.integers(1990, 2100)


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2022", date(2022, 1, 1), date(2022, 12, 31)),
        ("2022S1", date(2022, 1, 1), date(2022, 6, 30)),
        ("2022S2", date(2022, 7, 1), date(2022, 12, 31)),
        ("2022Q1", date(2022, 1, 1), date(2022, 3, 31)),
        ("2022Q3", date(2022, 7, 1), date(2022, 9, 30)),
        ("2024-02", date(2024, 2, 1), date(2024, 2, 29)),
        ("202302", date(2023, 2, 1), date(2023, 2, 28)),
        ("2022-12", date(2022, 12, 1), date(2022, 12, 31)),
        ("2022Q1..2022Q3", date(2022, 1, 1), date(2022, 9, 30)),
        ("2021..2022S1", date(2021, 1, 1), date(2022, 6, 30)),
        ("2022-07..2022-07", date(2022, 7, 1), date(2022, 7, 31)),
        ("2022..2022Q4", date(2022, 1, 1), date(2022, 12, 31)),
    ],
)
def test_a_key_names_its_days(key: str, start: date, end: date) -> None:
    assert parse_period(key) == Period(key, start, end)


@pytest.mark.parametrize(
    ("key", "says"),
    [
        ("2022Q5", "quarters 1 to 4"),
        ("2022Q0", "quarters 1 to 4"),
        ("2022S3", "half-years 1 to 2"),
        ("2022-13", "months 1 to 12"),
        ("2022-00", "months 1 to 12"),
        ("1989", "outside 1990–2100"),
        ("2101Q1", "outside 1990–2100"),
        ("2022Q3..2022Q1", "ends before it starts"),
        ("2023..2022", "ends before it starts"),
        ("2022..2022Q2", "ends before it starts"),  # would end before its first period does
        ("", "is not a period"),
        ("22Q1", "is not a period"),
        ("2022q1", "is not a period"),
        ("2022Q10", "is not a period"),
        ("2022-7", "is not a period"),
        ("2022-07-01", "is not a period"),
        ("2022W10", "is not a period"),
        ("2022..", "is not a period"),
        ("..2022", "is not a period"),
        ("2022..2023..2024", "is not a period"),
        (" 2022", "is not a period"),
        ("٢٠٢٢", "is not a period"),  # Arabic-Indic digits
        ("2022Q1;2022Q2", "is not a period"),
        ("x" * 31, "at most 30 characters"),
    ],
)
def test_a_wrong_key_is_refused_with_what_is_wrong(key: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_period(key)


def _parts(year: int) -> list[tuple[str, date, date]]:
    """Every period of a year, its days computed here by calendar arithmetic alone."""
    parts = [(str(year), date(year, 1, 1), date(year, 12, 31))]
    for number, first_month in enumerate(range(1, 13, 6), start=1):
        last = date(year + (first_month + 6 > 12), (first_month + 6 - 1) % 12 + 1, 1)
        parts.append((f"{year}S{number}", date(year, first_month, 1), last - timedelta(days=1)))
    for number, first_month in enumerate(range(1, 13, 3), start=1):
        last = date(year + (first_month + 3 > 12), (first_month + 3 - 1) % 12 + 1, 1)
        parts.append((f"{year}Q{number}", date(year, first_month, 1), last - timedelta(days=1)))
    for month in range(1, 13):
        last = date(year + (month == 12), month % 12 + 1, 1)
        parts.append((f"{year}-{month:02}", date(year, month, 1), last - timedelta(days=1)))
    return parts


@settings(max_examples=60)
@given(years)
@example(2000)  # a leap year that is a multiple of 100
@example(2100)  # not a leap year
def test_the_periods_of_a_year_tile_it(year: int) -> None:
    """Halves, quarters and months each cover the year once, without gap or overlap."""
    parsed = {key: parse_period(key) for key, _, _ in _parts(year)}
    for key, start, end in _parts(year):
        assert (parsed[key].start, parsed[key].end) == (start, end), key
    for kind in ("S", "Q", "-"):
        tiles = sorted((p.start, p.end) for k, p in parsed.items() if kind in k)
        assert tiles[0][0] == date(year, 1, 1)
        assert tiles[-1][1] == date(year, 12, 31)
        for (_, end), (start, _) in pairwise(tiles):
            assert start == end + timedelta(days=1)
    assert [p.whole_years for p in parsed.values()].count(True) == 1


@settings(max_examples=80)
@given(st.data(), years, years)
def test_a_range_runs_from_its_first_period_to_its_last(
    data: st.DataObject, first_year: int, last_year: int
) -> None:
    first_key, start, first_end = data.draw(st.sampled_from(_parts(first_year)))
    last_key, last_start, end = data.draw(st.sampled_from(_parts(last_year)))
    key = f"{first_key}..{last_key}"
    if last_start < start or end < first_end:
        with pytest.raises(ValueError, match="ends before it starts"):
            parse_period(key)
        return
    period = parse_period(key)
    assert (period.start, period.end) == (start, end)
    assert period.whole_years == (start.month == 1 and end.month == 12 and end.day == 31)
