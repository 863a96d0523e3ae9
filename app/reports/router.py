from typing import Annotated, Any

from fastapi import APIRouter, Query, Request

from app.access.deps import ScopeDep
from app.core import clock
from app.core.db import SnapshotSessionDep
from app.core.errors import problem_responses
from app.core.schemas import StructureQuery, YearQuery
from app.models import MAX_ID, Structure
from app.recruitment.deps import PeriodDep
from app.reports import service, sheets
from app.reports.document import issuer_of
from app.reports.export import (
    EXPORT_RESPONSES,
    ExportFormat,
    FormatQuery,
    LayoutQuery,
    export,
    negotiate,
)
from app.reports.schemas import CommitmentsReport, RecruitmentReport, Scorecard
from app.units.deps import UnitDep

router = APIRouter(prefix="/reports", tags=["reports"])
scorecards = APIRouter(prefix="/units", tags=["reports"])

RootId = Annotated[int, Query(ge=1, le=MAX_ID, description="The report's unit.")]
RESPONSES = EXPORT_RESPONSES | problem_responses(404)


@router.get(
    "/recruitment",
    response_model=RecruitmentReport,
    summary="Recruitment over a subtree and a period",
    responses=RESPONSES,
)
def recruitment_report(
    request: Request,
    session: SnapshotSessionDep,
    scope: ScopeDep,
    root_id: RootId,
    years: PeriodDep,
    depth: Annotated[int, Query(ge=1, le=10, description="Levels below the root.")] = 1,
    structure: StructureQuery = Structure.as_of,
    fmt: FormatQuery = None,
    layout: LayoutQuery = None,
) -> Any:
    """One row per unit down to `depth` levels below the root (units open during the period),
    in tree order, and a totals row for the root. Every figure of a row covers that unit's
    whole subtree; the target is the unit's own (absent, not zero, when it has none).
    Admissions are split into individual records and reported counts."""
    root = scope.unit(root_id)
    first, last = years.from_year, years.to_year
    report = service.recruitment_report(
        session, root=root, from_year=first, to_year=last, depth=depth, structure=structure
    )
    chosen = negotiate(request, fmt)
    if chosen == ExportFormat.json:
        return report
    name = f"tuyen-dang-vien-{root.code}-{first}-{last}"
    issuer = issuer_of(session, root, report.issued_on)
    return export(chosen, sheets.recruitment_sheets(report, issuer), name, layout)


@router.get(
    "/commitments",
    response_model=CommitmentsReport,
    summary="Commitments of a subtree for a year",
    responses=RESPONSES,
)
def commitments_report(
    request: Request,
    session: SnapshotSessionDep,
    scope: ScopeDep,
    root_id: RootId,
    year: YearQuery = None,
    structure: StructureQuery = Structure.as_of,
    fmt: FormatQuery = None,
    layout: LayoutQuery = None,
) -> Any:
    """Counts by status × category and by kind, overdue ones and ones not yet accepted, for
    each direct child (over its subtree) and in total; and every commitment with the
    committee member directing it. CSV holds the per-unit table; XLSX adds the status ×
    category matrix and the list; PDF holds all three."""
    root = scope.unit(root_id)
    chosen_year = year or clock.today().year
    report = service.commitments_report(session, root=root, year=chosen_year, structure=structure)
    chosen = negotiate(request, fmt)
    if chosen == ExportFormat.json:
        return report
    issuer = issuer_of(session, root, report.issued_on)
    name = f"cam-ket-{root.code}-{chosen_year}"
    return export(chosen, sheets.commitments_sheets(report, issuer), name, layout)


@scorecards.get(
    "/{unit_id:int}/scorecard",
    response_model=Scorecard,
    summary="A unit's year at a glance",
    responses=RESPONSES,
)
def scorecard(
    request: Request,
    session: SnapshotSessionDep,
    unit: UnitDep,
    year: YearQuery = None,
    structure: StructureQuery = Structure.as_of,
    fmt: FormatQuery = None,
    layout: LayoutQuery = None,
) -> Any:
    """The unit's own commitments with status and progress, its recruitment figures, its
    evaluation if any and the suggested grade. CSV holds the commitments; XLSX adds the
    recruitment figures and the evaluation; PDF holds all three."""
    chosen_year = year or clock.today().year
    card = service.scorecard(session, unit=unit, year=chosen_year, structure=structure)
    chosen = negotiate(request, fmt)
    if chosen == ExportFormat.json:
        return card
    issuer = issuer_of(session, unit, card.issued_on)
    name = f"ket-qua-{unit.code}-{chosen_year}"
    return export(chosen, sheets.scorecard_sheets(card, issuer), name, layout)
