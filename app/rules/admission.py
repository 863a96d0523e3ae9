"""The rules of admission to the Party, dated (FACTS-2025.md, "Admission of party members").

Since 1 July 2025: the Party Charter (Article 5), Regulation 294-QĐ/TW of 26 May 2025 on
implementing it (in force from 1 July 2025) and Guidance 06-HD/TW of 9 June 2025. Before that
day, FACTS-2025.md records no source for the deadlines: the earlier set keeps the numbers the
service applied then and says they are unverified for those years, rather than presenting
them as law. Probation runs from the ceremony under the Charter in both (Article 5.1).
"""

from datetime import date

from app.rules.core import Rule, RuleDomain, RuleSet

CHARTER = "Điều lệ Đảng Cộng sản Việt Nam"
REGULATION_294 = "Quy định 294-QĐ/TW ngày 26/5/2025 thi hành Điều lệ Đảng"
GUIDANCE_06 = "Hướng dẫn 06-HD/TW ngày 9/6/2025"
SINCE_2025 = date(2025, 7, 1)  # Regulation 294-QĐ/TW in force

PROBATION = Rule(
    "probation_months",
    "Thời gian dự bị, tính từ ngày chi bộ tổ chức lễ kết nạp",
    "months",
    f"{CHARTER}, Điều 5.1",
    fixed=12,
)
COURSE = Rule(
    "course_valid_years",
    "Thời hạn giá trị của giấy chứng nhận học lớp bồi dưỡng nhận thức về Đảng (chưa xác minh)",
    "years",
    "Chưa xác minh (FACTS-2025.md): một thiết lập, mặc định 5 năm",
    setting="course_valid_years",
)


def _deadlines(source: str) -> tuple[Rule, ...]:
    return (
        Rule(
            "decision_working_days",
            "Cấp ủy có thẩm quyền quyết định kết nạp trong thời hạn, kể từ ngày chi bộ có nghị "
            "quyết đề nghị kết nạp",
            "working_days",
            source,
            fixed=60,
        ),
        Rule(
            "ceremony_working_days",
            "Chi bộ tổ chức lễ kết nạp trong thời hạn, kể từ ngày nhận quyết định kết nạp",
            "working_days",
            source,
            fixed=30,
        ),
        PROBATION,
        Rule(
            "recognition_proposal_working_days",
            "Chi bộ xét, đề nghị công nhận đảng viên chính thức trong thời hạn, kể từ ngày đảng "
            "viên hết 12 tháng dự bị",
            "working_days",
            source,
            fixed=30,
        ),
        Rule(
            "recognition_decision_working_days",
            "Cấp ủy có thẩm quyền quyết định công nhận đảng viên chính thức trong thời hạn, kể "
            "từ ngày chi bộ có nghị quyết đề nghị",
            "working_days",
            source,
            fixed=30,
        ),
        Rule(
            "failed_votes_referred",
            "Sau số lần biểu quyết không đủ hai phần ba, chi bộ báo cáo cấp ủy cấp trên xem xét",
            "votes",
            source,
            fixed=3,
        ),
        Rule(
            "min_age_months",
            "Tuổi tối thiểu của người vào Đảng khi chi bộ xét kết nạp (tính theo tháng)",
            "months",
            source,
            fixed=18 * 12,
        ),
        Rule(
            "max_age_months",
            "Tuổi tối đa (tính theo tháng); trên 60 tuổi chỉ kết nạp khi cấp ủy trực thuộc "
            "Trung ương quyết định",
            "months",
            source,
            fixed=60 * 12,
        ),
        COURSE,
    )


RULE_SETS = (
    RuleSet(
        domain=RuleDomain.admission,
        code="admission-before-2025-07",
        title="Kết nạp đảng viên trước ngày 01/07/2025",
        sources=(CHARTER,),
        rules=_deadlines(
            "Chưa xác minh cho thời gian này: FACTS-2025.md không ghi nguồn trước 01/07/2025; "
            "áp dụng như Cam Kết đã áp dụng"
        ),
        in_force_to=SINCE_2025,
        note="Thời hạn áp dụng trước Quy định 294-QĐ/TW, chưa đối chiếu với văn bản của thời "
        "kỳ đó.",
    ),
    RuleSet(
        domain=RuleDomain.admission,
        code="admission-2025",
        title="Kết nạp đảng viên theo Điều lệ Đảng, Quy định 294-QĐ/TW và Hướng dẫn 06-HD/TW",
        sources=(CHARTER, REGULATION_294, GUIDANCE_06),
        rules=_deadlines(f"{REGULATION_294}; {GUIDANCE_06}"),
        in_force_from=SINCE_2025,
    ),
)
