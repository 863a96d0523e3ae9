from typing import Any

from fastapi import APIRouter, Request, Response

from app.access.deps import CurrentPrincipal, IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import RequiredYearQuery
from app.evaluations import criteria
from app.evaluations.deps import CriteriaSetDep
from app.evaluations.schemas import CriteriaSetCreate, CriteriaSetPublic, CriteriaSetUpdate
from app.idempotency import IDEMPOTENT

# Mounted at /criteria-sets by app/api.py (and at its old path /evaluations/criteria-sets).
router = APIRouter(tags=["evaluations"])


@router.get("", response_model=Page[CriteriaSetPublic], summary="List criteria sets")
def list_criteria_sets(session: SessionDep, _principal: CurrentPrincipal, page: PageDep) -> Any:
    """The stored versions, by year: each applies from its year until a later one. Cam Kết's
    default (not stored) applies before the first: see `in-force`."""
    return criteria.list_sets(session, params=page)


@router.get(
    "/in-force",
    response_model=CriteriaSetPublic,
    summary="The criteria set of a year",
    responses=problem_responses(422),
)
def criteria_set_in_force(
    session: SessionDep, _principal: CurrentPrincipal, year: RequiredYearQuery
) -> CriteriaSetPublic:
    """The set evaluations of periods ending in `year` are scored on: the stored version of
    the latest year up to it, else Cam Kết's default (`id` empty), whose criteria are not
    those of any regulation."""
    return criteria.in_force(session, year)[1]


@router.post(
    "",
    response_model=CriteriaSetPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Make the criteria set of a year (admins)",
    responses=problem_responses(403, 409),
)
def create_criteria_set(
    session: SessionDep,
    scope: ScopeDep,
    set_in: CriteriaSetCreate,
    request: Request,
    response: Response,
) -> CriteriaSetPublic:
    """A version for `year` on: earlier years keep theirs. Each criterion has a code, a name
    and its points (100 in all, Regulation 366-QĐ/TW's framework); a `measure` makes Cam Kết
    score it in the suggestion. One per year (409)."""
    made = criteria.create_set(session, scope=scope, set_in=set_in)
    response.headers["Location"] = str(request.url_for("get_criteria_set", criteria_set_id=made.id))
    with_etag(response, made)
    return criteria.publish(made)


@router.get(
    "/{criteria_set_id:int}",
    response_model=CriteriaSetPublic,
    summary="Get a criteria set",
    responses=problem_responses(404),
)
async def get_criteria_set(criteria_set: CriteriaSetDep, response: Response) -> CriteriaSetPublic:
    """One stored version."""
    with_etag(response, criteria_set)
    return criteria.publish(criteria_set)


@router.patch(
    "/{criteria_set_id:int}",
    response_model=CriteriaSetPublic,
    summary="Change a criteria set (admins)",
    responses=problem_responses(403, 404, 409, 412),
)
def update_criteria_set(
    session: SessionDep,
    scope: ScopeDep,
    criteria_set: CriteriaSetDep,
    if_match: IfMatch,
    set_in: CriteriaSetUpdate,
    response: Response,
) -> CriteriaSetPublic:
    """Its name and note at any time; its criteria while no evaluation is scored on it (409:
    make a version for a later year)."""
    check_if_match(criteria_set, if_match)
    updated = criteria.update_set(session, scope=scope, criteria_set=criteria_set, set_in=set_in)
    with_etag(response, updated)
    return criteria.publish(updated)
