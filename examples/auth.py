"""`/token`: the OAuth2 password flow's token endpoint (the one /docs' "Authorize" button talks to)."""

from __future__ import annotations

from typing import Annotated

from vivace import APIRouter, Depends, HTTPException, status
from vivace.security import OAuth2PasswordRequestForm

from .database import SessionDep
from .schemas import Token
from .security import authenticate
from .settings import SettingsDep
from .tokens import create_access_token

__all__ = ["router"]

router = APIRouter()


@router.post("/token", responses={400: {"description": "Incorrect username or password"}})
async def log_in(
    form: Annotated[OAuth2PasswordRequestForm, Depends()], session: SessionDep, settings: SettingsDep
) -> Token:
    """Exchange a username and password (an HTML form, as OAuth2 wants) for a bearer token."""
    user = await authenticate(session, form.username, form.password)
    if user is None:
        # NOTE: 400 is what RFC 6749 (5.2, invalid_grant) prescribes for wrong credentials at this endpoint.
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="Incorrect username or password")
    return Token(access_token=create_access_token(user.id, settings))
