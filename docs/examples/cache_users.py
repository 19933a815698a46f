# Answers that depend on who asks, and in which language.
from typing import Annotated

from vivace import Depends, FastAPI, Header, HTTPException
from vivace.cache import Cache

app = FastAPI()
cache = Cache()
TOKENS = {"token-alice": "alice", "token-bob": "bob"}


def current_user(authorization: Annotated[str, Header()]) -> str:
    user = TOKENS.get(authorization.removeprefix("Bearer "))
    if user is None:
        raise HTTPException(status_code=401, detail="Unknown token")
    return user


@app.get("/inbox")
@cache.cached(ttl=30, user=current_user, headers=["Accept-Language"])
async def inbox(
    user: Annotated[str, Depends(current_user)],
    accept_language: Annotated[str, Header()] = "en",
) -> dict[str, str]:
    greeting = "Bonjour" if accept_language.startswith("fr") else "Hello"
    return {"message": f"{greeting} {user}, you have 3 new messages"}


news = cache.cached(ttl=60, query=["page"])  # kept, to compute keys with news.key(...)


@app.get("/news")
@news
async def list_news(page: int = 1, utm_source: str | None = None) -> dict[str, int]:
    return {"page": page}


@app.post("/news/{page}/refresh")
async def refresh_news(page: int, cache: Annotated[Cache, Depends(cache)]) -> dict[str, int]:
    removed = await cache.invalidate(news.key("/news", query={"page": page}))
    return {"removed": removed}
