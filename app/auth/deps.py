from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form

from app.access.loaders import loader
from app.access.scope import Scope
from app.auth import service
from app.core.i18n import t
from app.models import ApiKey, User


def _user_for_admin(scope: Scope, user_id: int) -> User:
    scope.require_admin(t("manage users"))
    return service.get_user(scope.session, user_id=user_id)


def _key_in_scope(scope: Scope, key_id: int) -> ApiKey:
    return service.get_api_key(scope.session, scope=scope, key_id=key_id)


# Only an admin reaches a user (403 for anyone else, before the 404); a key is found among those
# the caller may see.
AdminUserDep = Annotated[User, Depends(loader("user_id", _user_for_admin))]
KeyDep = Annotated[ApiKey, Depends(loader("key_id", _key_in_scope))]


@dataclass(frozen=True)
class SignInForm:
    username: str
    password: str


def sign_in_form(
    # No longest length: an over-long username or password is a failed sign-in (401), counted.
    username: Annotated[str, Form(min_length=1)],
    password: Annotated[str, Form(min_length=1, json_schema_extra={"format": "password"})],
    # A form carries no null: the grant type is `password` or left out.
    grant_type: Annotated[str, Form(pattern="^password$")] = "password",
    scope: Annotated[str, Form(max_length=1000)] = "",
) -> SignInForm:
    """OAuth2's password form (RFC 6749 §4.3.2) as FastAPI's `OAuth2PasswordRequestForm` reads
    it, saying in the document what FastAPI does: an empty field counts as a missing one."""
    return SignInForm(username=username, password=password)


SignInFormDep = Annotated[SignInForm, Depends(sign_in_form)]
