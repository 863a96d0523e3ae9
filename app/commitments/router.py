from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from app.access.deps import IfMatch, ScopeDep
from app.commitments import service
from app.commitments.deps import CommitmentDep
from app.commitments.schemas import (
    CommitmentCreate,
    CommitmentEventPublic,
    CommitmentPublic,
    CommitmentUpdate,
    ProgressUpdateCreate,
    ProgressUpdatePublic,
    TransitionIn,
    WorkflowTransition,
)
from app.commitments.service import CommitmentFilters, CommitmentSort
from app.commitments.workflow import TRANSITIONS, describe
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.periods import PeriodFilter
from app.core.schemas import IdQuery, RootAsOfQuery, SearchQuery
from app.idempotency import IDEMPOTENT
from app.models import (
    Commitment,
    CommitmentCategory,
    CommitmentEvent,
    CommitmentKind,
    CommitmentStatus,
    ProgressUpdate,
)

router = APIRouter(prefix="/commitments", tags=["commitments"])


async def commitment_filters(
    period: PeriodFilter,
    root_id: IdQuery = None,
    as_of: RootAsOfQuery = None,
    registered_with_id: IdQuery = None,
    status: CommitmentStatus | None = None,
    kind: CommitmentKind | None = None,
    category: CommitmentCategory | None = None,
    directive_id: IdQuery = None,
    directing_person_id: IdQuery = None,
    responsible_person_id: IdQuery = None,
    overdue: Annotated[
        bool | None, Query(description="Deadline passed and not finished (or the opposite).")
    ] = None,
    q: SearchQuery = None,
    sort: CommitmentSort = CommitmentSort.updated_at,
    descending: bool = False,
) -> CommitmentFilters:
    return CommitmentFilters(
        root_id=root_id,
        as_of=as_of,
        registered_with_id=registered_with_id,
        period=period,
        status=status,
        kind=kind,
        category=category,
        directive_id=directive_id,
        directing_person_id=directing_person_id,
        responsible_person_id=responsible_person_id,
        overdue=overdue,
        q=q,
        sort=sort,
        descending=descending,
    )


@router.get("/workflow", response_model=list[WorkflowTransition], summary="The workflow, as data")
def workflow() -> list[WorkflowTransition]:
    """Every action, the statuses it applies to, the status it leads to, whose managers take it
    and what it requires; clients draw their buttons from this."""
    return [
        WorkflowTransition(
            action=t.action,
            action_label=t.action.label,
            from_statuses=list(t.sources),
            to_status=t.target,
            taken_by=t.side,
            requires=list(t.requires),
        )
        for t in TRANSITIONS.values()
    ]


@router.get("", response_model=Page[CommitmentPublic], summary="List commitments")
def list_commitments(
    session: SessionDep,
    scope: ScopeDep,
    page: PageDep,
    filters: Annotated[CommitmentFilters, Depends(commitment_filters)],
) -> Any:
    """Commitments of the units in the caller's scope. `root_id` keeps a unit's subtree; `q`
    searches titles and descriptions without accents; `sort` with `descending` orders them."""
    return service.list_commitments(session, scope=scope, params=page, filters=filters)


@router.post(
    "",
    response_model=CommitmentPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Draft a commitment",
    responses=problem_responses(403, 409),
)
def create_commitment(
    session: SessionDep,
    scope: ScopeDep,
    commitment_in: CommitmentCreate,
    request: Request,
    response: Response,
) -> Commitment:
    """A unit's difficult task or pressing issue for a year, as a draft. `registered_with_id`
    must be a unit above it; the directing person must be in charge of the unit, or hold a post
    in that superior committee, during the year (409 otherwise)."""
    commitment = service.create_commitment(session, scope=scope, commitment_in=commitment_in)
    response.headers["Location"] = str(
        request.url_for("get_commitment", commitment_id=commitment.id)
    )
    return with_etag(response, commitment)


@router.get(
    "/{commitment_id:int}",
    response_model=CommitmentPublic,
    summary="Get a commitment",
    responses=problem_responses(404),
)
async def get_commitment(commitment: CommitmentDep, response: Response) -> Commitment:
    """With its status, progress and labels."""
    return with_etag(response, commitment)


@router.patch(
    "/{commitment_id:int}",
    response_model=CommitmentPublic,
    summary="Edit a draft commitment",
    responses=problem_responses(403, 404, 409, 412),
)
def update_commitment(
    session: SessionDep,
    scope: ScopeDep,
    commitment: CommitmentDep,
    if_match: IfMatch,
    commitment_in: CommitmentUpdate,
    response: Response,
) -> Commitment:
    """Only drafts change; once registered, the workflow moves the commitment."""
    check_if_match(commitment, if_match)
    updated = service.update_commitment(
        session, scope=scope, commitment=commitment, commitment_in=commitment_in
    )
    return with_etag(response, updated)


@router.post(
    "/{commitment_id:int}/transitions",
    response_model=CommitmentPublic,
    dependencies=[IDEMPOTENT],
    summary="Move a commitment through its workflow",
    description="Illegal transitions answer 409 naming the allowed ones.\n\n" + describe(),
    responses=problem_responses(403, 404, 409, 412),
)
def transition(
    session: SessionDep,
    scope: ScopeDep,
    commitment: CommitmentDep,
    if_match: IfMatch,
    transition_in: TransitionIn,
    response: Response,
) -> Commitment:
    check_if_match(commitment, if_match)
    moved = service.transition(
        session, scope=scope, commitment=commitment, transition_in=transition_in
    )
    return with_etag(response, moved)


@router.get(
    "/{commitment_id:int}/history",
    response_model=list[CommitmentEventPublic],
    summary="A commitment's transitions",
    responses=problem_responses(404),
)
def history(session: SessionDep, commitment: CommitmentDep) -> list[CommitmentEvent]:
    """Oldest first, with who took each action and the note."""
    return service.list_history(session, commitment=commitment)


@router.get(
    "/{commitment_id:int}/progress-updates",
    response_model=list[ProgressUpdatePublic],
    summary="A commitment's progress timeline",
    responses=problem_responses(404),
)
def list_progress(session: SessionDep, commitment: CommitmentDep) -> list[ProgressUpdate]:
    """Oldest first by report date."""
    return service.list_progress(session, commitment=commitment)


@router.post(
    "/{commitment_id:int}/progress-updates",
    response_model=ProgressUpdatePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Report progress",
    responses=problem_responses(403, 404, 409, 412),
)
def add_progress(
    session: SessionDep,
    scope: ScopeDep,
    commitment: CommitmentDep,
    if_match: IfMatch,
    update_in: ProgressUpdateCreate,
) -> ProgressUpdate:
    """Append-only. Only on accepted or running commitments; managers and reporters of the unit.
    The latest report (by date) sets the commitment's progress."""
    check_if_match(commitment, if_match)
    return service.add_progress(session, scope=scope, commitment=commitment, update_in=update_in)
