from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.access.deps import CurrentPrincipal, IfMatch, ScopeDep
from app.auth import service
from app.auth.deps import AdminUserDep, KeyDep, SignInFormDep
from app.auth.schemas import (
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyPublic,
    GrantIn,
    GrantPublic,
    PasswordChange,
    Token,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from app.core.db import SessionDep
from app.core.errors import ForbiddenError, problem_responses
from app.core.etag import check_if_match, with_etag
from app.core.i18n import t
from app.core.pagination import Page, PageDep
from app.core.schemas import IdPath
from app.idempotency import IDEMPOTENT
from app.models import ApiKey, Grant, Role

auth = APIRouter(prefix="/auth", tags=["auth"])
users = APIRouter(prefix="/users", tags=["users"], responses=problem_responses(401, 403))
keys = APIRouter(prefix="/api-keys", tags=["api keys"], responses=problem_responses(401, 403))


class GrantSummary(BaseModel):
    role: Role
    role_label: str
    unit_id: int | None


class Me(BaseModel):
    name: str
    user_id: int | None
    api_key_id: int | None
    grants: list[GrantSummary]


@auth.post(
    "/token",
    response_model=Token,
    summary="Sign in",
    responses=problem_responses(401, 403, 429),
)
def sign_in(request: Request, session: SessionDep, form: SignInFormDep) -> Token:
    """OAuth2 password flow: a form with `username` and `password` gives a bearer token. After
    several failures for one username (from any address), or from one address (for any
    username), answers 429 with `Retry-After`, whatever the password. Demo accounts answer 403
    outside development."""
    # The peer uvicorn resolved: X-Forwarded-For counts only from CAMKET_FORWARDED_ALLOW_IPS.
    client = (request.client.host if request.client else "unknown")[:64]
    return service.sign_in(session, username=form.username, password=form.password, client=client)


@auth.get("/me", response_model=Me, summary="Who am I", responses=problem_responses(401))
def me(principal: CurrentPrincipal) -> Me:
    """The signed-in user or API key, with its grants."""
    return Me(
        name=principal.name,
        user_id=principal.user_id,
        api_key_id=principal.api_key_id,
        grants=[
            GrantSummary(role=role, role_label=role.label, unit_id=unit)
            for role, unit in principal.grants
        ],
    )


@auth.post(
    "/password",
    status_code=204,
    summary="Change my password",
    responses=problem_responses(401, 403),
)
def change_password(session: SessionDep, scope: ScopeDep, change: PasswordChange) -> None:
    """Needs the current password. Every token issued before the change stops working."""
    if scope.principal.user_id is None:
        raise ForbiddenError(t("An API key has no password."))
    user = service.get_user(session, user_id=scope.principal.user_id)
    service.change_own_password(session, scope=scope, user=user, change=change)


@users.get("", response_model=Page[UserPublic], summary="List users")
def list_users(session: SessionDep, scope: ScopeDep, page: PageDep) -> Any:
    """Admins only. Ordered by username."""
    return service.list_users(session, scope=scope, params=page)


@users.post(
    "",
    response_model=UserPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Create a user",
    responses=problem_responses(409),
)
def create_user(
    session: SessionDep, scope: ScopeDep, user_in: UserCreate, request: Request, response: Response
) -> Any:
    """Admins only. The password is stored as an argon2 hash; grants may be given at once."""
    user = service.create_user(session, scope=scope, user_in=user_in)
    response.headers["Location"] = str(request.url_for("get_user", user_id=user.id))
    return service.user_public(session, with_etag(response, user))


@users.get(
    "/{user_id:int}",
    response_model=UserPublic,
    summary="Get a user",
    responses=problem_responses(404),
)
def get_user(session: SessionDep, user: AdminUserDep, response: Response) -> Any:
    """Admins only. With the user's grants."""
    return service.user_public(session, with_etag(response, user))


@users.patch(
    "/{user_id:int}",
    response_model=UserPublic,
    summary="Update, disable or reset the password of a user",
    responses=problem_responses(404, 409, 412),
)
def update_user(
    session: SessionDep,
    scope: ScopeDep,
    user: AdminUserDep,
    if_match: IfMatch,
    user_in: UserUpdate,
    response: Response,
) -> Any:
    """Admins only. Disabling a user or setting a new password revokes their tokens."""
    check_if_match(user, if_match)
    user = service.update_user(session, scope=scope, user=user, user_in=user_in)
    return service.user_public(session, with_etag(response, user))


@users.post(
    "/{user_id:int}/grants",
    response_model=GrantPublic,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Grant a role",
    responses=problem_responses(404, 409, 412),
)
def add_grant(
    session: SessionDep, scope: ScopeDep, user: AdminUserDep, if_match: IfMatch, grant_in: GrantIn
) -> Grant:
    """Admins only. A role on a unit's subtree, or `admin` on everything."""
    check_if_match(user, if_match)
    return service.add_grant(session, scope=scope, user=user, grant_in=grant_in)


@users.delete(
    "/{user_id:int}/grants/{grant_id:int}",
    status_code=204,
    summary="Withdraw a role",
    responses=problem_responses(404, 409, 412),
)
def remove_grant(
    session: SessionDep, scope: ScopeDep, user: AdminUserDep, if_match: IfMatch, grant_id: IdPath
) -> None:
    """Admins only. The last admin grant cannot be withdrawn."""
    check_if_match(user, if_match)
    grant = service.get_grant(session, user=user, grant_id=grant_id)
    service.remove_grant(session, scope=scope, grant=grant)


@keys.get("", response_model=Page[ApiKeyPublic], summary="List API keys")
def list_keys(session: SessionDep, scope: ScopeDep, page: PageDep) -> Any:
    """Admins see every key; managers the keys for units they manage. Secrets are never shown."""
    return service.list_api_keys(session, scope=scope, params=page)


@keys.post(
    "",
    response_model=ApiKeyCreated,
    status_code=201,
    dependencies=[IDEMPOTENT],
    summary="Create an API key",
    responses=problem_responses(409),
)
def create_key(
    session: SessionDep, scope: ScopeDep, key_in: ApiKeyCreate, request: Request, response: Response
) -> Any:
    """For a machine client: one grant, within the creator's own scope (a manager may create keys
    for the units it manages). The key is in this answer only; store it now."""
    key, secret = service.create_api_key(session, scope=scope, key_in=key_in)
    response.headers["Location"] = str(request.url_for("get_key", key_id=key.id))
    return {**with_etag(response, key).model_dump(), "key": secret}


@keys.get(
    "/{key_id:int}",
    response_model=ApiKeyPublic,
    summary="Get an API key",
    responses=problem_responses(404),
)
async def get_key(key: KeyDep, response: Response) -> ApiKey:
    """Its grant, creator and last use; never its secret."""
    return with_etag(response, key)


@keys.post(
    "/{key_id:int}/revoke",
    response_model=ApiKeyPublic,
    dependencies=[IDEMPOTENT],
    summary="Revoke an API key",
    responses=problem_responses(404, 409, 412),
)
def revoke_key(
    session: SessionDep, scope: ScopeDep, key: KeyDep, if_match: IfMatch, response: Response
) -> ApiKey:
    """The key stops working at once; it stays listed, with its revocation time."""
    check_if_match(key, if_match)
    return with_etag(response, service.revoke_api_key(session, scope=scope, key=key))


router = APIRouter()
router.include_router(auth)
router.include_router(users)
router.include_router(keys)
