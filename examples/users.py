"""`/users`: sign up, and who am I."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from vivace import APIRouter, HTTPException, status

from .database import SessionDep
from .passwords import hash_password
from .schemas import UserIn, UserOut
from .security import UNAUTHORIZED, CurrentUser
from .tables import User

__all__ = ["router"]

router = APIRouter()

_TAKEN = HTTPException(status.HTTP_409_CONFLICT, detail="Username already taken")


@router.post("", status_code=status.HTTP_201_CREATED, responses={409: {"description": "Username already taken"}})
async def sign_up(data: UserIn, session: SessionDep) -> UserOut:
    """Create an account; log in with it at `/token`."""
    if await session.scalar(select(User.id).where(User.username == data.username)) is not None:
        raise _TAKEN
    user = User(username=data.username, full_name=data.full_name, password_hash=await hash_password(data.password))
    session.add(user)
    try:
        await session.commit()
    except IntegrityError:  # NOTE: someone took the name while the password was being hashed
        raise _TAKEN from None
    return UserOut.model_validate(user)


@router.get("/me", responses=UNAUTHORIZED)
async def read_me(user: CurrentUser) -> UserOut:
    return UserOut.model_validate(user)
