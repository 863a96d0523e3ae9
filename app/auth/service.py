"""Sign-in, credentials, users with their grants, and API keys."""

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Mapped
from sqlmodel import Session, col

from app.access.credentials import refuse_demo_account
from app.access.scope import WRITE_ROLES, Scope
from app.audit.service import record_event, snapshot
from app.auth.schemas import ApiKeyCreate, GrantIn, PasswordChange, Token, UserCreate, UserUpdate
from app.core.config import Environment, settings
from app.core.errors import (
    ConflictError,
    ForbiddenError,
    InvalidReferenceError,
    InvalidValueError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)
from app.core.i18n import joined, t
from app.core.pagination import PageParams, paginate
from app.core.security import (
    DUMMY_PASSWORD_HASH,
    create_access_token,
    hash_password,
    new_api_key,
    verify_password,
)
from app.models import (
    USERNAME_MAX_LENGTH,
    ApiKey,
    Grant,
    Role,
    SignInFailure,
    Unit,
    User,
    utcnow,
)
from app.models.base import utcnow_to_the_second

logger = logging.getLogger(__name__)


def _reopens_at(
    session: Session,
    *,
    counted: Mapped[str],
    value: str,
    limit: int,
    window_start: datetime,
    attempt_id: int,
) -> datetime | None:
    """When sign-in reopens if `limit` earlier failures of this username or address are in the
    window (the oldest of the latest `limit` leaves it then); None if it is open."""
    latest: list[datetime] = list(
        session.execute(
            select(col(SignInFailure.at))
            .where(
                counted == value,
                col(SignInFailure.at) > window_start,
                col(SignInFailure.id) != attempt_id,
            )
            .order_by(col(SignInFailure.at).desc())
            .limit(limit)
        ).scalars()
    )
    if len(latest) < limit:
        return None
    return latest[-1] + timedelta(seconds=settings.sign_in_window_seconds)


def _lockout(
    session: Session, *, attempt: SignInFailure, window_start: datetime
) -> TooManyRequestsError | None:
    assert attempt.id is not None
    reopens = {
        t("from this address"): _reopens_at(
            session,
            counted=col(SignInFailure.client),
            value=attempt.client,
            limit=settings.sign_in_max_failures_per_address,
            window_start=window_start,
            attempt_id=attempt.id,
        ),
        t("for this username"): _reopens_at(
            session,
            counted=col(SignInFailure.username),
            value=attempt.username,
            limit=settings.sign_in_max_failures_per_username,
            window_start=window_start,
            attempt_id=attempt.id,
        ),
    }
    locks = {reason: at for reason, at in reopens.items() if at is not None}
    if not locks:
        return None
    wait = max(locks.values()) - utcnow()  # until every lock has reopened
    return TooManyRequestsError(
        t("Too many failed sign-ins {locks}; wait and retry.", locks=joined(list(locks))),
        retry_after=max(1, int(wait.total_seconds()) + 1),
    )


def _record_attempt(session: Session, *, username: str, client: str) -> int:
    """Count a sign-in attempt as a failure until its password proves right; raises 429 instead
    if this username or address already failed too often. Either way before argon2 runs (a tenth
    of a second), with concurrent attempts held off until this one is counted: when failures
    were counted after the check, 24 of 30 simultaneous guesses got through a limit of 5."""
    window_start = utcnow() - timedelta(seconds=settings.sign_in_window_seconds)
    if session.get_bind().dialect.name == "postgresql":
        # Conflicts with itself only (and with the inserts and deletes of other sign-ins), for
        # the few milliseconds until the commit below.
        session.execute(
            sa.text(f"LOCK TABLE {SignInFailure.__tablename__} IN SHARE ROW EXCLUSIVE MODE")
        )
    attempt = SignInFailure(username=username, client=client)
    session.add(attempt)
    session.flush()  # on SQLite this write takes the database's one writer lock
    locked = _lockout(session, attempt=attempt, window_start=window_start)
    if locked is not None:
        session.rollback()  # a refused attempt is not counted: the lock does not extend itself
        raise locked
    session.execute(delete(SignInFailure).where(col(SignInFailure.at) < window_start))
    assert attempt.id is not None
    attempt_id = attempt.id
    session.commit()
    return attempt_id


def sign_in(session: Session, *, username: str, password: str, client: str) -> Token:
    """A token for the right password, unless too many sign-ins failed lately for this username
    (from any address) or from this address (for any username): then 429, decided before the
    password is looked at, so a locked-out guess learns nothing."""
    if len(username) > USERNAME_MAX_LENGTH:  # no such account can exist; nothing to count
        raise UnauthorizedError(t("Wrong username or password, or the account is disabled."))
    attempt_id = _record_attempt(session, username=username, client=client)
    user = session.execute(select(User).where(col(User.username) == username)).scalars().first()
    valid = verify_password(password, user.password_hash if user else DUMMY_PASSWORD_HASH)
    if user is None or not valid or not user.is_active:
        raise UnauthorizedError(t("Wrong username or password, or the account is disabled."))
    if user.is_demo:
        refuse_demo_account(user.username, what=t("This is"))
    session.execute(delete(SignInFailure).where(col(SignInFailure.id) == attempt_id))
    session.commit()
    assert user.id is not None
    token, lifetime = create_access_token(user.id)
    return Token(access_token=token, expires_in=lifetime)


def demo_usernames(session: Session) -> list[str]:
    """The demo accounts in the database (made by the development seed), by username."""
    return list(
        session.execute(
            select(col(User.username)).where(col(User.is_demo)).order_by(col(User.username))
        ).scalars()
    )


def warn_about_demo_accounts(session: Session) -> list[str]:
    """Log a warning naming the demo accounts if they are refused here (outside development), so
    that whoever starts the service learns why `admin` cannot sign in; returns their names."""
    names = demo_usernames(session) if settings.env != Environment.development else []
    if names:
        logger.warning(
            "CAMKET_ENV=%s: demo accounts %s are refused (sign-in, tokens and their API "
            "keys); create real accounts with `camket create-user`, then disable these.",
            settings.env.value,
            ", ".join(names),
        )
    return names


# --- users -----------------------------------------------------------------------------------


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(t("User {user_id} does not exist.", user_id=user_id))
    return user


def user_public(session: Session, user: User) -> dict[str, Any]:
    grants = session.execute(
        select(Grant).where(col(Grant.user_id) == user.id).order_by(col(Grant.id))
    ).scalars()
    return {**user.model_dump(), "grants": [g.model_dump() for g in grants]}


def list_users(session: Session, *, scope: Scope, params: PageParams) -> dict[str, Any]:
    scope.require_admin(t("list users"))
    page = paginate(session, select(User).order_by(col(User.username)), params)
    page["items"] = [user_public(session, user) for user in page["items"]]
    return page


def _check_grant_unit(session: Session, grant: GrantIn, field: str) -> None:
    if grant.unit_id is not None and session.get(Unit, grant.unit_id) is None:
        raise InvalidReferenceError(
            field, t("Unit {unit_id} does not exist.", unit_id=grant.unit_id)
        )


def create_user(
    session: Session, *, scope: Scope, user_in: UserCreate, is_demo: bool = False
) -> User:
    """`is_demo` only from the development seed: no client can make a demo account."""
    scope.require_admin(t("create users"))
    if session.execute(select(col(User.id)).where(col(User.username) == user_in.username)).first():
        raise ConflictError(t("The username {username!r} is taken.", username=user_in.username))
    for grant in user_in.grants:
        _check_grant_unit(session, grant, "grants")
    user = User.model_validate(
        user_in,
        update={
            "password_hash": hash_password(user_in.password),
            "tokens_valid_from": utcnow_to_the_second(),
            "is_demo": is_demo,
        },
    )
    session.add(user)
    record_event(session, scope=scope, action="create", entity=user, before=None, unit_id=None)
    for role, unit_id in {(g.role, g.unit_id) for g in user_in.grants}:
        new_grant = Grant(user_id=user.id, role=role, unit_id=unit_id)  # type: ignore[arg-type]
        session.add(new_grant)
        record_event(
            session, scope=scope, action="create", entity=new_grant, before=None, unit_id=unit_id
        )
    session.commit()
    return user


def _keep_an_admin(session: Session, *, without_user_id: int | None) -> None:
    """Refuse a change that would leave no active user holding an admin grant."""
    others = session.execute(
        select(func.count())
        .select_from(Grant)
        .join(User, col(User.id) == col(Grant.user_id))
        .where(
            col(Grant.role) == Role.admin,
            col(User.is_active),
            col(User.id) != without_user_id,
        )
    ).scalar_one()
    if others == 0:
        raise ConflictError(
            t("No other active admin would be left: make someone else admin first.")
        )


def update_user(session: Session, *, scope: Scope, user: User, user_in: UserUpdate) -> User:
    scope.require_admin(t("change users"))
    before = snapshot(user)
    changes = user_in.model_dump(exclude_unset=True)
    if changes.get("is_active") is False and user.is_active:
        holds_admin = session.execute(
            select(col(Grant.id)).where(
                col(Grant.user_id) == user.id, col(Grant.role) == Role.admin
            )
        ).first()
        if holds_admin:
            _keep_an_admin(session, without_user_id=user.id)
    password = changes.pop("password", None)
    if password is not None:
        changes["password_hash"] = hash_password(password)
    if password is not None or changes.get("is_active") is False:
        changes["tokens_valid_from"] = utcnow_to_the_second()
    if user.apply(changes):
        record_event(
            session, scope=scope, action="update", entity=user, before=before, unit_id=None
        )
    session.commit()
    return user


def change_own_password(
    session: Session, *, scope: Scope, user: User, change: PasswordChange
) -> None:
    if not verify_password(change.current_password, user.password_hash):
        raise InvalidValueError("current_password", t("The current password is wrong."))
    before = snapshot(user)
    user.apply(
        {
            "password_hash": hash_password(change.new_password),
            "tokens_valid_from": utcnow_to_the_second(),
        }
    )
    record_event(
        session, scope=scope, action="change_password", entity=user, before=before, unit_id=None
    )
    session.commit()


def add_grant(session: Session, *, scope: Scope, user: User, grant_in: GrantIn) -> Grant:
    scope.require_admin(t("grant roles"))
    _check_grant_unit(session, grant_in, "unit_id")
    exists = session.execute(
        select(col(Grant.id)).where(
            col(Grant.user_id) == user.id,
            col(Grant.role) == grant_in.role,
            col(Grant.unit_id).is_(None)
            if grant_in.unit_id is None
            else col(Grant.unit_id) == grant_in.unit_id,
        )
    ).first()
    if exists:
        raise ConflictError(t("The user already holds this grant."))
    grant = Grant(user_id=user.id, role=grant_in.role, unit_id=grant_in.unit_id)  # type: ignore[arg-type]
    session.add(grant)
    record_event(
        session, scope=scope, action="create", entity=grant, before=None, unit_id=grant.unit_id
    )
    session.commit()
    return grant


def get_grant(session: Session, *, user: User, grant_id: int) -> Grant:
    grant = session.get(Grant, grant_id)
    if grant is None or grant.user_id != user.id:
        raise NotFoundError(t("User {id} has no grant {grant_id}.", id=user.id, grant_id=grant_id))
    return grant


def remove_grant(session: Session, *, scope: Scope, grant: Grant) -> None:
    scope.require_admin(t("withdraw roles"))
    if grant.role == Role.admin:
        _keep_an_admin(session, without_user_id=grant.user_id)
    before = snapshot(grant)
    session.delete(grant)
    record_event(
        session, scope=scope, action="delete", entity=grant, before=before, unit_id=grant.unit_id
    )
    session.commit()


# --- API keys --------------------------------------------------------------------------------


def _keys_in_scope(scope: Scope) -> Any:
    if scope.principal.is_admin:
        return select(ApiKey)
    return select(ApiKey).where(col(ApiKey.unit_id).in_(scope.units(WRITE_ROLES)))


def list_api_keys(session: Session, *, scope: Scope, params: PageParams) -> dict[str, Any]:
    scope.require_role(t("list API keys"))
    return paginate(session, _keys_in_scope(scope).order_by(col(ApiKey.id)), params)


def get_api_key(session: Session, *, scope: Scope, key_id: int) -> ApiKey:
    key = session.execute(_keys_in_scope(scope).where(col(ApiKey.id) == key_id)).scalars().first()
    if key is None:
        raise NotFoundError(t("API key {key_id} does not exist.", key_id=key_id))
    assert isinstance(key, ApiKey)
    return key


def create_api_key(session: Session, *, scope: Scope, key_in: ApiKeyCreate) -> tuple[ApiKey, str]:
    """A new key holding one grant inside the creator's own scope; returns it with its secret."""
    if scope.principal.user_id is None:
        raise ForbiddenError(t("API keys are created by users, not by other keys."))
    # Scope first: checking the unit first would tell whether an unseen unit exists.
    if key_in.role == Role.admin:
        scope.require_admin(t("create an admin key"))
    else:
        scope.require_write(key_in.unit_id, t("create a key for this unit"))
    _check_grant_unit(session, key_in, "unit_id")
    full_key, prefix, secret_hash = new_api_key()
    key = ApiKey(
        name=key_in.name,
        role=key_in.role,
        unit_id=key_in.unit_id,
        prefix=prefix,
        secret_hash=secret_hash,
        created_by_id=scope.principal.user_id,
    )
    session.add(key)
    record_event(
        session, scope=scope, action="create", entity=key, before=None, unit_id=key.unit_id
    )
    session.commit()
    return key, full_key


def revoke_api_key(session: Session, *, scope: Scope, key: ApiKey) -> ApiKey:
    if key.role == Role.admin:
        scope.require_admin(t("revoke an admin key"))
    else:
        scope.require_write(key.unit_id, t("revoke this key"))
    if key.revoked_at is not None:
        raise ConflictError(
            t(
                "API key {id} was already revoked on {revoked_at:%Y-%m-%d}.",
                id=key.id,
                revoked_at=key.revoked_at,
            )
        )
    before = snapshot(key)
    key.apply({"revoked_at": datetime.now(UTC)})
    record_event(
        session, scope=scope, action="revoke", entity=key, before=before, unit_id=key.unit_id
    )
    session.commit()
    return key
