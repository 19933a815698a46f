from collections.abc import Iterator
from typing import Annotated

from vivace import APIRouter, Depends, FastAPI, Header, HTTPException

app = FastAPI()


# A dependency is any callable; its own parameters are read from the request like an endpoint's.
def pagination(skip: int = 0, limit: int = 10) -> dict[str, int]:
    return {"skip": skip, "limit": min(limit, 100)}


Page = Annotated[dict[str, int], Depends(pagination)]


@app.get("/articles")
async def list_articles(page: Page) -> dict[str, int]:
    return page


# A class works too: its __init__ parameters are the dependency's parameters.
class Sorting:
    def __init__(self, sort: str = "date", desc: bool = False) -> None:
        self.sort = sort
        self.desc = desc


@app.get("/comments")
async def list_comments(page: Page, sorting: Annotated[Sorting, Depends()]) -> dict[str, object]:
    return {"page": page, "sort": sorting.sort, "desc": sorting.desc}


# A dependency with `yield`: the code after `yield` runs once the response has been sent.
class Session:
    def __init__(self) -> None:
        self.closed = False


sessions: list[Session] = []


def get_session() -> Iterator[Session]:
    session = Session()
    sessions.append(session)
    try:
        yield session
    finally:
        session.closed = True


@app.get("/session")
async def use_session(session: Annotated[Session, Depends(get_session)]) -> dict[str, bool]:
    return {"closed": session.closed}


# Sub-dependencies, and dependencies that only check something (listed in `dependencies=`).
def api_key(x_api_key: Annotated[str, Header()]) -> str:
    if x_api_key != "secret":
        raise HTTPException(status_code=403, detail="Bad API key")
    return x_api_key


def caller(key: Annotated[str, Depends(api_key)]) -> str:
    return f"client-{key[:3]}"


admin = APIRouter(dependencies=[Depends(api_key)])


@admin.get("/stats")
async def stats(who: Annotated[str, Depends(caller)]) -> dict[str, str]:
    # api_key ran once for this request although two dependencies need it: results are cached per request.
    return {"caller": who}


app.include_router(admin, prefix="/admin", tags=["admin"])
