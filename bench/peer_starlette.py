"""bench/app.py's scenarios as a hand-written Starlette 1.10 app: the floor a framework on Starlette starts from.

Runs in the peers' virtualenv (bench/peers.py). Written for speed by hand: query and header values checked
inline (a failed check is a 422 with a short message), the JSON body validated from bytes by Pydantic
(`model_validate_json`), models written by Pydantic's `dump_json`, dicts by orjson; dependencies are plain
awaited calls and the `yield` dependency an async context manager. The `def` endpoint runs in Starlette's
thread pool, as in FastAPI.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

API_TOKEN = "bench-token"


class JSON(Response):
    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return content if isinstance(content, bytes) else orjson.dumps(content)


def invalid(message: str, status: int = 422) -> JSON:
    return JSON({"detail": message}, status_code=status)


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


class Tick(BaseModel):
    n: int
    label: str = Field(default="tick")


USERS = [
    User(id=i, name=f"user {i}", email=f"user{i}@example.com", active=i % 3 != 0, score=i * 1.5) for i in range(100)
]
USERS_JSON = TypeAdapter(list[User])


async def hello(request: Request) -> JSON:
    return JSON({"message": "Hello World"})


def _int(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        return None


async def read_item(request: Request) -> JSON:
    item_id, params = request.path_params["item_id"], request.query_params
    limit, q = _int(params.get("limit"), 10), params.get("q")
    if item_id < 1 or limit is None or not 0 < limit <= 100 or (q is not None and len(q) > 50):
        return invalid("invalid parameters")
    return JSON({"item_id": item_id, "q": q, "limit": limit})


async def create_item(request: Request) -> JSON:
    try:
        item = Item.model_validate_json(await request.body())
    except ValidationError as exc:
        return JSON(exc.json(include_url=False).encode(), status_code=422)
    out = ItemOut(
        id=1,
        name=item.name,
        price=item.price,
        price_with_tax=item.price + (item.tax or 0.0),
        tags=item.tags,
        image=item.image,
    )
    return JSON(out.model_dump_json().encode())


async def list_users(request: Request) -> JSON:
    return JSON(USERS_JSON.dump_json(USERS))


async def get_user(token: str) -> User:
    return USERS[len(token) % len(USERS)]


async def get_settings(user: User) -> dict[str, Any]:
    return {"theme": "dark", "language": "en", "beta": user.active}


async def read_me(request: Request) -> JSON:
    token = request.headers.get("x-token")
    if token is None:
        return invalid("missing x-token")
    if token != API_TOKEN:
        return invalid("invalid token", 401)
    user = await get_user(token)
    settings = await get_settings(user)
    return JSON({"id": user.id, "name": user.name, "settings": settings})


def sync_endpoint(request: Request) -> JSON:
    return JSON({"mode": "sync", "ok": True})


class Session:
    __slots__ = ("closed", "rows")

    def __init__(self) -> None:
        self.rows = {"answer": 42}
        self.closed = False

    def close(self) -> None:
        self.closed = True


@asynccontextmanager
async def open_session() -> AsyncIterator[Session]:
    session = Session()
    try:
        yield session
    finally:
        session.close()


async def read_with_session(request: Request) -> JSON:
    async with open_session() as session:
        return JSON({"answer": session.rows["answer"], "closed": session.closed})


TOKENS = {"bench-bearer": ("alice", frozenset({"items:read"}))}


async def read_secure_items(request: Request) -> JSON:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    found = TOKENS.get(token) if scheme.lower() == "bearer" else None
    if found is None:
        return JSON({"detail": "invalid token"}, status_code=401, headers={"WWW-Authenticate": "Bearer"})
    username, granted = found
    if "items:read" not in granted:
        return invalid("not enough permissions", 403)
    return JSON({"owner": username, "items": ["a", "b"]})


async def login(request: Request) -> JSON:
    async with request.form() as form:
        username, password = form.get("username"), form.get("password")
        remember = form.get("remember", "false")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) < 3 or len(password) < 8:
        return invalid("invalid form")
    remembered = remember in ("true", "1", "on", "yes")
    return JSON({"username": username, "remember": remembered, "password_length": len(password)})


async def upload(request: Request) -> JSON:
    async with request.form() as form:
        file, note = form.get("file"), form.get("note", "")
        if not isinstance(file, UploadFile):
            return invalid("no file")
        data = await file.read()
        return JSON({"filename": file.filename, "size": len(data), "note": note})


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnect:
        pass


async def ticks(count: int) -> AsyncIterator[bytes]:
    for n in range(count):
        yield b"data: " + Tick(n=n).model_dump_json().encode() + b"\n\n"


async def events(request: Request) -> Response:
    count = _int(request.query_params.get("count"), 1000)
    if count is None or not 0 < count <= 1_000_000:
        return invalid("invalid count")
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(ticks(count), media_type="text/event-stream", headers=headers)


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/items/{item_id:int}", read_item),
        Route("/items", create_item, methods=["POST"]),
        Route("/users", list_users),
        Route("/me", read_me),
        Route("/sync", sync_endpoint),
        Route("/session", read_with_session),
        Route("/secure/items", read_secure_items),
        Route("/login", login, methods=["POST"]),
        Route("/upload", upload, methods=["POST"]),
        WebSocketRoute("/ws", echo),
        Route("/events", events),
    ]
)
