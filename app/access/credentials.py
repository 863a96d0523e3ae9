"""Credentials a request carries: a bearer token or an API key, resolved to a principal."""

from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy import select
from sqlmodel import Session, col

from app.access.scope import Principal
from app.core.config import Environment, settings
from app.core.errors import ForbiddenError, UnauthorizedError
from app.core.i18n import Msg, t
from app.core.security import decode_access_token, hash_api_secret, same_hash, split_api_key
from app.models import ApiKey, Grant, User, utcnow

# API keys record their last use at most this often, so that reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class DemoAccountError(ForbiddenError):
    type = "/problems/demo-account"


def refuse_demo_account(username: str, *, what: Msg) -> None:
    """Demo accounts have public passwords (README): they, their tokens and the API keys they
    created work only in development, so a database seeded there is safe to run in production."""
    if settings.env != Environment.development:
        raise DemoAccountError(
            t(
                "{what} the demo account {username!r}: demo accounts have public passwords and "
                "work only when CAMKET_ENV=development, not {env}. Use a real account (`camket "
                "create-user`).",
                what=what,
                username=username,
                env=settings.env,
            )
        )


# Every request runs this: the user and its grants in one statement of plain columns, built once.
_USER_AND_GRANTS = (
    select(
        col(User.username),
        col(User.is_active),
        col(User.tokens_valid_from),
        col(User.is_demo),
        col(Grant.role),
        col(Grant.unit_id),
    )
    .outerjoin(Grant, col(Grant.user_id) == col(User.id))
    .where(col(User.id) == sa.bindparam("user_id"))
    .order_by(col(Grant.id))
)


def authenticate_token(session: Session, *, token: str) -> Principal:
    claims = decode_access_token(token)
    rows = session.execute(_USER_AND_GRANTS, {"user_id": claims.user_id}).all() if claims else []
    if claims is None or not rows or not rows[0].is_active:
        raise UnauthorizedError(t("The token is invalid or expired, or the account is disabled."))
    if claims.issued_at < rows[0].tokens_valid_from:
        raise UnauthorizedError(t("The token was revoked (password changed); sign in again."))
    if rows[0].is_demo:
        refuse_demo_account(rows[0].username, what=t("The token belongs to"))
    grants = tuple((row.role, row.unit_id) for row in rows if row.role is not None)
    return Principal(name=rows[0].username, grants=grants, user_id=claims.user_id)


def authenticate_api_key(session: Session, *, key: str) -> Principal:
    parts = split_api_key(key)
    api_key = (
        session.execute(select(ApiKey).where(col(ApiKey.prefix) == parts[0])).scalars().first()
        if parts
        else None
    )
    if (
        parts is None
        or api_key is None
        or not same_hash(api_key.secret_hash, hash_api_secret(parts[1]))
        or api_key.revoked_at is not None
    ):
        raise UnauthorizedError(t("The API key is invalid or revoked."))
    creator = session.get(User, api_key.created_by_id)
    if creator is None or not creator.is_active:
        raise UnauthorizedError(t("The API key's creator is disabled."))
    if creator.is_demo:
        refuse_demo_account(creator.username, what=t("The API key was created by"))
    now = utcnow()
    if api_key.last_used_at is None or now - api_key.last_used_at > LAST_USED_RESOLUTION:
        # Committed here, before the endpoint runs: a bookkeeping write, not a change to audit,
        # and not one that bumps the key's version.
        session.execute(
            ApiKey.__table__.update()  # type: ignore[attr-defined]
            .where(ApiKey.__table__.c.id == api_key.id)  # type: ignore[attr-defined]
            .values(last_used_at=now)
        )
        session.commit()
    return Principal(
        name=f"key:{api_key.prefix}",
        grants=((api_key.role, api_key.unit_id),),
        api_key_id=api_key.id,
    )
