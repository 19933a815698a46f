"""Who is calling: the OAuth2 password-flow scheme, checking a login, and the signed-in user dependency."""

from __future__ import annotations

from typing import Annotated, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vivace import Depends, HTTPException, status
from vivace.security import OAuth2PasswordBearer

from .database import SessionDep
from .passwords import verify_password
from .settings import SettingsDep
from .tables import User
from .tokens import read_access_token

__all__ = ["UNAUTHORIZED", "CurrentUser", "authenticate", "get_current_user", "oauth2_scheme"]

# Reads `Authorization: Bearer <token>` (401 when it is missing) and tells /docs where to log in.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token")

# For the OpenAPI document of routers and routes that need a token.
UNAUTHORIZED: dict[int | str, dict[str, Any]] = {401: {"description": "Missing, invalid or expired token"}}


async def authenticate(session: AsyncSession, username: str, password: str) -> User | None:
    """The user whose username and password these are, or None."""
    user = await session.scalar(select(User).where(User.username == username))
    if not await verify_password(password, user.password_hash if user else None):
        return None
    return user


async def get_current_user(
    token: Annotated[str, Depends(oauth2_scheme)], settings: SettingsDep, session: SessionDep
) -> User:
    """The user the bearer token was issued to; 401 if the token is invalid, expired or the user is gone."""
    user_id = read_access_token(token, settings)
    user = await session.get(User, user_id) if user_id is not None else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail="Could not validate credentials",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]
