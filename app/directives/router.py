from typing import Any

from fastapi import APIRouter, Request, Response

from app.access.deps import CurrentPrincipal, IfMatch, ScopeDep
from app.core.db import SessionDep
from app.core.errors import problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.pagination import Page, PageDep
from app.core.schemas import SearchQuery
from app.directives import service
from app.directives.deps import DirectiveDep
from app.directives.schemas import DirectiveCreate, DirectivePublic, DirectiveUpdate
from app.idempotency import IDEMPOTENT
from app.models import Directive

router = APIRouter(prefix="/directives", tags=["directives"])


@router.get("", response_model=Page[DirectivePublic], summary="List directives")
def list_directives(
    session: SessionDep, _principal: CurrentPrincipal, page: PageDep, q: SearchQuery = None
) -> Any:
    """Newest first. `q` searches codes and titles without accents or case."""
    return service.list_directives(session, params=page, q=q)


@router.post(
    "",
    response_model=DirectivePublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Create a directive",
    responses=problem_responses(403, 409),
)
def create_directive(
    session: SessionDep,
    scope: ScopeDep,
    directive_in: DirectiveCreate,
    request: Request,
    response: Response,
) -> Directive:
    """Admins only. `code` (e.g. `05-CT/TW`) is unique."""
    directive = service.create_directive(session, scope=scope, directive_in=directive_in)
    response.headers["Location"] = str(request.url_for("get_directive", directive_id=directive.id))
    return with_etag(response, directive)


@router.get(
    "/{directive_id:int}",
    response_model=DirectivePublic,
    summary="Get a directive",
    responses=problem_responses(404),
)
async def get_directive(directive: DirectiveDep, response: Response) -> Directive:
    """One directive with its mottos."""
    return with_etag(response, directive)


@router.patch(
    "/{directive_id:int}",
    response_model=DirectivePublic,
    summary="Update a directive",
    responses=problem_responses(403, 404, 409, 412),
)
def update_directive(
    session: SessionDep,
    scope: ScopeDep,
    directive: DirectiveDep,
    if_match: IfMatch,
    directive_in: DirectiveUpdate,
    response: Response,
) -> Directive:
    """Admins only. Change the fields sent."""
    check_if_match(directive, if_match)
    updated = service.update_directive(
        session, scope=scope, directive=directive, directive_in=directive_in
    )
    return with_etag(response, updated)


@router.delete(
    "/{directive_id:int}",
    status_code=204,
    summary="Delete a directive",
    responses=problem_responses(403, 404, 409, 412),
)
def delete_directive(
    session: SessionDep, scope: ScopeDep, directive: DirectiveDep, if_match: IfMatch
) -> None:
    """Admins only; allowed only while no commitment or report refers to the directive (409
    otherwise)."""
    check_if_match(directive, if_match)
    service.delete_directive(session, scope=scope, directive=directive)
