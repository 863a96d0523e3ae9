"""The rules of the year-end evaluation of party organisations, dated (FACTS-2025.md, "Year-end
evaluation of party organisations (Regulation 366-QĐ/TW of 30 August 2025)").

Regulation 366-QĐ/TW of 30 August 2025 grades on a 100-point criteria framework and replaces
Regulation 124-QĐ/TW of 4 October 2023 for the evaluations made under it; earlier years keep
the rules of their day. FACTS-2025.md records no thresholds for Regulation 124 or for the
years before it: those sets keep what Cam Kết applied then (a grade without points, and a
suggestion from the recruitment achievement, whose thresholds are settings) and say they are
unverified, rather than presenting them as law.

Which set applies to an evaluation is chosen by **the last day of the evaluated period**
(`evaluation_rules`): a period is evaluated once it is over, so a period that ends after
366-QĐ/TW came into force is evaluated under it, and one that ended before is evaluated under
the rules of its day even when its evaluation is entered or revised later. Choosing by the day
the record is entered would make a back-filled 2023 evaluation fall under 366-QĐ/TW, and
choosing by the period's first day would put the whole of 2025, evaluated at the end of 2025,
under the replaced regulation.
"""

from datetime import date

from app.rules.core import Rule, RuleDomain, RuleSet

REGULATION_366 = "Quy định 366-QĐ/TW ngày 30/8/2025"
REGULATION_124 = "Quy định 124-QĐ/TW ngày 4/10/2023"
# FACTS-2025.md names the regulation by its date and gives no other day it took effect.
SINCE_366 = date(2025, 8, 30)
SINCE_124 = date(2023, 10, 4)

# The rule sets' codes, which evaluations and suggestions name.
POINTS_366 = "evaluation-366"
GRADE_124 = "evaluation-124"
GRADE_BEFORE_124 = "evaluation-before-124"

CAP = Rule(
    "excellent_cap_percent",
    "Tỷ lệ tối đa xếp loại hoàn thành xuất sắc nhiệm vụ, tính trên số được xếp loại hoàn "
    "thành tốt nhiệm vụ trở lên (chưa xác minh với tổ chức đảng)",
    "percent",
    "Chưa xác minh cho tổ chức đảng (FACTS-2025.md; đã xác minh với công chức, Nghị định "
    "335/2025): một thiết lập, mặc định 20%",
    setting="evaluation_excellent_cap_percent",
)

_SOURCE_366 = f"{REGULATION_366} (FACTS-2025.md)"

RULES_366 = (
    Rule("max_points", "Tổng điểm của khung tiêu chí", "points", _SOURCE_366, fixed=100),
    Rule(
        "excellent_min_points",
        "Hoàn thành xuất sắc nhiệm vụ: từ số điểm này",
        "points",
        _SOURCE_366,
        fixed=90,
    ),
    Rule(
        "excellent_on_time_percent",
        "Hoàn thành xuất sắc nhiệm vụ: tỷ lệ nhiệm vụ hoàn thành đúng hạn",
        "percent",
        _SOURCE_366,
        fixed=100,
    ),
    Rule(
        "excellent_exceeded_min_percent",
        "Hoàn thành xuất sắc nhiệm vụ: tỷ lệ nhiệm vụ vượt yêu cầu, tối thiểu",
        "percent",
        _SOURCE_366,
        fixed=30,
    ),
    Rule(
        "excellent_max_disciplined",
        "Hoàn thành xuất sắc nhiệm vụ: số tổ chức đảng trực thuộc hoặc thành viên lãnh đạo bị "
        "kỷ luật trong kỳ, tối đa",
        "count",
        _SOURCE_366,
        fixed=0,
    ),
    Rule(
        "good_min_points",
        "Hoàn thành tốt nhiệm vụ: từ số điểm này",
        "points",
        _SOURCE_366,
        fixed=70,
    ),
    Rule(
        "completed_min_points",
        "Hoàn thành nhiệm vụ: từ số điểm này",
        "points",
        _SOURCE_366,
        fixed=50,
    ),
    Rule(
        "completed_max_behind_percent",
        "Hoàn thành nhiệm vụ: tỷ lệ nhiệm vụ chậm tiến độ, tối đa",
        "percent",
        _SOURCE_366,
        fixed=20,
    ),
    CAP,
)

_UNVERIFIED = (
    "Chưa xác minh: FACTS-2025.md không ghi ngưỡng của thời kỳ này; một thiết lập, áp dụng "
    "như Cam Kết đã áp dụng"
)


def _by_grade(note: str) -> tuple[Rule, ...]:
    """Without points: the grade is the committee's; the suggestion reads the recruitment
    achievement against thresholds that are settings (app/evaluations/grading.py)."""
    return (
        Rule(
            "suggest_excellent_min_achievement",
            f"Gợi ý hoàn thành xuất sắc: tỷ lệ đạt chỉ tiêu kết nạp, tối thiểu ({note})",
            "percent",
            _UNVERIFIED,
            setting="grade_excellent_min_achievement",
        ),
        Rule(
            "suggest_good_min_achievement",
            f"Gợi ý hoàn thành tốt: tỷ lệ đạt chỉ tiêu kết nạp, tối thiểu ({note})",
            "percent",
            _UNVERIFIED,
            setting="grade_good_min_achievement",
        ),
        Rule(
            "suggest_completed_min_achievement",
            f"Gợi ý hoàn thành: tỷ lệ đạt chỉ tiêu kết nạp, tối thiểu ({note})",
            "percent",
            _UNVERIFIED,
            setting="grade_completed_min_achievement",
        ),
    )


_NO_POINTS = (
    "Không chấm điểm: xếp loại do cấp ủy quyết định; gợi ý theo tỷ lệ đạt chỉ tiêu kết nạp và "
    "kết quả cam kết, ngưỡng là thiết lập chưa xác minh. Đánh giá các kỳ này giữ quy định của "
    "thời kỳ đó."
)

RULE_SETS = (
    RuleSet(
        domain=RuleDomain.evaluation,
        code=GRADE_BEFORE_124,
        title="Đánh giá, xếp loại tổ chức đảng trước Quy định 124-QĐ/TW",
        sources=(),
        rules=_by_grade("trước 4/10/2023"),
        in_force_to=SINCE_124,
        note=_NO_POINTS,
    ),
    RuleSet(
        domain=RuleDomain.evaluation,
        code=GRADE_124,
        title="Đánh giá, xếp loại tổ chức đảng theo Quy định 124-QĐ/TW",
        sources=(REGULATION_124,),
        rules=_by_grade("Quy định 124-QĐ/TW"),
        in_force_from=SINCE_124,
        in_force_to=SINCE_366,
        note=_NO_POINTS,
    ),
    RuleSet(
        domain=RuleDomain.evaluation,
        code=POINTS_366,
        title="Đánh giá, xếp loại tổ chức đảng theo khung 100 điểm của Quy định 366-QĐ/TW",
        sources=(REGULATION_366,),
        rules=RULES_366,
        in_force_from=SINCE_366,
        note="Đánh giá theo nhiệm kỳ, năm, quý hoặc đột xuất; chọn theo ngày cuối của kỳ "
        "đánh giá. Tên và điểm từng tiêu chí không do quy định này ghi trong FACTS-2025.md: "
        "bộ tiêu chí mặc định của Cam Kết do quản trị viên sửa theo năm.",
    ),
)
