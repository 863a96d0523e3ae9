from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.approvals import service
from app.approvals.deps import ApprovalDep, LockExceptionDep
from app.approvals.periods import PERIOD_PATTERN
from app.approvals.schemas import (
    ApprovalCreate,
    ApprovalPublic,
    ApprovalStep,
    Completeness,
    LockExceptionCreate,
    LockExceptionPublic,
)
from app.approvals.service import ApprovalFilters
from app.core import clock
from app.core.db import SessionDep, SnapshotSessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import IdQuery, RequiredIdQuery
from app.idempotency import IDEMPOTENT
from app.models import Approval, ApprovalStatus, LockException
from app.reports.document import Column, Heading, Issuer, Sheet, issuer_of, text
from app.reports.export import (
    EXPORT_RESPONSES,
    ExportFormat,
    FormatQuery,
    LayoutQuery,
    export,
    negotiate,
)

router = APIRouter(prefix="/approvals", tags=["approvals"])
# Mounted at /lock-exceptions by app/api.py (and at its old path /approvals/exceptions).
exceptions = APIRouter(tags=["approvals"])

PeriodQuery = Annotated[
    str | None,
    Query(pattern=PERIOD_PATTERN, description="A year (`2025`) or a quarter (`2025Q1`)."),
]
RequiredPeriodQuery = Annotated[
    str, Query(pattern=PERIOD_PATTERN, description="A year (`2025`) or a quarter (`2025Q1`).")
]


async def approval_filters(
    root_id: IdQuery = None,
    period: PeriodQuery = None,
    unit_id: IdQuery = None,
    status: ApprovalStatus | None = None,
) -> ApprovalFilters:
    return ApprovalFilters(root_id=root_id, period=period, unit_id=unit_id, status=status)


@router.get(
    "",
    response_model=Page[ApprovalPublic],
    summary="List approvals",
    responses=problem_responses(404),
)
def list_approvals(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[ApprovalFilters, Depends(approval_filters)],
) -> Any:
    """Approvals of the units within the caller's grants; under `root_id` (404 outside them),
    those of its subtree in the tree of the period's last day (today's without a period); by
    period, then unit."""
    return service.list_approvals(session, scope=scope, params=page, filters=filters)


@router.post(
    "",
    response_model=ApprovalPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Submit a unit's figures for a period",
    responses=problem_responses(403, 409),
)
def submit(
    session: SessionDep,
    scope: ScopeDep,
    approval_in: ApprovalCreate,
    request: Request,
    response: Response,
) -> Approval:
    """By the unit's managers, once the period has begun; one approval per unit and period
    (409 on a second: resubmit it with a transition). Its superior is the unit's parent in
    the tree of the period's last day (today's while the period runs)."""
    approval = service.submit(session, scope=scope, approval_in=approval_in)
    response.headers["Location"] = str(request.url_for("get_approval", approval_id=approval.id))
    return with_etag(response, approval)


@router.get(
    "/completeness",
    response_model=Completeness,
    summary="Completeness of the submissions of a subtree for a period",
    responses=EXPORT_RESPONSES | problem_responses(404),
)
def completeness(
    request: Request,
    session: SnapshotSessionDep,
    scope: ScopeDep,
    root_id: RequiredIdQuery,
    period: RequiredPeriodQuery,
    fmt: FormatQuery = None,
    layout: LayoutQuery = None,
) -> Any:
    """Every unit open during the period in the root's subtree (the period's tree) is
    expected: how many submitted, were approved, submitted on time (by `due_on`) or late, and
    which never did (missing); then each unit with its status. CSV, XLSX and PDF list the
    units, with Vietnamese headers; printed, the totals head the table."""
    report = service.completeness(session, scope=scope, root_id=root_id, period_key=period)
    chosen = negotiate(request, fmt)
    if chosen == ExportFormat.json:
        return report
    root = scope.unit(root_id)
    issuer = issuer_of(session, root, clock.today())
    sheet = _completeness_sheet(report, issuer)
    return export(chosen, [sheet], f"hoan-thanh-{root.code}-{period}", layout)


def _completeness_sheet(report: Completeness, issuer: Issuer) -> Sheet:
    totals = (
        f"Kỳ {report.period}. Phải gửi: {report.expected} · Đã gửi: {report.submitted} · "
        f"Đã phê duyệt: {report.approved} · Đúng hạn: {report.on_time} · "
        f"Trễ hạn: {report.late} · Chưa gửi: {report.missing}"
    )
    return Sheet(
        name="Tiến độ gửi số liệu",
        heading=Heading(issuer, clock.today(), "Báo cáo", "tiến độ gửi số liệu", totals),
        columns=[
            text("Mã đơn vị", lambda row: row.code, 14),
            text("Tên đơn vị", lambda row: row.name),
            text("Trạng thái", lambda row: row.status.label if row.status else "Chưa gửi", 16),
            Column("Ngày gửi", lambda row: row.first_submitted_on, 12, number=False),
            text(
                "Đúng hạn",
                lambda row: "" if row.on_time is None else ("Có" if row.on_time else "Không"),
                10,
            ),
        ],
        rows=report.units,
    )


@exceptions.get(
    "",
    response_model=Page[LockExceptionPublic],
    summary="List lock exceptions",
    responses=problem_responses(404),
)
def list_exceptions(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    root_id: IdQuery = None,
    period: PeriodQuery = None,
    unit_id: IdQuery = None,
) -> Any:
    """Exceptions granted to units within the caller's grants, by period then unit."""
    return service.list_exceptions(
        session, scope=scope, params=page, root_id=root_id, period=period, unit_id=unit_id
    )


@exceptions.post(
    "",
    response_model=LockExceptionPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Grant a lock exception",
    responses=problem_responses(403),
)
def grant_exception(
    session: SessionDep,
    scope: ScopeDep,
    exception_in: LockExceptionCreate,
    request: Request,
    response: Response,
) -> LockException:
    """By the managers of the unit's superior (its parent on the period's last day): the unit's
    own figures of the period may be written until `until` (inclusive) although the period is
    approved, by it or by a unit above it."""
    exception = service.grant_exception(session, scope=scope, exception_in=exception_in)
    response.headers["Location"] = str(request.url_for("get_exception", exception_id=exception.id))
    return with_etag(response, exception)


@exceptions.get(
    "/{exception_id:int}",
    response_model=LockExceptionPublic,
    summary="Get a lock exception",
    responses=problem_responses(404),
)
async def get_exception(exception: LockExceptionDep, response: Response) -> LockException:
    """As granted."""
    return with_etag(response, exception)


@router.get(
    "/{approval_id:int}",
    response_model=ApprovalPublic,
    summary="Get an approval",
    responses=problem_responses(404),
)
async def get_approval(approval: ApprovalDep, response: Response) -> Approval:
    """Its status, who submitted and who last decided, and why it was returned or withdrawn;
    every step is in the audit trail."""
    return with_etag(response, approval)


@router.post(
    "/{approval_id:int}/transitions",
    response_model=ApprovalPublic,
    dependencies=[IDEMPOTENT],
    summary="Approve, return, withdraw or resubmit",
    responses=problem_responses(403, 404, 409, 412),
)
def take_step(
    session: SessionDep,
    scope: ScopeDep,
    approval: ApprovalDep,
    if_match: IfMatch,
    step: ApprovalStep,
    response: Response,
) -> Approval:
    """`approve` or `return` a submission (with a `reason`), by the managers of the unit's
    superior or of a unit above it; approving needs every child of the unit (open during the
    period, in its tree) approved first (409 naming the missing ones). `withdraw` an approval
    (with a `reason`), by the same, unless the superior's own approval of the period stands
    (409). `resubmit` after a return or a withdrawal, by the unit's managers. While approved,
    writes that would change the figures of the unit or of a unit below it for the period
    answer 409 `/problems/period-locked`."""
    check_if_match(approval, if_match)
    return with_etag(
        response, service.take_step(session, scope=scope, approval=approval, step=step)
    )
