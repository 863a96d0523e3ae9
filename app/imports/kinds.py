"""What each kind of import reads from a row, and how a row is applied: through the very
service functions of the single-record endpoints (scope, workflow, period locks, overlaps and
their validation schemas), so an import has no rules of its own.

Headers are Vietnamese; those an export writes are the export's own (app/reports/sheets.py),
so an export edited in Excel imports back. JSON rows name the English fields instead.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.access.scope import Scope
from app.commitments import service as commitments
from app.commitments.schemas import CommitmentCreate, CommitmentUpdate
from app.core.errors import ConflictError, InvalidReferenceError
from app.core.i18n import t
from app.models import (
    Candidate,
    CandidateAction,
    Commitment,
    CommitmentCategory,
    CommitmentKind,
    Directive,
    ImportKind,
    RecruitmentOutcome,
    RecruitmentTarget,
    Sex,
    Unit,
    UnitVersion,
)
from app.models.base import LabelledEnum
from app.recruitment import candidates, outcomes, targets
from app.recruitment.schemas import (
    CandidateCreate,
    CandidateTransitionIn,
    CandidateUpdate,
    OutcomeCreate,
    OutcomeUpdate,
    TargetCreate,
    TargetUpdate,
)
from app.recruitment.workflow import STEPS
from app.reports import sheets


class Result(StrEnum):
    created = "created"
    updated = "updated"
    unchanged = "unchanged"


class CellError(ValueError):
    """A cell that cannot be read as its column's type; the message is Vietnamese."""


# --- reading cells --------------------------------------------------------------------------


def text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def integer(value: Any) -> int:
    if isinstance(value, bool):
        raise CellError("Phải là số nguyên.")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip().replace(".", "").replace(",", ""))
    except ValueError:
        raise CellError("Phải là số nguyên.") from None


def day(value: Any) -> date:
    """A date cell, an ISO date (2025-07-01) or a Vietnamese one (01/07/2025)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = str(value).strip()
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(raw, pattern).date()
        except ValueError:
            continue
    raise CellError("Phải là ngày (dd/mm/yyyy hoặc yyyy-mm-dd).")


_YES = {"có", "x", "1", "true", "yes", "đúng"}
_NO = {"không", "0", "false", "no", "sai"}


def yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    raw = text(value).casefold()
    if raw in _YES:
        return True
    if raw in _NO:
        return False
    raise CellError("Phải là Có hoặc Không.")


def labelled(enum: type[LabelledEnum]) -> Callable[[Any], Any]:
    """An enum cell, by its value or its Vietnamese label (as the exports write it)."""
    by_text = {m.value.casefold(): m for m in enum} | {m.label.casefold(): m for m in enum}

    def parse(value: Any) -> Any:
        member = by_text.get(text(value).casefold())
        if member is None:
            raise CellError("Phải là một trong: " + "; ".join(m.label for m in enum) + ".")
        return member

    return parse


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    parse: Callable[[Any], Any] = text


# Every kind names its unit by code (its current code, or one it had: the official commune
# codes of 2025 are codes) or by id.
UNIT_COLUMNS = [
    Column("unit_code", sheets.UNIT_CODE),
    Column("unit_id", "ID đơn vị", integer),
]


# --- context: the session, the caller and the lookups a batch repeats -----------------------


@dataclass
class Context:
    session: Session
    scope: Scope
    options: dict[str, Any]
    units: dict[str, int] = field(default_factory=dict)
    unit_ids: set[int] = field(default_factory=set)

    def unit(
        self, row: dict[str, Any], code_field: str = "unit_code", id_field: str = "unit_id"
    ) -> int:
        code = row.pop(code_field, None)
        unit_id = row.pop(id_field, None)
        if code is not None:
            unit_id = self._by_code(code_field, code)
        if unit_id is None:
            raise InvalidReferenceError(code_field, t("Name the unit by its code or its id."))
        self.unit_ids.add(unit_id)
        return int(unit_id)

    def _by_code(self, field_name: str, code: str) -> int:
        key = code.casefold()
        if key not in self.units:
            found = self.session.execute(
                select(col(Unit.id)).where(func.lower(col(Unit.code)) == code.lower())
            ).scalar_one_or_none()
            if found is None:  # a code the unit had before a rename
                former = (
                    self.session.execute(
                        select(col(UnitVersion.unit_id))
                        .where(func.lower(col(UnitVersion.code)) == code.lower())
                        .distinct()
                    )
                    .scalars()
                    .all()
                )
                found = former[0] if len(former) == 1 else None
            if found is None:
                raise InvalidReferenceError(
                    field_name, t("No unit has the code {code!r}.", code=code)
                )
            self.units[key] = found
        return self.units[key]


Apply = Callable[[Context, dict[str, Any]], Result]


@dataclass(frozen=True)
class Kind:
    columns: list[Column]
    apply: Apply
    # Rows an export adds that are not records (its totals line): skipped.
    skip: Callable[[dict[str, Any]], bool] = lambda row: False

    def header(self, field_name: str) -> str | None:
        return next((c.header for c in self.columns if c.field == field_name), None)


def _changed(entity: Any, version: int) -> Result:
    return Result.updated if entity.version != version else Result.unchanged


def _totals_row(row: dict[str, Any]) -> bool:
    return str(row.get("unit_name") or "").startswith(sheets.TOTALS_PREFIX)


# --- candidates, with their dated steps -----------------------------------------------------

# The steps a row may date, in the pipeline's order (a failed vote is no single date).
CANDIDATE_STEPS = [a for a in CandidateAction if a != CandidateAction.record_failed_vote]
_CANDIDATE_FIELDS = {
    "full_name", "birth_date", "birth_year", "sex", "occupation", "helper_person_id",
    "in_charge_person_id", "note",
}  # fmt: skip


def _candidate(ctx: Context, row: dict[str, Any]) -> Result:
    session, scope = ctx.session, ctx.scope
    steps = {a: row.pop(a.value) for a in CANDIDATE_STEPS if a.value in row}
    decision_number, reason = row.pop("decision_number", None), row.pop("drop_reason", None)
    candidate_id = row.pop("id", None)
    unit_id = ctx.unit(row)
    if candidate_id is None:
        candidate = candidates.create_candidate(
            session,
            scope=scope,
            candidate_in=CandidateCreate.model_validate(row | {"unit_id": unit_id}),
        )
        result, version = Result.created, 0
    else:
        candidate = scope.get(Candidate, candidate_id, t("Candidate"))
        if candidate.unit_id != unit_id:
            raise ConflictError(
                t(
                    "Candidate {candidate_id} belongs to unit {unit_id}: a row does not move a "
                    "candidate.",
                    candidate_id=candidate_id,
                    unit_id=candidate.unit_id,
                )
            )
        version = candidate.version
        changes = {k: v for k, v in row.items() if k in _CANDIDATE_FIELDS}
        candidates.update_candidate(
            session, scope=scope, candidate=candidate,
            candidate_in=CandidateUpdate.model_validate(changes),
        )  # fmt: skip
        result = Result.unchanged
    for action in CANDIDATE_STEPS:
        on = steps.get(action)
        if on is None:
            continue
        recorded = getattr(candidate, STEPS[action].date_field)
        if recorded == on:
            continue
        if recorded is not None:
            raise ConflictError(
                t(
                    "The step {action} is dated {day} already: a dated step is not moved by an "
                    "import.",
                    action=action.value,
                    day=recorded.isoformat(),
                )
            )
        step_in = CandidateTransitionIn(
            action=action,
            on=on,
            decision_number=decision_number if action == CandidateAction.admit else None,
            reason=reason if action == CandidateAction.drop else None,
        )
        candidates.transition(session, scope=scope, candidate=candidate, step_in=step_in)
    return result if result == Result.created else _changed(candidate, version)


def _step_header(action: CandidateAction) -> str:
    return f"Ngày: {action.label}"


CANDIDATES = Kind(
    [
        Column("id", "ID", integer),
        *UNIT_COLUMNS,
        Column("full_name", "Họ và tên"),
        Column("birth_date", "Ngày sinh", day),
        Column("birth_year", "Năm sinh", integer),
        Column("sex", "Giới tính", labelled(Sex)),
        Column("occupation", "Nghề nghiệp"),
        Column("source_since", "Theo dõi là nguồn từ ngày", day),
        Column("helper_person_id", "ID đảng viên giúp đỡ", integer),
        Column("in_charge_person_id", "ID cấp ủy viên phụ trách", integer),
        *[Column(a.value, _step_header(a), day) for a in CANDIDATE_STEPS],
        Column("decision_number", "Số quyết định kết nạp"),
        Column("drop_reason", "Lý do dừng theo dõi"),
        Column("note", "Ghi chú"),
    ],
    _candidate,
)


# --- reported outcomes ----------------------------------------------------------------------


def _outcome(ctx: Context, row: dict[str, Any]) -> Result:
    session, scope = ctx.session, ctx.scope
    outcome_id = row.pop("id", None)
    row["unit_id"] = ctx.unit(row)
    if outcome_id is None:
        # The same unit and period is the same report: updated, not doubled.
        existing = session.execute(
            select(RecruitmentOutcome).where(
                col(RecruitmentOutcome.unit_id) == row["unit_id"],
                col(RecruitmentOutcome.period_start) == row.get("period_start"),
                col(RecruitmentOutcome.period_end) == row.get("period_end"),
            )
        ).scalar_one_or_none()
    else:
        existing = scope.get(RecruitmentOutcome, outcome_id, t("Outcome"))
    if existing is None:
        outcomes.create_outcome(session, scope=scope, outcome_in=OutcomeCreate.model_validate(row))
        return Result.created
    version = existing.version
    row.pop("unit_id")
    outcomes.update_outcome(
        session, scope=scope, outcome=existing, outcome_in=OutcomeUpdate.model_validate(row)
    )
    return _changed(existing, version)


OUTCOMES = Kind(
    [
        Column("id", "ID", integer),
        *UNIT_COLUMNS,
        Column("period_start", "Từ ngày", day),
        Column("period_end", "Đến ngày", day),
        Column("admitted", "Số đảng viên kết nạp", integer),
        Column("replaces_individual", "Thay cho hồ sơ từng người", yes_no),
        Column("source", "Nguồn số liệu"),
        Column("note", "Ghi chú"),
    ],
    _outcome,
)


# --- targets --------------------------------------------------------------------------------


def _target(ctx: Context, row: dict[str, Any]) -> Result:
    """The unit's target of the year (the row's, else the import's `year`): created, or the
    existing one changed."""
    session, scope = ctx.session, ctx.scope
    row.pop("unit_name", None)
    unit_id = ctx.unit(row)
    year = row.pop("year", ctx.options.get("year"))
    if year is None:
        raise InvalidReferenceError(
            "year", t("Give the year: a column Năm, or year= of the import.")
        )
    existing = session.execute(
        select(RecruitmentTarget).where(
            col(RecruitmentTarget.unit_id) == unit_id, col(RecruitmentTarget.year) == year
        )
    ).scalar_one_or_none()
    if existing is None:
        target_in = TargetCreate.model_validate(row | {"unit_id": unit_id, "year": year})
        targets.create_target(session, scope=scope, target_in=target_in)
        return Result.created
    version = existing.version
    targets.update_target(
        session, scope=scope, target=existing, target_in=TargetUpdate.model_validate(row)
    )
    return _changed(existing, version)


TARGETS = Kind(
    [
        *UNIT_COLUMNS,
        Column("unit_name", sheets.UNIT_NAME),
        Column("year", "Năm", integer),
        Column("target", sheets.TARGET, integer),
        Column("note", "Ghi chú"),
    ],
    _target,
    skip=_totals_row,
)


# --- commitments ----------------------------------------------------------------------------


def _commitment(ctx: Context, row: dict[str, Any]) -> Result:
    session, scope = ctx.session, ctx.scope
    commitment_id = row.pop("id", None)
    unit_id = ctx.unit(row)
    if "registered_with_code" in row or "registered_with_id" in row:
        row["registered_with_id"] = ctx.unit(row, "registered_with_code", "registered_with_id")
    code = row.pop("directive_code", None)
    if code is not None:
        directive = session.execute(
            select(col(Directive.id)).where(func.lower(col(Directive.code)) == code.lower())
        ).scalar_one_or_none()
        if directive is None:
            raise InvalidReferenceError(
                "directive_code", t("No directive has the code {code!r}.", code=code)
            )
        row["directive_id"] = directive
    if "year" not in row and ctx.options.get("year") is not None:
        row["year"] = ctx.options["year"]
    if commitment_id is None:
        commitment_in = CommitmentCreate.model_validate(row | {"unit_id": unit_id})
        commitments.create_commitment(session, scope=scope, commitment_in=commitment_in)
        return Result.created
    commitment = scope.get(Commitment, commitment_id, t("Commitment"))
    if commitment.unit_id != unit_id:
        raise ConflictError(
            t(
                "Commitment {commitment_id} belongs to unit {unit_id}.",
                commitment_id=commitment_id,
                unit_id=commitment.unit_id,
            )
        )
    version = commitment.version
    commitments.update_commitment(
        session, scope=scope, commitment=commitment,
        commitment_in=CommitmentUpdate.model_validate(row),
    )  # fmt: skip
    return _changed(commitment, version)


COMMITMENTS = Kind(
    [
        Column("id", "ID", integer),
        *UNIT_COLUMNS,
        Column("registered_with_code", "Đăng ký với (mã đơn vị)"),
        Column("registered_with_id", "ID đơn vị cấp trên", integer),
        Column("directive_code", "Số hiệu chỉ thị"),
        Column("directive_id", "ID chỉ thị", integer),
        Column("year", "Năm", integer),
        Column("kind", sheets.COMMITMENT_KIND, labelled(CommitmentKind)),
        Column("category", sheets.COMMITMENT_CATEGORY, labelled(CommitmentCategory)),
        Column("title", sheets.COMMITMENT_TITLE),
        Column("description", "Mô tả"),
        Column("deadline", sheets.DEADLINE, day),
        Column("responsible_person_id", "ID người chịu trách nhiệm", integer),
        Column("directing_person_id", "ID đồng chí trực tiếp chỉ đạo", integer),
    ],
    _commitment,
)


KINDS: dict[ImportKind, Kind] = {
    ImportKind.candidates: CANDIDATES,
    ImportKind.outcomes: OUTCOMES,
    ImportKind.targets: TARGETS,
    ImportKind.commitments: COMMITMENTS,
}
