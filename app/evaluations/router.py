from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep, SnapshotSessionDep
from app.core.errors import InvalidValueError, problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import IdQuery, RequiredIdQuery, RequiredYearQuery, RootAsOfQuery, YearQuery
from app.evaluations import service
from app.evaluations.deps import CapDep, EvaluationDep
from app.evaluations.periods import Period
from app.evaluations.schemas import (
    CapIn,
    CapPublic,
    CapUpdate,
    EvaluationPublic,
    GradeIn,
    SelfAssessmentIn,
    SelfAssessmentUpdate,
    Suggestion,
)
from app.evaluations.service import EvaluationFilters
from app.idempotency import IDEMPOTENT
from app.models import Evaluation, EvaluationStatus, PeriodKind

router = APIRouter(prefix="/evaluations", tags=["evaluations"])
# Mounted at /evaluation-caps by app/api.py (and at its old path /evaluations/caps).
caps = APIRouter(tags=["evaluations"])


async def evaluation_filters(
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    unit_id: IdQuery = None,
    year: YearQuery = None,
    status: EvaluationStatus | None = None,
    period_kind: PeriodKind | None = None,
) -> EvaluationFilters:
    return EvaluationFilters(
        root_id=root_id,
        as_of=as_of,
        unit_id=unit_id,
        year=year,
        status=status,
        period_kind=period_kind,
    )


async def suggestion_period(
    year: RequiredYearQuery,
    period_kind: Annotated[
        PeriodKind, Query(description="A year (default), a quarter or a term.")
    ] = PeriodKind.year,
    quarter: Annotated[int | None, Query(ge=1, le=4, description="For a quarter.")] = None,
    term_from_year: Annotated[
        int | None, Query(ge=1990, le=2100, description="For a term: its first year.")
    ] = None,
) -> Period:
    """The period `year` ends, as the query names it (422 for an incomplete one)."""
    if (period_kind == PeriodKind.quarter) != (quarter is not None):
        raise InvalidValueError(
            "quarter", "A quarter, and only a quarter, names its quarter.", location="query"
        )
    if (period_kind == PeriodKind.term) != (term_from_year is not None):
        raise InvalidValueError(
            "term_from_year", "A term, and only a term, names its first year.", location="query"
        )
    if term_from_year is not None and term_from_year >= year:
        raise InvalidValueError(
            "term_from_year", "A term's first year comes before its last.", location="query"
        )
    return Period(period_kind, year, quarter, term_from_year)


@router.get(
    "/suggestion",
    response_model=Suggestion,
    summary="Suggest a unit's grade",
    responses=problem_responses(404),
)
def suggestion(
    session: SnapshotSessionDep,
    scope: ScopeDep,
    unit_id: RequiredIdQuery,
    period: Annotated[Period, Depends(suggestion_period)],
) -> Suggestion:
    """Under the rules in force on the period's last day (`rule_set`, GET /rules).

    Under Regulation 366-QĐ/TW: the points of each criterion of the criteria set in force,
    with the figures behind the measured ones (recruitment achievement; commitments completed
    on time), the committee's criteria from the unit's self-assessment (0 until scored), and
    the grade the total earns with the period's tasks (its commitments) and disciplines.

    Before it: from the unit's recruitment achievement for the year and its own commitments'
    outcomes, with a score. The thresholds are settings (`CAMKET_GRADE_*_MIN_ACHIEVEMENT`,
    unverified): a commitment not completed, or an achievement under the *completed*
    threshold (50%), suggests **not completed**; the *excellent* threshold (100%) with every
    commitment completed, **excellent**; the *good* threshold (80%), or no target, with no
    commitment unfinished, **good**; anything else **completed**. The reasons, line by line,
    are in Vietnamese."""
    unit = scope.unit(unit_id)
    return service.suggest(session, unit=unit, year=period.year, period=period)


@caps.get("", response_model=Page[CapPublic], summary="List caps on excellent grades")
def list_caps(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    unit_id: IdQuery = None,
    year: YearQuery = None,
) -> Any:
    """Each with the number of children it applies to, how many may be excellent and how many
    are; by year, then unit."""
    return service.list_caps(session, scope=scope, params=page, unit_id=unit_id, year=year)


@caps.post(
    "",
    response_model=CapPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Cap the share of excellent grades among a unit's children",
    responses=problem_responses(403, 409),
)
def create_cap(
    session: SessionDep, scope: ScopeDep, cap_in: CapIn, request: Request, response: Response
) -> CapPublic:
    """By the unit's managers; one per unit and year. Its percentage is of the children open
    during the year before Regulation 366-QĐ/TW, of those rated good or better under it; by
    default `CAMKET_EVALUATION_EXCELLENT_CAP_PERCENT` (20, unverified for party
    organisations). A decision of *excellent* that would exceed it answers 409, and so does a
    cap below the excellent grades already decided."""
    cap = service.create_cap(session, scope=scope, cap_in=cap_in)
    response.headers["Location"] = str(request.url_for("get_cap", cap_id=cap.id))
    with_etag(response, cap)
    return service.publish_cap(session, cap)


@caps.get(
    "/{cap_id:int}",
    response_model=CapPublic,
    summary="Get a cap",
    responses=problem_responses(404),
)
def get_cap(session: SessionDep, cap: CapDep, response: Response) -> CapPublic:
    """With the children it applies to, how many may be excellent and how many are."""
    with_etag(response, cap)
    return service.publish_cap(session, cap)


@caps.patch(
    "/{cap_id:int}",
    response_model=CapPublic,
    summary="Change a cap",
    responses=problem_responses(403, 404, 409, 412),
)
def update_cap(
    session: SessionDep,
    scope: ScopeDep,
    cap: CapDep,
    if_match: IfMatch,
    cap_in: CapUpdate,
    response: Response,
) -> CapPublic:
    """Not below the excellent grades already decided (409)."""
    check_if_match(cap, if_match)
    updated = service.update_cap(session, scope=scope, cap=cap, cap_in=cap_in)
    with_etag(response, updated)
    return service.publish_cap(session, updated)


@router.get("", response_model=Page[EvaluationPublic], summary="List evaluations")
def list_evaluations(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[EvaluationFilters, Depends(evaluation_filters)],
) -> Any:
    """Evaluations of the units in the caller's scope, by year then unit."""
    return service.list_evaluations(session, scope=scope, params=page, filters=filters)


@router.post(
    "",
    response_model=EvaluationPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Self-assess a unit's year",
    responses=problem_responses(403, 409),
)
def self_assess(
    session: SessionDep,
    scope: ScopeDep,
    assessment_in: SelfAssessmentIn,
    request: Request,
    response: Response,
) -> Evaluation:
    """By the unit's managers; one evaluation per unit and period (409 on a second): a year
    (the default), a quarter (`quarter`) or a term (`term_from_year` to `year`).

    For a period ending before Regulation 366-QĐ/TW (30 August 2025), the grade as given. For
    one ending after it, either the grade as given, or `scores` (one per criterion of the
    criteria set in force, each at most its points, with evidence) and `tasks`: the grade is
    then derived from the total, the tasks and the disciplines of the period (a `grade` sent
    along must be that one, 409)."""
    evaluation = service.self_assess(session, scope=scope, assessment_in=assessment_in)
    response.headers["Location"] = str(
        request.url_for("get_evaluation", evaluation_id=evaluation.id)
    )
    return with_etag(response, evaluation)


@router.get(
    "/{evaluation_id:int}",
    response_model=EvaluationPublic,
    summary="Get an evaluation",
    responses=problem_responses(404),
)
async def get_evaluation(evaluation: EvaluationDep, response: Response) -> Evaluation:
    """Each step with its grade, note and author; `grade` is the one that stands."""
    return with_etag(response, evaluation)


@router.patch(
    "/{evaluation_id:int}",
    response_model=EvaluationPublic,
    summary="Change a self-assessment",
    responses=problem_responses(403, 404, 409, 412),
)
def update_self_assessment(
    session: SessionDep,
    scope: ScopeDep,
    evaluation: EvaluationDep,
    if_match: IfMatch,
    update_in: SelfAssessmentUpdate,
    response: Response,
) -> Evaluation:
    """By the unit's managers, until the superior proposes a grade (409 after). With scores,
    the grade follows them."""
    check_if_match(evaluation, if_match)
    updated = service.update_self_assessment(
        session, scope=scope, evaluation=evaluation, update_in=update_in
    )
    return with_etag(response, updated)


@router.post(
    "/{evaluation_id:int}/proposal",
    response_model=EvaluationPublic,
    dependencies=[IDEMPOTENT],
    summary="Propose the grade (superior)",
    responses=problem_responses(403, 404, 409, 412),
)
def propose(
    session: SessionDep,
    scope: ScopeDep,
    evaluation: EvaluationDep,
    if_match: IfMatch,
    grade_in: GradeIn,
    response: Response,
) -> Evaluation:
    """By managers or reporters of the unit's parent, until the grade is decided. Under
    Regulation 366-QĐ/TW it may carry `points` (and `tasks`, else the unit's): the grade is
    derived from them."""
    check_if_match(evaluation, if_match)
    return with_etag(
        response, service.propose(session, scope=scope, evaluation=evaluation, grade_in=grade_in)
    )


@router.post(
    "/{evaluation_id:int}/decision",
    response_model=EvaluationPublic,
    dependencies=[IDEMPOTENT],
    summary="Decide the grade (superior)",
    responses=problem_responses(403, 404, 409, 412),
)
def decide(
    session: SessionDep,
    scope: ScopeDep,
    evaluation: EvaluationDep,
    if_match: IfMatch,
    grade_in: GradeIn,
    response: Response,
) -> Evaluation:
    """By managers of the unit's parent, once proposed; with `points` as for a proposal.
    *Excellent* for a year must fit the parent's cap for the year (409): the cap it recorded,
    or under Regulation 366-QĐ/TW the default `CAMKET_EVALUATION_EXCELLENT_CAP_PERCENT` (20%,
    unverified for party organisations) of the children rated good or better, this one
    included — decide the good grades first."""
    check_if_match(evaluation, if_match)
    return with_etag(
        response, service.decide(session, scope=scope, evaluation=evaluation, grade_in=grade_in)
    )
