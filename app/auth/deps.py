from typing import Annotated

from fastapi import Depends

from app.access.loaders import loader
from app.access.scope import Scope
from app.auth import service
from app.models import ApiKey, User


def _user_for_admin(scope: Scope, user_id: int) -> User:
    scope.require_admin("manage users")
    return service.get_user(scope.session, user_id=user_id)


def _key_in_scope(scope: Scope, key_id: int) -> ApiKey:
    return service.get_api_key(scope.session, scope=scope, key_id=key_id)


# Only an admin reaches a user (403 for anyone else, before the 404); a key is found among those
# the caller may see.
AdminUserDep = Annotated[User, Depends(loader("user_id", _user_for_admin))]
KeyDep = Annotated[ApiKey, Depends(loader("key_id", _key_in_scope))]
