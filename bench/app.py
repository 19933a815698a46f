"""The benchmark application, written against FastAPI's public API only.

The same file is served twice in one benchmark run: once by FastAPI itself, and once by vivace through
`vivace.compat.install()`, which makes `import fastapi` resolve to vivace. Nothing here may mention vivace,
so both frameworks run the identical source.

Endpoints that "return a dict" pass `response_model=None`: the return annotation is there for type
checkers, and `None` keeps FastAPI on the path an unannotated endpoint takes (encode + JSONResponse) instead
of validating the dict against an inferred `dict[...]` model. `/items` (POST) and `/users` cover the
response-model path explicitly.
"""

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import (
    Depends,
    FastAPI,
    Form,
    Header,
    HTTPException,
    Path,
    Query,
    Security,
    UploadFile,
    WebSocket,
    WebSocketDisconnect,
)
from fastapi.security import OAuth2PasswordBearer, SecurityScopes
from fastapi.sse import EventSourceResponse
from pydantic import BaseModel, Field

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
async def read_item(
    item_id: Annotated[int, Path(ge=1)],
    limit: Annotated[int, Query(gt=0, le=100)] = 10,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
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


class Session:
    """Stands in for a database session: opened per request by a `yield` dependency, closed after it."""

    __slots__ = ("closed", "rows")

    def __init__(self) -> None:
        self.rows = {"answer": 42}
        self.closed = False

    def close(self) -> None:
        self.closed = True


async def get_session() -> AsyncIterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()


@app.get("/session", response_model=None)
async def read_with_session(session: Annotated[Session, Depends(get_session)]) -> dict[str, Any]:
    return {"answer": session.rows["answer"], "closed": session.closed}


# OAuth2 bearer tokens with scopes; a dict stands in for JWT decoding so only the framework is measured.
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="token", scopes={"items:read": "Read items", "admin": "Everything"})
TOKENS = {"bench-bearer": ("alice", frozenset({"items:read"}))}


async def get_current_user(security_scopes: SecurityScopes, token: Annotated[str, Depends(oauth2_scheme)]) -> str:
    found = TOKENS.get(token)
    if found is None:
        raise HTTPException(status_code=401, detail="invalid token", headers={"WWW-Authenticate": "Bearer"})
    username, granted = found
    if not granted.issuperset(security_scopes.scopes):
        raise HTTPException(status_code=403, detail="not enough permissions")
    return username


@app.get("/secure/items", response_model=None)
async def read_secure_items(
    username: Annotated[str, Security(get_current_user, scopes=["items:read"])],
) -> dict[str, Any]:
    return {"owner": username, "items": ["a", "b"]}


@app.post("/login", response_model=None)
async def login(
    username: Annotated[str, Form(min_length=3)],
    password: Annotated[str, Form(min_length=8)],
    remember: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    return {"username": username, "remember": remember, "password_length": len(password)}


@app.post("/upload", response_model=None)
async def upload(file: UploadFile, note: Annotated[str, Form()] = "") -> dict[str, Any]:
    data = await file.read()
    return {"filename": file.filename, "size": len(data), "note": note}


@app.websocket("/ws")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


class Tick(BaseModel):
    n: int
    label: str = Field(default="tick")


@app.get("/events", response_class=EventSourceResponse)
async def events(count: Annotated[int, Query(gt=0, le=1_000_000)] = 1000) -> AsyncIterator[Tick]:
    for n in range(count):
        yield Tick(n=n)
