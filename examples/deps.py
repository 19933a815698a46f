"""Dependencies shared by the routers: settings, the store, and the signed-in user.

Each is also exported as an `Annotated` alias, so an endpoint declares `user: CurrentUser` instead of
repeating `Annotated[User, Depends(get_current_user)]`.
"""

from __future__ import annotations

from typing import Annotated

from vivace import Depends, HTTPException, Request, status
from vivace.security import HTTPAuthorizationCredentials, HTTPBearer

from .models import User
from .settings import Settings, get_settings
from .store import NoteStore

__all__ = ["DEMO_USERS", "CurrentUser", "SettingsDep", "StoreDep", "bearer", "get_current_user", "get_store"]

# A stand-in for a user table: each user has a fixed personal access token.
DEMO_USERS = {
    user.token: user
    for user in (
        User(username="alice", full_name="Alice Liddell", token="alice-token"),
        User(username="bob", full_name="Bob Sponge", token="bob-token"),
    )
}

# Reads `Authorization: Bearer <token>`; answers 401 by itself when the header is missing or not Bearer.
bearer = HTTPBearer(description="A personal access token; the demo users have `alice-token` and `bob-token`.")


def get_store(request: Request) -> NoteStore:
    """The store the lifespan created (see `examples.app.lifespan`); one per running application."""
    store: NoteStore = request.state.store
    return store


async def get_current_user(credentials: Annotated[HTTPAuthorizationCredentials, Depends(bearer)]) -> User:
    user = DEMO_USERS.get(credentials.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail="Invalid token", headers={"WWW-Authenticate": "Bearer"}
        )
    return user


SettingsDep = Annotated[Settings, Depends(get_settings)]
StoreDep = Annotated[NoteStore, Depends(get_store)]
CurrentUser = Annotated[User, Depends(get_current_user)]
