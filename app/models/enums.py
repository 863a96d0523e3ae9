"""Enumerations of the domain; each value carries its official Vietnamese label."""

from app.models.base import LabelledEnum


class UnitKind(LabelledEnum):
    central_committee = "central_committee", "Ban Chấp hành Trung ương"
    province_committee = "province_committee", "Tỉnh ủy"
    district_committee = "district_committee", "Huyện ủy"
    commune_committee = "commune_committee", "Đảng ủy xã"
    grassroots_committee = "grassroots_committee", "Đảng ủy cơ sở"
    party_cell = "party_cell", "Chi bộ"
    agency = "agency", "Cơ quan"
    department = "department", "Ban"


class Post(LabelledEnum):
    """A post held in a unit (chức vụ)."""

    secretary = "secretary", "Bí thư"
    standing_deputy_secretary = "standing_deputy_secretary", "Phó Bí thư Thường trực"
    deputy_secretary = "deputy_secretary", "Phó Bí thư"
    standing_committee_member = "standing_committee_member", "Ủy viên Ban Thường vụ"
    committee_member = "committee_member", "Ủy viên Ban Chấp hành"
    department_head = "department_head", "Trưởng ban"
    department_deputy_head = "department_deputy_head", "Phó Trưởng ban"
    cell_secretary = "cell_secretary", "Bí thư chi bộ"


# Posts that exist only in one kind of unit; every other post belongs to a committee or a cell.
POST_UNIT_KINDS: dict[Post, frozenset[UnitKind]] = {
    Post.department_head: frozenset({UnitKind.department}),
    Post.department_deputy_head: frozenset({UnitKind.department}),
    Post.cell_secretary: frozenset({UnitKind.party_cell}),
}


class CommitmentKind(LabelledEnum):
    difficult_task = "difficult_task", "Việc khó"
    pressing_issue = "pressing_issue", "Vấn đề bức xúc, nổi cộm"
    weak_link = "weak_link", "Khâu yếu"


class CommitmentCategory(LabelledEnum):
    cadre_conduct = "cadre_conduct", "Tác phong cán bộ, công chức khi tiếp xúc với nhân dân"
    land_management = "land_management", "Quản lý, sử dụng đất đai"
    environment = "environment", "Môi trường"
    site_clearance = "site_clearance", "Giải phóng mặt bằng"
    complaints_denunciations = "complaints_denunciations", "Giải quyết khiếu nại, tố cáo"
    land_violations = "land_violations", "Xử lý vi phạm đất đai"
    party_recruitment = "party_recruitment", "Tạo nguồn phát triển đảng viên"
    other = "other", "Khác"


class CommitmentStatus(LabelledEnum):
    draft = "draft", "Dự thảo"
    registered = "registered", "Đã đăng ký"
    accepted = "accepted", "Đã chấp thuận"
    in_progress = "in_progress", "Đang thực hiện"
    completed = "completed", "Hoàn thành"
    not_completed = "not_completed", "Không hoàn thành"
    escalated = "escalated", "Chuyển cơ quan có thẩm quyền"
    cancelled = "cancelled", "Đã hủy"


class CommitmentAction(LabelledEnum):
    register = "register", "Đăng ký với cấp ủy cấp trên"
    accept = "accept", "Chấp thuận"
    return_ = "return", "Trả lại"
    start = "start", "Bắt đầu thực hiện"
    complete = "complete", "Báo cáo hoàn thành"
    report_not_completed = "report_not_completed", "Báo cáo không hoàn thành"
    escalate = "escalate", "Chuyển cơ quan có thẩm quyền"
    cancel = "cancel", "Hủy"


class Sex(LabelledEnum):
    male = "male", "Nam"
    female = "female", "Nữ"


class CandidateStage(LabelledEnum):
    """The admission pipeline, in order; `dropped` leaves it from any stage before `official`."""

    source = "source", "Quần chúng ưu tú (nguồn phát triển đảng viên)"
    awareness_course = "awareness_course", "Đã học lớp bồi dưỡng nhận thức về Đảng"
    applied = "applied", "Đã nộp đơn và lý lịch"
    verified = "verified", "Đã thẩm tra lý lịch"
    admitted = "admitted", "Đảng viên dự bị"
    official = "official", "Đảng viên chính thức"
    dropped = "dropped", "Dừng theo dõi"


class CandidateAction(LabelledEnum):
    complete_course = "complete_course", "Hoàn thành lớp bồi dưỡng nhận thức về Đảng"
    apply = "apply", "Nộp đơn và lý lịch"
    verify = "verify", "Thẩm tra xong lý lịch"
    propose = "propose", "Chi bộ ra nghị quyết đề nghị kết nạp"
    record_failed_vote = "record_failed_vote", "Biểu quyết không đủ hai phần ba"
    admit = "admit", "Quyết định kết nạp"
    hold_ceremony = "hold_ceremony", "Tổ chức lễ kết nạp"
    propose_recognition = (
        "propose_recognition",
        "Chi bộ ra nghị quyết đề nghị công nhận đảng viên chính thức",
    )
    recognise = "recognise", "Công nhận đảng viên chính thức"
    drop = "drop", "Dừng theo dõi"


class CandidateAlert(LabelledEnum):
    """Deadlines the API watches, from the stage dates and Vietnam's working days."""

    course_expired = "course_expired", "Giấy chứng nhận lớp bồi dưỡng đã hết hạn"
    decision_due = "decision_due", "Đang trong thời hạn cấp ủy quyết định kết nạp"
    decision_overdue = "decision_overdue", "Quá hạn cấp ủy quyết định kết nạp"
    referred = "referred", "Đã báo cáo cấp ủy cấp trên (biểu quyết nhiều lần không đủ hai phần ba)"
    ceremony_due = "ceremony_due", "Sắp đến hạn tổ chức lễ kết nạp"
    ceremony_overdue = "ceremony_overdue", "Quá hạn tổ chức lễ kết nạp"
    recognition_due = "recognition_due", "Đến hạn xét công nhận đảng viên chính thức"
    recognition_overdue = "recognition_overdue", "Quá hạn xét công nhận đảng viên chính thức"


class Grade(LabelledEnum):
    """A party organisation's year-end quality grade (xếp loại chất lượng)."""

    excellent = "excellent", "Hoàn thành xuất sắc nhiệm vụ"
    good = "good", "Hoàn thành tốt nhiệm vụ"
    completed = "completed", "Hoàn thành nhiệm vụ"
    not_completed = "not_completed", "Không hoàn thành nhiệm vụ"


class EvaluationStatus(LabelledEnum):
    self_assessed = "self_assessed", "Đã tự đánh giá"
    proposed = "proposed", "Cấp trên đã đề xuất"
    decided = "decided", "Cấp trên đã quyết định"


class PeriodKind(LabelledEnum):
    """The periods an organisation is evaluated over (Regulation 366-QĐ/TW: per term, year or
    quarter; FACTS-2025.md). Before it, evaluations were yearly."""

    year = "year", "Năm"
    quarter = "quarter", "Quý"
    term = "term", "Nhiệm kỳ"


class CriterionMeasure(LabelledEnum):
    """What Cam Kết measures itself for a criterion of an evaluation; a criterion without one
    is scored by the committee."""

    recruitment_achievement = (
        "recruitment_achievement",
        "Tỷ lệ kết nạp đảng viên so với chỉ tiêu được giao",
    )
    commitments_on_time = "commitments_on_time", "Tỷ lệ cam kết hoàn thành đúng hạn"


class DisciplineForm(LabelledEnum):
    """Forms of party discipline: of a person, reprimand, warning, dismissal, expulsion; of an
    organisation, reprimand, warning, dissolution (issue 13, item 3)."""

    reprimand = "reprimand", "Khiển trách"
    warning = "warning", "Cảnh cáo"
    dismissal = "dismissal", "Cách chức"
    expulsion = "expulsion", "Khai trừ"
    dissolution = "dissolution", "Giải tán"


PERSON_DISCIPLINE_FORMS = frozenset(
    {
        DisciplineForm.reprimand,
        DisciplineForm.warning,
        DisciplineForm.dismissal,
        DisciplineForm.expulsion,
    }
)
ORGANISATION_DISCIPLINE_FORMS = frozenset(
    {DisciplineForm.reprimand, DisciplineForm.warning, DisciplineForm.dissolution}
)


class Structure(LabelledEnum):
    """Which tree figures are read under (issue 12)."""

    as_of = "as_of", "Theo cơ cấu tổ chức của kỳ báo cáo"
    current = "current", "Theo cơ cấu tổ chức hiện nay"


class ApprovalStatus(LabelledEnum):
    """Where a unit's figures for a period stand with its superior (bottom-up, like DHIS2's data
    approval, FACTS-2025.md "What peers offer"); only `approved` locks them."""

    submitted = "submitted", "Đã gửi"
    approved = "approved", "Đã phê duyệt"
    returned = "returned", "Trả lại"
    withdrawn = "withdrawn", "Đã rút phê duyệt"


class ApprovalAction(LabelledEnum):
    """A step of an approval: the superior approves or returns a submission, withdraws an
    approval; the unit submits again after a return or a withdrawal."""

    approve = "approve", "Phê duyệt"
    return_ = "return", "Trả lại"
    withdraw = "withdraw", "Rút phê duyệt"
    resubmit = "resubmit", "Gửi lại"


class ImportKind(LabelledEnum):
    """What the rows of a bulk import are (app/imports)."""

    candidates = "candidates", "Quần chúng ưu tú (nguồn phát triển đảng viên)"
    outcomes = "outcomes", "Kết quả kết nạp báo cáo theo số lượng"
    targets = "targets", "Chỉ tiêu kết nạp"
    commitments = "commitments", "Cam kết"


class ImportStatus(LabelledEnum):
    queued = "queued", "Đang chờ"
    running = "running", "Đang chạy"
    succeeded = "succeeded", "Hoàn thành"
    failed = "failed", "Không thành công"
