"""bench/app.py's scenarios on BlackSheep 2.6, written as a performance-minded BlackSheep user would.

Runs in the peers' virtualenv (bench/peers.py). Pydantic validates the JSON body (BlackSheep binds
`FromJSON[Model]` through it) and writes response models with `dump_json`; plain dicts go out through orjson,
set as BlackSheep's JSON writer. Query and header constraints are checked by hand, the BlackSheep way (its
binders convert types but have no `ge`/`max_length`); a failed check is a 400. Dependencies are plain calls:
BlackSheep's container (rodi) provides services, not per-request dependency graphs.

NOTE: BlackSheep calls a `def` handler on the event loop, so its `sync-def` is not the thread-pool work the
other frameworks do there; the report shows it without comparing.
"""

from collections.abc import AsyncIterator
from typing import Any

import orjson
from blacksheep import (
    Application,
    Content,
    FromHeader,
    FromJSON,
    Request,
    Response,
    WebSocket,
    WebSocketDisconnectError,
)
from blacksheep.server.responses import bad_request, forbidden, unauthorized
from blacksheep.server.sse import ServerSentEvent
from blacksheep.settings.json import json_settings
from pydantic import BaseModel, Field, TypeAdapter

json_settings.use(loads=orjson.loads, dumps=lambda value: orjson.dumps(value).decode())

app = Application()
app.show_error_details = False
get, post, ws = app.router.get, app.router.post, app.router.ws

API_TOKEN = "bench-token"
JSON = b"application/json"


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


def model_response(model: BaseModel) -> Response:
    return Response(200, None, Content(JSON, model.__pydantic_serializer__.to_json(model)))


@get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}


@get("/items/{int:item_id}")
async def read_item(item_id: int, limit: int = 10, q: str | None = None) -> Any:
    if item_id < 1 or not 0 < limit <= 100 or (q is not None and len(q) > 50):
        return bad_request("invalid parameters")
    return {"item_id": item_id, "q": q, "limit": limit}


@post("/items")
async def create_item(item: FromJSON[Item]) -> Response:
    body = item.value
    out = ItemOut(
        id=1,
        name=body.name,
        price=body.price,
        price_with_tax=body.price + (body.tax or 0.0),
        tags=body.tags,
        image=body.image,
    )
    return model_response(out)


@get("/users")
async def list_users() -> Response:
    return Response(200, None, Content(JSON, USERS_JSON.dump_json(USERS)))


class XToken(FromHeader[str]):
    name = "x-token"


async def get_user(token: str) -> User:
    return USERS[len(token) % len(USERS)]


async def get_settings(user: User) -> dict[str, Any]:
    return {"theme": "dark", "language": "en", "beta": user.active}


@get("/me")
async def read_me(x_token: XToken) -> Any:
    if x_token.value != API_TOKEN:
        return unauthorized("invalid token")
    user = await get_user(x_token.value)
    settings = await get_settings(user)
    return {"id": user.id, "name": user.name, "settings": settings}


@get("/sync")
def sync_endpoint() -> dict[str, Any]:
    return {"mode": "sync", "ok": True}


class Session:
    __slots__ = ("closed", "rows")

    def __init__(self) -> None:
        self.rows = {"answer": 42}
        self.closed = False

    def close(self) -> None:
        self.closed = True


@get("/session")
async def read_with_session() -> dict[str, Any]:
    session = Session()
    try:
        return {"answer": session.rows["answer"], "closed": session.closed}
    finally:
        session.close()


TOKENS = {"bench-bearer": ("alice", frozenset({"items:read"}))}


@get("/secure/items")
async def read_secure_items(request: Request) -> Any:
    scheme, _, token = (request.get_first_header(b"authorization") or b"").decode().partition(" ")
    found = TOKENS.get(token) if scheme.lower() == "bearer" else None
    if found is None:
        return unauthorized("invalid token")
    username, granted = found
    if "items:read" not in granted:
        return forbidden("not enough permissions")
    return {"owner": username, "items": ["a", "b"]}


@post("/login")
async def login(request: Request) -> Any:
    form = await request.form() or {}
    username, password = form.get("username", ""), form.get("password", "")
    if not isinstance(username, str) or not isinstance(password, str) or len(username) < 3 or len(password) < 8:
        return bad_request("invalid form")
    remember = form.get("remember", "false") in ("true", "1", "on", "yes")
    return {"username": username, "remember": remember, "password_length": len(password)}


@post("/upload")
async def upload(request: Request) -> Any:
    files = await request.files("file")
    form = await request.form() or {}
    if not files:
        return bad_request("no file")
    note = form.get("note", "")
    return {"filename": files[0].file_name.decode(), "size": len(files[0].data), "note": note}


@ws("/ws")
async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(await websocket.receive_text())
    except WebSocketDisconnectError:
        pass


@get("/events")
async def events(count: int = 1000) -> AsyncIterator[ServerSentEvent]:
    for n in range(min(max(count, 1), 1_000_000)):
        yield ServerSentEvent(Tick(n=n).model_dump())
