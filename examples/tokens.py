"""Access tokens: signed JWTs (HS256) that name the user in `sub` and expire after `settings.token_minutes`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from .settings import Settings

__all__ = ["ALGORITHM", "create_access_token", "read_access_token"]

ALGORITHM = "HS256"


def create_access_token(user_id: int, settings: Settings) -> str:
    expires = datetime.now(UTC) + timedelta(minutes=settings.token_minutes)
    return jwt.encode({"sub": str(user_id), "exp": expires}, settings.secret_key, algorithm=ALGORITHM)


def read_access_token(token: str, settings: Settings) -> int | None:
    """The user id a valid token was issued to; None for a bad signature, an expired or malformed token."""
    try:
        claims = jwt.decode(token, settings.secret_key, algorithms=[ALGORITHM], options={"require": ["exp", "sub"]})
    except jwt.InvalidTokenError:
        return None
    subject = claims["sub"]
    return int(subject) if isinstance(subject, str) and subject.isdecimal() else None
