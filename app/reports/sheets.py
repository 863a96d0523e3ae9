"""The reports as spreadsheets: Vietnamese headers from the enum labels, one row per unit."""

from collections.abc import Callable
from typing import Any

from app.core.periods import PeriodPublic
from app.models import (
    CandidateStage,
    CommitmentCategory,
    CommitmentKind,
    CommitmentStatus,
    Grade,
    Structure,
)
from app.recruitment.schemas import RecruitmentFigures
from app.reports.document import Column, Heading, Issuer, Sheet, text
from app.reports.schemas import CommitmentLine, CommitmentsReport, RecruitmentReport, Scorecard

# Headers an import reads back (app/imports): an export edited in Excel imports as it is.
UNIT_CODE = "Mã đơn vị"
UNIT_NAME = "Tên đơn vị"
TARGET = "Chỉ tiêu kết nạp"
COMMITMENT_TITLE = "Nội dung cam kết"
COMMITMENT_KIND = "Loại"
COMMITMENT_CATEGORY = "Lĩnh vực"
DEADLINE = "Thời hạn"
TOTALS_PREFIX = "Tổng cộng: "


def _entry(attribute: str, key: Any) -> Callable[[Any], Any]:
    """The value under `key` of a row's mapping `attribute`."""
    return lambda row: getattr(row, attribute)[key]


def _stage_count(index: int) -> Callable[[Any], Any]:
    return lambda row: row.candidates_by_stage[index].count


def _cell(by_status: Any, category: CommitmentCategory) -> Callable[[Any], Any]:
    return lambda status: by_status[status][category]


def _period(period: PeriodPublic, structure: Structure) -> str:
    """The period, and the tree its figures are read under."""
    first, last = period.start, period.end
    if not period.whole_years:
        days = f"Kỳ {period.key}: từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}"
    elif first.year == last.year:
        days = f"Năm {first.year}"
    else:
        days = f"Giai đoạn {first.year}–{last.year}"
    return f"{days} ({structure.label.lower()})"


def _below_first_level(row: Any) -> int:
    """A unit's name is printed indented by its depth below the report's root's children."""
    return max(getattr(row, "depth", 1) - 1, 0)


def _recruitment_columns(with_depth: bool) -> list[Column]:
    columns = [
        text(UNIT_CODE, lambda r: r.code, 18),
        text(UNIT_NAME, lambda r: r.name, 36, indent=_below_first_level),
    ]
    if with_depth:
        columns.append(Column("Cấp (so với đơn vị báo cáo)", lambda r: getattr(r, "depth", 0), 9))
    columns += [
        Column(TARGET, lambda r: r.target),
        Column("Kết nạp (hồ sơ từng người)", lambda r: r.admitted_individual),
        Column("Kết nạp (báo cáo số lượng)", lambda r: r.admitted_reported),
        Column("Tổng số kết nạp", lambda r: r.admitted),
        Column("Tỷ lệ đạt chỉ tiêu (%)", lambda r: r.achievement_percent),
    ]
    columns += [
        Column(stage.label, _stage_count(index), 12) for index, stage in enumerate(CandidateStage)
    ]
    columns += [
        Column("Quá hạn (lễ kết nạp, công nhận chính thức)", lambda r: r.overdue_alerts, 13),
        Column("Báo cáo số lượng không tách được theo năm", lambda r: r.outcomes_straddling, 13),
    ]
    return columns


def _totals(figures: RecruitmentFigures) -> RecruitmentFigures:
    return figures.model_copy(update={"name": f"{TOTALS_PREFIX}{figures.name}"})


def recruitment_sheets(report: RecruitmentReport, issuer: Issuer) -> list[Sheet]:
    heading = Heading(
        issuer,
        report.issued_on,
        "Báo cáo",
        "kết quả phát triển đảng viên",
        _period(report.period, report.structure),
    )
    columns = _recruitment_columns(True)
    totals = _totals(report.totals)
    return [Sheet("Phát triển đảng viên", columns, report.rows, heading, totals)]


def _commitment_summary_columns() -> list[Column]:
    columns = [
        text(UNIT_CODE, lambda r: r.code, 18),
        text(UNIT_NAME, lambda r: r.name, 36),
        Column("Tổng số cam kết", lambda r: r.total),
    ]
    columns += [Column(s.label, _entry("by_status", s)) for s in CommitmentStatus]
    columns += [Column(k.label, _entry("by_kind", k)) for k in CommitmentKind]
    columns += [Column(c.label, _entry("by_category", c), 18) for c in CommitmentCategory]
    columns += [
        Column("Quá hạn", lambda r: r.overdue),
        Column("Chưa được chấp thuận", lambda r: r.not_yet_accepted),
    ]
    return columns


def _commitment_list_columns() -> list[Column]:
    return [
        text(UNIT_CODE, lambda c: c.unit_code, 18),
        text(UNIT_NAME, lambda c: c.unit_name, 30),
        text(COMMITMENT_TITLE, lambda c: c.title, 50),
        text(COMMITMENT_KIND, lambda c: c.kind.label, 18),
        text(COMMITMENT_CATEGORY, lambda c: c.category.label, 30),
        text("Trạng thái", lambda c: c.status.label, 18),
        Column("Tiến độ (%)", lambda c: c.progress_percent, 10),
        Column(DEADLINE, lambda c: c.deadline, 12),
        text("Quá hạn", lambda c: "Có" if c.overdue else "Không", 10),
        text("Đồng chí trực tiếp chỉ đạo", lambda c: c.directing_person_name, 28),
    ]


def commitment_list_sheet(lines: list[CommitmentLine], heading: Heading) -> Sheet:
    return Sheet("Danh sách cam kết", _commitment_list_columns(), lines, heading)


def commitments_sheets(report: CommitmentsReport, issuer: Issuer) -> list[Sheet]:
    heading = Heading(
        issuer,
        report.issued_on,
        "Báo cáo",
        "thực hiện cam kết giải quyết việc khó, vấn đề bức xúc",
        _period(report.period, report.structure),
    )
    totals = report.totals.model_copy(update={"name": f"{TOTALS_PREFIX}{report.totals.name}"})
    by_status = report.totals.by_status_and_category
    matrix_columns = [text("Trạng thái", lambda status: status.label, 28)]
    matrix_columns += [Column(c.label, _cell(by_status, c), 18) for c in CommitmentCategory]
    return [
        Sheet("Tổng hợp", _commitment_summary_columns(), report.rows, heading, totals),
        Sheet("Trạng thái × lĩnh vực", matrix_columns, list(CommitmentStatus), heading),
        commitment_list_sheet(report.commitments, heading),
    ]


def scorecard_sheets(card: Scorecard, issuer: Issuer) -> list[Sheet]:
    heading = Heading(
        issuer,
        card.issued_on,
        "Phiếu",
        "tổng hợp kết quả",
        _period(card.period, card.recruitment.structure),
    )
    evaluation = card.evaluation
    # For part of a year there is no grade: grades are yearly (the period's note says so).
    steps: list[tuple[str, Grade, str | None]] = (
        [("Gợi ý (tính tự động)", card.suggestion.grade, " ".join(card.suggestion.reasons))]
        if card.suggestion is not None
        else []
    )
    if evaluation is not None:
        steps.append(("Tự đánh giá", evaluation.self_grade, evaluation.self_note))
        if evaluation.proposed_grade is not None:
            steps.append(("Cấp trên đề xuất", evaluation.proposed_grade, evaluation.proposal_note))
        if evaluation.decided_grade is not None:
            steps.append(
                ("Cấp trên quyết định", evaluation.decided_grade, evaluation.decision_note)
            )
    evaluation_columns = [
        text("Bước", lambda s: s[0], 24),
        text("Xếp loại", lambda s: s[1].label, 30),
        text("Ghi chú", lambda s: s[2], 60),
    ]
    return [
        commitment_list_sheet(card.commitments, heading),
        Sheet("Phát triển đảng viên", _recruitment_columns(False), [card.recruitment], heading),
        Sheet("Đánh giá, xếp loại", evaluation_columns, steps, heading),
    ]
