from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response

from app.access.deps import ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.pagination import Page, PageDep
from app.core.schemas import IdPath, IdQuery
from app.idempotency import IDEMPOTENT
from app.reorganisations import service
from app.reorganisations.schemas import Lineage, ReorganisationCreate, ReorganisationPublic
from app.units.deps import UnitDep

router = APIRouter(prefix="/reorganisations", tags=["reorganisations"])
lineage = APIRouter(prefix="/units", tags=["units"])


@router.post(
    "",
    response_model=ReorganisationPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Record a reorganisation",
    responses={
        200: {
            "model": ReorganisationPublic,
            "description": "A dry run: the plan; nothing written.",
        },
        **problem_responses(403, 409),
    },
)
def create_reorganisation(
    session: SessionDep,
    scope: ScopeDep,
    body: ReorganisationCreate,
    request: Request,
    response: Response,
    dry_run: Annotated[
        bool, Query(description="Answer the plan (and every conflict) and write nothing.")
    ] = False,
) -> Any:
    """One atomic, audited event effective on a day (today or earlier), with its legal basis:
    establish, merge, split, move, rename and dissolve units. Units are never deleted: closed
    ones keep their history and hang under the unit that carries it on; their open units below
    move as the event says, unfinished commitments pass to the successor (`carried_to_id`),
    targets of the event's year on are carried or dropped, posts and areas of charge end.
    Every day before the event keeps its answers.

    Every rule an operation breaks answers 409 or 422 naming the operation's index, and
    nothing is written; `dry_run=true` answers 200 with the whole plan and every conflict."""
    answer = service.reorganise(session, scope=scope, body=body, dry_run=dry_run)
    if dry_run:
        response.status_code = 200
    else:
        response.headers["Location"] = str(
            request.url_for("get_reorganisation", reorganisation_id=answer["id"])
        )
    return answer


@router.get("", response_model=Page[ReorganisationPublic], summary="List reorganisations")
def list_reorganisations(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    unit_id: Annotated[IdQuery, Query(description="Only those that linked this unit.")] = None,
) -> Any:
    """Latest effective day first; those that linked a unit of the caller's scope."""
    return service.list_reorganisations(session, scope=scope, params=page, unit_id=unit_id)


@router.get(
    "/{reorganisation_id:int}",
    response_model=ReorganisationPublic,
    summary="Get a reorganisation",
    responses=problem_responses(404),
)
def get_reorganisation(session: SessionDep, scope: ScopeDep, reorganisation_id: IdPath) -> Any:
    """The event as submitted, with the plan it came to."""
    return service.get_reorganisation(session, scope=scope, reorganisation_id=reorganisation_id)


@lineage.get(
    "/{unit_id:int}/lineage",
    response_model=Lineage,
    summary="Get a unit's predecessors and successors",
    responses=problem_responses(404),
)
def get_lineage(session: SessionDep, unit: UnitDep) -> Any:
    """The units this one carries on from, and those that carry on from it, with the day, the
    kind of link (merged, split, established, dissolved) and the event with its legal basis. A
    closed unit stays readable by its id and points at its successors here."""
    return service.lineage(session, unit=unit)
