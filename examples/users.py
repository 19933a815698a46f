"""`/users`: who am I, and what have I done lately."""

from __future__ import annotations

from vivace import APIRouter

from .deps import CurrentUser, StoreDep
from .models import Activity, User, UserPublic

__all__ = ["router"]

router = APIRouter()


# The endpoint returns the server-side User; response_model=UserPublic leaves out its token.
@router.get("/me", response_model=UserPublic)
async def read_me(user: CurrentUser) -> User:
    return user


@router.get("/me/activity")
async def read_my_activity(user: CurrentUser, store: StoreDep) -> list[Activity]:
    """The user's activity log, oldest first; entries are written by background tasks."""
    return store.activity(user.username)
