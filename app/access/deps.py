"""The one place that resolves the caller: every protected endpoint depends on `ScopeDep`."""

from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from app.access import credentials
from app.access.scope import Principal, Scope
from app.core.db import SessionDep
from app.core.errors import UnauthorizedError
from app.core.i18n import t

oauth2_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/token",
    auto_error=False,
    description="Sign in with a username and password; the token goes in `Authorization: Bearer`.",
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="An API key for a machine client."
)


def get_principal(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
    api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    if api_key:
        principal = credentials.authenticate_api_key(session, key=api_key)
    elif token:
        principal = credentials.authenticate_token(session, token=token)
    else:
        raise UnauthorizedError(t("Sign in first: send a bearer token or an X-API-Key."))
    request.state.principal = principal.name  # for the access log
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


# Dependencies and endpoints that touch no database (this one, the filters, paging, If-Match,
# a GET that returns what its dependency loaded) are `async def`: FastAPI then runs them in the
# event loop instead of handing each to a worker thread, and validates such an endpoint's answer
# there too. Under load each hop costs more than the work itself.
async def get_scope(session: SessionDep, principal: CurrentPrincipal) -> Scope:
    return Scope(session, principal)


ScopeDep = Annotated[Scope, Depends(get_scope)]


async def if_match(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            max_length=200,
            description="The record's ETag as last read; a stale one answers 412.",
        ),
    ] = None,
) -> set[str] | None:
    """The ETags the client accepts, or None for any (no header, an empty one, or `*`)."""
    if value is None or value.strip() in {"", "*"}:
        return None
    return {tag.strip() for tag in value.split(",") if tag.strip()}


IfMatch = Annotated[set[str] | None, Depends(if_match)]
