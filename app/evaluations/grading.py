"""The grade a number of points earns under Regulation 366-QĐ/TW, and the reasons, in
Vietnamese (the committees read them and export them). A pure rule: no database.

FACTS-2025.md, "Year-end evaluation of party organisations": **excellent** at 90 points or
more, with 100% of tasks done on time, at least 30% of them exceeding requirements, and no
disciplined subordinate organisation or leadership member; **good** from 70 to under 90 (and a
score of 90 or more that misses a condition of excellent); **completed** from 50 to under 70
with at most 20% of tasks behind schedule; **not completed** below that. The numbers are read
from the rule set in force (app/rules/evaluation.py), never written here.
"""

from dataclasses import dataclass

from app.models import Grade
from app.rules.core import RuleSet


@dataclass(frozen=True)
class Tasks:
    """The period's tasks: how many, done on time, exceeding requirements, behind schedule."""

    total: int
    on_time: int
    exceeded: int
    behind: int


@dataclass(frozen=True)
class Graded:
    grade: Grade
    reasons: list[str]


def _share(part: int, total: int) -> str:
    return f"{part}/{total} ({100 * part / total:.4g}%)"


def grade_by_points(rules: RuleSet, *, points: float, tasks: Tasks, disciplined: int) -> Graded:
    """The grade `points` earns with these tasks and this many disciplined subordinate
    organisations and leadership members in the period.

    The percentages are compared exactly, in integers (29.99% is under 30%). A period with no
    task has no share on time or exceeding: it cannot meet excellent's conditions, and has
    none behind schedule."""
    excellent_min = rules.value("excellent_min_points")
    good_min = rules.value("good_min_points")
    completed_min = rules.value("completed_min_points")
    on_time_pct = rules.value("excellent_on_time_percent")
    exceeded_pct = rules.value("excellent_exceeded_min_percent")
    behind_pct = rules.value("completed_max_behind_percent")
    max_disciplined = rules.value("excellent_max_disciplined")

    reasons = [f"Tổng điểm: {points:g}/{rules.value('max_points'):g}."]
    if tasks.total:
        reasons.append(
            f"Nhiệm vụ: {tasks.total}; đúng hạn {_share(tasks.on_time, tasks.total)}, vượt "
            f"yêu cầu {_share(tasks.exceeded, tasks.total)}, chậm tiến độ "
            f"{_share(tasks.behind, tasks.total)}."
        )
    else:
        reasons.append("Không có nhiệm vụ nào trong kỳ để tính tỷ lệ.")
    reasons.append(
        f"Tổ chức đảng trực thuộc, thành viên lãnh đạo bị kỷ luật trong kỳ: {disciplined}."
    )

    if points >= excellent_min:
        missing = []
        if not tasks.total or 100 * tasks.on_time < on_time_pct * tasks.total:
            missing.append(f"chưa đủ {on_time_pct:g}% nhiệm vụ hoàn thành đúng hạn")
        if not tasks.total or 100 * tasks.exceeded < exceeded_pct * tasks.total:
            missing.append(f"chưa đủ {exceeded_pct:g}% nhiệm vụ vượt yêu cầu")
        if disciplined > max_disciplined:
            missing.append("có tổ chức đảng trực thuộc hoặc thành viên lãnh đạo bị kỷ luật")
        if not missing:
            reasons.append(
                f"Từ {excellent_min:g} điểm, {on_time_pct:g}% nhiệm vụ đúng hạn, từ "
                f"{exceeded_pct:g}% vượt yêu cầu, không có kỷ luật: hoàn thành xuất sắc."
            )
            return Graded(Grade.excellent, reasons)
        reasons.append(
            f"Từ {excellent_min:g} điểm nhưng {'; '.join(missing)}: không xếp loại hoàn "
            "thành xuất sắc."
        )
    if points >= good_min:
        reasons.append(f"Từ {good_min:g} điểm: hoàn thành tốt.")
        return Graded(Grade.good, reasons)
    if points >= completed_min:
        if 100 * tasks.behind <= behind_pct * tasks.total:
            reasons.append(
                f"Từ {completed_min:g} đến dưới {good_min:g} điểm, chậm tiến độ không quá "
                f"{behind_pct:g}%: hoàn thành."
            )
            return Graded(Grade.completed, reasons)
        reasons.append(
            f"Từ {completed_min:g} đến dưới {good_min:g} điểm nhưng trên {behind_pct:g}% "
            "nhiệm vụ chậm tiến độ: không hoàn thành."
        )
        return Graded(Grade.not_completed, reasons)
    reasons.append(f"Dưới {completed_min:g} điểm: không hoàn thành.")
    return Graded(Grade.not_completed, reasons)
