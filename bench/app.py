"""The benchmark application, written against FastAPI's public API only.

The same file is served twice in one benchmark run: once by FastAPI itself, and once by vivace through
`vivace.compat.install()`, which makes `import fastapi` resolve to vivace. Nothing here may mention vivace,
so both frameworks run the identical source.

Endpoints that "return a dict" pass `response_model=None`: the return annotation is there for type
checkers, and `None` keeps FastAPI on the path an unannotated endpoint takes (encode + JSONResponse) instead
of validating the dict against an inferred `dict[...]` model. `/items` (POST) and `/users` cover the
response-model path explicitly.
"""

from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel

app = FastAPI(title="vivace benchmark app")

API_TOKEN = "bench-token"  # sent by the /me scenario in the x-token header


class Image(BaseModel):
    url: str
    name: str


class Item(BaseModel):
    name: str
    price: float
    tax: float | None = None
    tags: list[str] = []
    image: Image | None = None


class ItemOut(BaseModel):
    id: int
    name: str
    price: float
    price_with_tax: float
    tags: list[str]
    image: Image | None = None


class User(BaseModel):
    id: int
    name: str
    email: str
    active: bool
    score: float


# NOTE: built once at import, so /users measures validation + serialization, not object construction.
USERS = [
    User(id=i, name=f"user {i}", email=f"user{i}@example.com", active=i % 3 != 0, score=i * 1.5) for i in range(100)
]


@app.get("/hello", response_model=None)
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}


@app.get("/items/{item_id}", response_model=None)
async def read_item(item_id: int, q: str | None = None, limit: int = 10) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "limit": limit}


@app.post("/items", response_model=ItemOut)
async def create_item(item: Item) -> ItemOut:
    tax = item.tax or 0.0
    return ItemOut(
        id=1,
        name=item.name,
        price=item.price,
        price_with_tax=item.price + tax,
        tags=item.tags,
        image=item.image,
    )


@app.get("/users", response_model=list[User])
async def list_users() -> list[User]:
    return USERS


async def get_token(x_token: Annotated[str, Header()]) -> str:
    if x_token != API_TOKEN:
        raise HTTPException(status_code=401, detail="invalid token")
    return x_token


async def get_user(token: Annotated[str, Depends(get_token)]) -> User:
    return USERS[len(token) % len(USERS)]


async def get_settings(user: Annotated[User, Depends(get_user)]) -> dict[str, Any]:
    return {"theme": "dark", "language": "en", "beta": user.active}


# get_user appears twice in this tree (here and under get_settings): the per-request cache runs it once.
@app.get("/me", response_model=None)
async def read_me(
    user: Annotated[User, Depends(get_user)],
    settings: Annotated[dict[str, Any], Depends(get_settings)],
) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "settings": settings}


@app.get("/sync", response_model=None)
def sync_endpoint() -> dict[str, Any]:
    return {"mode": "sync", "ok": True}
