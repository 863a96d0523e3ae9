"""The grade a number of points earns under Regulation 366-QĐ/TW: a pure rule, no database
(FACTS-2025.md: excellent ≥ 90 with every task on time, ≥ 30% exceeding and no discipline;
good 70 to < 90; completed 50 to < 70 with ≤ 20% behind; not completed below)."""

from datetime import date

import pytest

from app.evaluations.grading import Tasks, grade_by_points
from app.models import Grade
from app.rules.evaluation import POINTS_366
from app.rules.registry import evaluation_rules

RULES = evaluation_rules(date(2026, 12, 31))
ALL_ON_TIME = Tasks(total=10, on_time=10, exceeded=3, behind=0)

CASES: list[tuple[float, Tasks, int, Grade]] = [
    (100, ALL_ON_TIME, 0, Grade.excellent),
    (90, ALL_ON_TIME, 0, Grade.excellent),  # 90 is in
    (89.99, ALL_ON_TIME, 0, Grade.good),
    # Each condition of excellent missed, alone: good.
    (95, Tasks(10, 9, 3, 1), 0, Grade.good),  # 90% on time
    (95, Tasks(10, 10, 2, 0), 0, Grade.good),  # 20% exceeding
    (95, Tasks(3, 3, 0, 0), 0, Grade.good),  # 0% exceeding
    (95, ALL_ON_TIME, 1, Grade.good),  # a disciplined subordinate or leader
    (95, Tasks(0, 0, 0, 0), 0, Grade.good),  # no task: no share to meet
    (70, Tasks(10, 0, 0, 10), 0, Grade.good),  # good has no condition on tasks
    (69.99, Tasks(10, 8, 0, 2), 0, Grade.completed),  # 20% behind is in
    (50, Tasks(0, 0, 0, 0), 0, Grade.completed),
    (60, Tasks(10, 7, 0, 3), 0, Grade.not_completed),  # 30% behind
    (60, Tasks(10_000, 7_999, 0, 2_001), 0, Grade.not_completed),  # 20.01% behind
    (49.99, ALL_ON_TIME, 0, Grade.not_completed),
    (0, ALL_ON_TIME, 0, Grade.not_completed),
]


@pytest.mark.parametrize(
    ("points", "tasks", "disciplined", "grade"),
    CASES,
    ids=[
        f"{c[0]}-{c[1].on_time}/{c[1].exceeded}/{c[1].behind}of{c[1].total}-d{c[2]}" for c in CASES
    ],
)
def test_the_grade_of_points(points: float, tasks: Tasks, disciplined: int, grade: Grade) -> None:
    graded = grade_by_points(RULES, points=points, tasks=tasks, disciplined=disciplined)
    assert graded.grade == grade
    assert graded.reasons[0] == f"Tổng điểm: {points:g}/100."
    assert all(isinstance(r, str) and r for r in graded.reasons)


def test_the_reasons_name_what_kept_a_unit_from_excellent() -> None:
    reasons = grade_by_points(RULES, points=95, tasks=Tasks(10, 9, 2, 1), disciplined=2).reasons
    missed = reasons[-2]
    assert "100% nhiệm vụ hoàn thành đúng hạn" in missed
    assert "30% nhiệm vụ vượt yêu cầu" in missed
    assert "kỷ luật" in missed
    assert reasons[-1] == "Từ 70 điểm: hoàn thành tốt."


def test_the_rules_are_chosen_by_the_periods_last_day() -> None:
    assert RULES.code == POINTS_366
    assert evaluation_rules(date(2025, 8, 30)).code == POINTS_366
    assert evaluation_rules(date(2025, 8, 29)).code == "evaluation-124"
    assert evaluation_rules(date(2023, 10, 4)).code == "evaluation-124"
    assert evaluation_rules(date(2023, 10, 3)).code == "evaluation-before-124"
