from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.periods import PeriodQuery, days_or_period
from app.core.schemas import DateQuery, IdQuery, RootAsOfQuery
from app.disciplines import service
from app.disciplines.deps import DisciplineDep
from app.disciplines.schemas import DisciplineCreate, DisciplinePublic, DisciplineUpdate
from app.disciplines.service import DisciplineFilters
from app.idempotency import IDEMPOTENT
from app.models import Discipline, DisciplineForm

router = APIRouter(prefix="/disciplines", tags=["disciplines"])


async def discipline_filters(
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    unit_id: IdQuery = None,
    person_id: IdQuery = None,
    issued_by_id: IdQuery = None,
    form: DisciplineForm | None = None,
    decided_from: Annotated[DateQuery, Query(description="Decided on or after.")] = None,
    decided_to: Annotated[DateQuery, Query(description="Decided on or before.")] = None,
    period: Annotated[PeriodQuery, Query(description="Decided in it (replaces the days).")] = None,
) -> DisciplineFilters:
    decided_from, decided_to = days_or_period(
        period, decided_from=decided_from, decided_to=decided_to
    )
    return DisciplineFilters(
        root_id=root_id,
        as_of=as_of,
        unit_id=unit_id,
        person_id=person_id,
        issued_by_id=issued_by_id,
        form=form,
        decided_from=decided_from,
        decided_to=decided_to,
    )


@router.get("", response_model=Page[DisciplinePublic], summary="List disciplinary decisions")
def list_disciplines(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[DisciplineFilters, Depends(discipline_filters)],
) -> Any:
    """Those of the units in the caller's scope, by decision date."""
    return service.list_disciplines(session, scope=scope, params=page, filters=filters)


@router.post(
    "",
    response_model=DisciplinePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Record a disciplinary decision",
    responses=problem_responses(403, 409),
)
def create_discipline(
    session: SessionDep,
    scope: ScopeDep,
    discipline_in: DisciplineCreate,
    request: Request,
    response: Response,
) -> Discipline:
    """A decision (number, date, issuing committee) disciplining an organisation (`unit_id`)
    or a person (`person_id`, belonging to `unit_id`), with its form: for a person
    `reprimand`, `warning`, `dismissal`, `expulsion`; for an organisation `reprimand`,
    `warning`, `dissolution`. By managers of both the unit and the issuing committee. Under
    Regulation 366-QĐ/TW a subordinate organisation or a leadership member (a person holding a
    post in the unit) disciplined in a period keeps the unit from *excellent* for it."""
    discipline = service.create_discipline(session, scope=scope, discipline_in=discipline_in)
    response.headers["Location"] = str(
        request.url_for("get_discipline", discipline_id=discipline.id)
    )
    return with_etag(response, discipline)


@router.get(
    "/{discipline_id:int}",
    response_model=DisciplinePublic,
    summary="Get a disciplinary decision",
    responses=problem_responses(404),
)
async def get_discipline(discipline: DisciplineDep, response: Response) -> Discipline:
    """Only within the caller's grants over its unit (404 elsewhere)."""
    return with_etag(response, discipline)


@router.patch(
    "/{discipline_id:int}",
    response_model=DisciplinePublic,
    summary="Correct a disciplinary decision's record",
    responses=problem_responses(403, 404, 409, 412),
)
def update_discipline(
    session: SessionDep,
    scope: ScopeDep,
    discipline: DisciplineDep,
    if_match: IfMatch,
    discipline_in: DisciplineUpdate,
    response: Response,
) -> Discipline:
    """The form, number, date, issuing committee or reason; whom it disciplines stays."""
    check_if_match(discipline, if_match)
    updated = service.update_discipline(
        session, scope=scope, discipline=discipline, discipline_in=discipline_in
    )
    return with_etag(response, updated)


@router.delete(
    "/{discipline_id:int}",
    status_code=204,
    summary="Delete a disciplinary decision recorded by mistake",
    responses=problem_responses(403, 404, 412),
)
def delete_discipline(
    session: SessionDep, scope: ScopeDep, discipline: DisciplineDep, if_match: IfMatch
) -> None:
    """A record entered in error."""
    check_if_match(discipline, if_match)
    service.delete_discipline(session, scope=scope, discipline=discipline)
