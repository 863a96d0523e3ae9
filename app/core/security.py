"""Passwords, access tokens and API key secrets."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from pwdlib import PasswordHash

from app.core.config import settings

_passwords = PasswordHash.recommended()  # argon2id
ALGORITHM = "HS256"
API_KEY_PREFIX = "ck_"


def hash_password(password: str) -> str:
    return _passwords.hash(password)


def verify_password(password: str, password_hash: str) -> bool:
    return _passwords.verify(password, password_hash)


# Verified against when the username is unknown, so that the answer takes as long either way.
DUMMY_PASSWORD_HASH = hash_password(secrets.token_urlsafe(16))


def create_access_token(user_id: int, *, now: datetime | None = None) -> tuple[str, int]:
    """A signed JWT for the user and its lifetime in seconds."""
    issued = now or datetime.now(UTC)
    lifetime = timedelta(minutes=settings.access_token_minutes)
    claims = {"sub": str(user_id), "iat": issued, "exp": issued + lifetime}
    token = jwt.encode(claims, settings.secret_key.get_secret_value(), algorithm=ALGORITHM)
    return token, int(lifetime.total_seconds())


@dataclass(frozen=True)
class TokenClaims:
    user_id: int
    issued_at: datetime


def decode_access_token(token: str) -> TokenClaims | None:
    """The claims of a valid, unexpired token signed with our key; None otherwise."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key.get_secret_value(),
            algorithms=[ALGORITHM],
            options={"require": ["sub", "iat", "exp"]},
        )
        return TokenClaims(
            user_id=int(claims["sub"]), issued_at=datetime.fromtimestamp(claims["iat"], UTC)
        )
    except (jwt.InvalidTokenError, ValueError, TypeError, OverflowError):
        return None


def new_api_key() -> tuple[str, str, str]:
    """A fresh key as (full key shown once, public prefix, hash of the secret)."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    return f"{API_KEY_PREFIX}{prefix}_{secret}", prefix, hash_api_secret(secret)


def hash_api_secret(secret: str) -> str:
    # The secret is 256 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def split_api_key(key: str) -> tuple[str, str] | None:
    """(prefix, secret) of a well-formed key."""
    if not key.startswith(API_KEY_PREFIX):
        return None
    prefix, _, secret = key.removeprefix(API_KEY_PREFIX).partition("_")
    if not prefix or not secret:
        return None
    return prefix, secret


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
