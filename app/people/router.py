from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import CurrentPrincipal, IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import DateQuery, IdQuery, SearchQuery
from app.idempotency import IDEMPOTENT
from app.models import AreaOfCharge, Person, Position, Post
from app.people import service
from app.people.deps import AreaDep, PersonDep, PositionDep
from app.people.schemas import (
    AreaOfChargeCreate,
    AreaOfChargePublic,
    AreaOfChargeUpdate,
    PersonCreate,
    PersonPublic,
    PersonUpdate,
    PositionCreate,
    PositionPublic,
    PositionUpdate,
)
from app.people.service import TermFilters

people = APIRouter(prefix="/people", tags=["people"])
positions = APIRouter(prefix="/positions", tags=["positions"])
areas = APIRouter(prefix="/areas-of-charge", tags=["areas of charge"])


async def term_filters(
    person_id: IdQuery = None,
    unit_id: IdQuery = None,
    as_of: Annotated[DateQuery, Query(description="Only terms running on this day.")] = None,
) -> TermFilters:
    return TermFilters(person_id=person_id, unit_id=unit_id, as_of=as_of)


TermFiltersDep = Annotated[TermFilters, Depends(term_filters)]


@people.get("", response_model=Page[PersonPublic], summary="List people")
def list_people(
    session: SessionDep, _principal: CurrentPrincipal, page: PageDep, q: SearchQuery = None
) -> Any:
    """Ordered by name; `q` searches names without accents or case."""
    return service.list_people(session, params=page, q=q)


@people.post(
    "",
    response_model=PersonPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Create a person",
)
def create_person(
    session: SessionDep,
    scope: ScopeDep,
    person_in: PersonCreate,
    request: Request,
    response: Response,
) -> Person:
    """Record a cadre; positions and areas of charge name them afterwards."""
    person = service.create_person(session, scope=scope, person_in=person_in)
    response.headers["Location"] = str(request.url_for("get_person", person_id=person.id))
    return with_etag(response, person)


@people.get(
    "/{person_id:int}",
    response_model=PersonPublic,
    summary="Get a person",
    responses=problem_responses(404),
)
async def get_person(person: PersonDep, response: Response) -> Person:
    """One person."""
    return with_etag(response, person)


@people.patch(
    "/{person_id:int}",
    response_model=PersonPublic,
    summary="Update a person",
    responses=problem_responses(404, 412),
)
def update_person(
    session: SessionDep,
    scope: ScopeDep,
    person: PersonDep,
    if_match: IfMatch,
    person_in: PersonUpdate,
    response: Response,
) -> Person:
    """Change the fields sent."""
    check_if_match(person, if_match)
    updated = service.update_person(session, scope=scope, person=person, person_in=person_in)
    return with_etag(response, updated)


@people.delete(
    "/{person_id:int}",
    status_code=204,
    summary="Delete a person",
    responses=problem_responses(404, 409, 412),
)
def delete_person(
    session: SessionDep, scope: ScopeDep, person: PersonDep, if_match: IfMatch
) -> None:
    """Allowed only while no position, area of charge or other record names the person."""
    check_if_match(person, if_match)
    service.delete_person(session, scope=scope, person=person)


@positions.get("", response_model=Page[PositionPublic], summary="List positions")
def list_positions(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: TermFiltersDep,
    post: Annotated[Post | None, Query(description="Only this post.")] = None,
) -> Any:
    """Posts held, by unit and start date; filter by person, unit, post or a day."""
    return service.list_terms(
        session, Position, scope=scope, params=page, filters=filters, post=post
    )


@positions.post(
    "",
    response_model=PositionPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Record a position",
    responses=problem_responses(409),
)
def create_position(
    session: SessionDep,
    scope: ScopeDep,
    position_in: PositionCreate,
    request: Request,
    response: Response,
) -> Position:
    """A person holds a post in a unit from `start_on` until `end_on` (exclusive). Department
    posts exist only in a department, a cell secretary only in a party cell."""
    position = service.create_term(session, Position, scope=scope, term_in=position_in)
    response.headers["Location"] = str(request.url_for("get_position", position_id=position.id))
    return with_etag(response, position)


@positions.get(
    "/{position_id:int}",
    response_model=PositionPublic,
    summary="Get a position",
    responses=problem_responses(404),
)
async def get_position(position: PositionDep, response: Response) -> Position:
    """One position with its post's Vietnamese label."""
    return with_etag(response, position)


@positions.patch(
    "/{position_id:int}",
    response_model=PositionPublic,
    summary="Update or end a position",
    responses=problem_responses(404, 409, 412),
)
def update_position(
    session: SessionDep,
    scope: ScopeDep,
    position: PositionDep,
    if_match: IfMatch,
    position_in: PositionUpdate,
    response: Response,
) -> Position:
    """Set `end_on` to end the term."""
    check_if_match(position, if_match)
    updated = service.update_term(session, scope=scope, term=position, term_in=position_in)
    return with_etag(response, updated)


@positions.delete(
    "/{position_id:int}",
    status_code=204,
    summary="Delete a position recorded by mistake",
    responses=problem_responses(404, 412),
)
def delete_position(
    session: SessionDep, scope: ScopeDep, position: PositionDep, if_match: IfMatch
) -> None:
    """Delete a position entered in error; to end a term, set its `end_on` instead."""
    check_if_match(position, if_match)
    service.delete_term(session, scope=scope, term=position)


@areas.get("", response_model=Page[AreaOfChargePublic], summary="List areas of charge")
def list_areas(session: SessionDep, scope: ScopeDep, page: PageDep, filters: TermFiltersDep) -> Any:
    """Who is personally in charge of which unit; filter by person, unit or a day."""
    return service.list_terms(session, AreaOfCharge, scope=scope, params=page, filters=filters)


@areas.post(
    "",
    response_model=AreaOfChargePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Put a committee member in charge of a unit",
    responses=problem_responses(409),
)
def create_area(
    session: SessionDep,
    scope: ScopeDep,
    area_in: AreaOfChargeCreate,
    request: Request,
    response: Response,
) -> AreaOfCharge:
    """The person personally directs the unit (phụ trách địa bàn) from `start_on` until `end_on`
    (exclusive)."""
    area = service.create_term(session, AreaOfCharge, scope=scope, term_in=area_in)
    response.headers["Location"] = str(request.url_for("get_area", area_id=area.id))
    return with_etag(response, area)


@areas.get(
    "/{area_id:int}",
    response_model=AreaOfChargePublic,
    summary="Get an area of charge",
    responses=problem_responses(404),
)
async def get_area(area: AreaDep, response: Response) -> AreaOfCharge:
    """One area of charge."""
    return with_etag(response, area)


@areas.patch(
    "/{area_id:int}",
    response_model=AreaOfChargePublic,
    summary="Update or end an area of charge",
    responses=problem_responses(404, 409, 412),
)
def update_area(
    session: SessionDep,
    scope: ScopeDep,
    area: AreaDep,
    if_match: IfMatch,
    area_in: AreaOfChargeUpdate,
    response: Response,
) -> AreaOfCharge:
    """Set `end_on` to end the charge; change the dates or the note."""
    check_if_match(area, if_match)
    return with_etag(
        response, service.update_term(session, scope=scope, term=area, term_in=area_in)
    )


@areas.delete(
    "/{area_id:int}",
    status_code=204,
    summary="Delete an area of charge recorded by mistake",
    responses=problem_responses(404, 412),
)
def delete_area(session: SessionDep, scope: ScopeDep, area: AreaDep, if_match: IfMatch) -> None:
    """Delete an area of charge entered in error; to end it, set its `end_on` instead."""
    check_if_match(area, if_match)
    service.delete_term(session, scope=scope, term=area)


router = APIRouter()
router.include_router(people)
router.include_router(positions)
router.include_router(areas)
