from typing import Any

from fastapi import APIRouter, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import IdQuery
from app.idempotency import IDEMPOTENT
from app.models import Unit
from app.units import service
from app.units.deps import AsOf, MaxDepth, UnitDep, UnitFiltersDep, UnitValidityDep
from app.units.schemas import (
    UnitClose,
    UnitCorrected,
    UnitCorrection,
    UnitCreate,
    UnitNode,
    UnitPublic,
    UnitUpdate,
)

router = APIRouter(prefix="/units", tags=["units"])


@router.get("", response_model=Page[UnitPublic], summary="List units")
def list_units(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: UnitFiltersDep,
    parent_id: IdQuery = None,
    root_id: IdQuery = None,
) -> Any:
    """Units ordered by level, then name. By default only units not closed today are listed.

    `root_id` restricts the list to that unit's subtree (the unit included); `parent_id` to its
    direct children; `q` searches names and codes without accents or case.
    """
    return service.list_units(
        session, scope=scope, params=page, filters=filters, parent_id=parent_id, root_id=root_id
    )


@router.post(
    "",
    response_model=UnitPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Create a unit",
    responses=problem_responses(403, 409),
)
def create_unit(
    session: SessionDep, scope: ScopeDep, unit_in: UnitCreate, request: Request, response: Response
) -> Unit:
    """Create a unit under an open parent (or a root without `parent_id`). `code` is unique."""
    unit = service.create_unit(session, scope=scope, unit_in=unit_in)
    response.headers["Location"] = str(request.url_for("get_unit", unit_id=unit.id))
    return with_etag(response, unit)


@router.get(
    "/{unit_id:int}",
    response_model=UnitPublic,
    summary="Get a unit",
    responses=problem_responses(404),
)
def get_unit(session: SessionDep, unit: UnitDep, response: Response, as_of: AsOf = None) -> Any:
    """One unit, open or closed, with its kind's Vietnamese label; with `as_of`, the code,
    name, kind, parent and level it had on that day."""
    with_etag(response, unit)
    return service.get_unit_as_of(session, unit=unit, as_of=as_of)


@router.patch(
    "/{unit_id:int}",
    response_model=UnitPublic,
    summary="Update or move a unit",
    responses=problem_responses(403, 404, 409, 412),
)
def update_unit(
    session: SessionDep,
    scope: ScopeDep,
    unit: UnitDep,
    if_match: IfMatch,
    unit_in: UnitUpdate,
    response: Response,
) -> Unit:
    """Change the fields sent. A new `parent_id` moves the unit and its whole subtree; the new
    parent must be open and may not lie in the unit's own subtree."""
    check_if_match(unit, if_match)
    return with_etag(
        response, service.update_unit(session, scope=scope, unit=unit, unit_in=unit_in)
    )


@router.post(
    "/{unit_id:int}/close",
    response_model=UnitPublic,
    dependencies=[IDEMPOTENT],
    summary="Close a unit",
    responses=problem_responses(403, 404, 409, 412),
)
def close_unit(
    session: SessionDep,
    scope: ScopeDep,
    unit: UnitDep,
    if_match: IfMatch,
    close_in: UnitClose,
    response: Response,
) -> Unit:
    """Set `valid_to`. Units are never deleted: records made against them stay true. A unit with
    units still open below it on that day cannot close, nor one holding records of its life on
    or after that day (the 409 names them: candidates in the pipeline or with a later step, later
    outcomes, targets, commitments and evaluations, unfinished commitments, posts starting later).
    Its posts and areas of charge still open end on that day."""
    check_if_match(unit, if_match)
    closed = service.close_unit(session, scope=scope, unit=unit, valid_to=close_in.valid_to)
    return with_etag(response, closed)


@router.get(
    "/{unit_id:int}/children",
    response_model=Page[UnitPublic],
    summary="List a unit's direct children",
    responses=problem_responses(404),
)
def list_children(
    session: SessionDep, scope: ScopeDep, unit: UnitDep, page: PageDep, filters: UnitFiltersDep
) -> Any:
    """The units directly below this one, by name; filters as for the unit list."""
    return service.list_units(session, scope=scope, params=page, filters=filters, parent_id=unit.id)


@router.get(
    "/{unit_id:int}/descendants",
    response_model=Page[UnitPublic],
    summary="List every unit below a unit",
    responses=problem_responses(404),
)
def list_descendants(
    session: SessionDep,
    scope: ScopeDep,
    unit: UnitDep,
    page: PageDep,
    filters: UnitFiltersDep,
    max_depth: MaxDepth = None,
) -> Any:
    """The unit's subtree without the unit itself, level by level."""
    return service.list_units(
        session,
        scope=scope,
        params=page,
        filters=filters,
        root_id=unit.id,
        min_depth=1,
        max_depth=max_depth,
    )


@router.get(
    "/{unit_id:int}/ancestors",
    response_model=list[UnitPublic],
    summary="List a unit's superiors",
    responses=problem_responses(404),
)
def list_ancestors(
    session: SessionDep, scope: ScopeDep, unit: UnitDep, as_of: AsOf = None
) -> list[Any]:
    """From the root of the tree down to the unit's parent, on `as_of` (default today)."""
    return service.list_ancestors(session, scope=scope, unit=unit, as_of=as_of)


@router.get(
    "/{unit_id:int}/tree",
    response_model=UnitNode,
    summary="Get a unit's subtree, nested",
    responses=problem_responses(404, 422),
)
def get_tree(
    session: SessionDep, unit: UnitDep, validity: UnitValidityDep, max_depth: MaxDepth = None
) -> Any:
    """The unit with its `children`, recursively; a unit left out by `as_of` or
    `include_closed` hides its subtree."""
    return service.get_tree(session, unit=unit, validity=validity, max_depth=max_depth)


@router.post(
    "/{unit_id:int}/corrections",
    response_model=UnitCorrected,
    dependencies=[IDEMPOTENT],
    summary="Correct a past mistake in a unit's code, name or kind",
    responses=problem_responses(403, 404, 409),
)
def correct_unit(
    session: SessionDep, scope: ScopeDep, unit: UnitDep, correction: UnitCorrection
) -> Any:
    """The one operation that changes what earlier days answer: the version of the code, name
    and kind in force on `on` is rewritten over its whole validity (an edit, PATCH, takes effect
    from a day and leaves earlier days alone). Audited as `correct` with its reason; the answer
    gives the days whose answers changed. A wrong parent in the past is put right by a move
    effective on the day it should have taken effect (when its line has not changed since)."""
    return service.correct(session, scope=scope, unit=unit, correction=correction)
