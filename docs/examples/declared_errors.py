"""Errors declared on dependencies: every operation using them documents the 401 and the 403."""

from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, Header, HTTPException
from vivace.declared_errors import raises


class Problem(BaseModel):
    detail: str


@raises(401, model=Problem, description="No token, or a wrong one")
def current_user(x_token: Annotated[str | None, Header()] = None) -> str:
    if x_token not in ("ada-token", "bob-token"):
        raise HTTPException(401, "No token, or a wrong one")
    return x_token.removesuffix("-token")


@raises(403, model=Problem, description="Only Ada may do this")
def ada_only(user: Annotated[str, Depends(current_user)]) -> str:
    if user != "ada":
        raise HTTPException(403, "Only Ada may do this")
    return user


app = FastAPI()


@app.get("/me")
async def me(user: Annotated[str, Depends(current_user)]) -> str:
    return user  # documents 401


@app.delete("/everything", dependencies=[Depends(ada_only)])
async def delete_everything() -> str:
    return "gone"  # documents 403 and, through ada_only, 401
