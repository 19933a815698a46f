"""bench/app.py's scenarios on Litestar 2.25, written as a performance-minded Litestar user would: msgspec.

Runs in the peers' virtualenv (bench/peers.py). Bodies and responses are msgspec `Struct`s (Litestar decodes
and encodes them with msgspec), parameter constraints are `Parameter(...)`, dependencies are `Provide`d
(resolved once per request, generators included), and the `def` endpoint runs in the thread pool
(`sync_to_thread=True`), as in FastAPI. Litestar answers a failed validation with 400.
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import Litestar, Request, WebSocket, get, post, websocket
from litestar.datastructures import UploadFile
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException, WebSocketDisconnect
from litestar.params import Body, Parameter
from litestar.response import ServerSentEvent

API_TOKEN = "bench-token"


class Image(msgspec.Struct):
    url: str
    name: str


class Item(msgspec.Struct):
    name: str
    price: float
    tax: float | None = None
    tags: list[str] = msgspec.field(default_factory=list)
    image: Image | None = None


class ItemOut(msgspec.Struct):
    id: int
    name: str
    price: float
    price_with_tax: float
    tags: list[str]
    image: Image | None = None


class User(msgspec.Struct):
    id: int
    name: str
    email: str
    active: bool
    score: float


class Tick(msgspec.Struct):
    n: int
    label: str = "tick"


class LoginForm(msgspec.Struct):
    username: Annotated[str, msgspec.Meta(min_length=3)]
    password: Annotated[str, msgspec.Meta(min_length=8)]
    remember: bool = False


@dataclass
class UploadForm:
    file: UploadFile
    note: str = ""


USERS = [
    User(id=i, name=f"user {i}", email=f"user{i}@example.com", active=i % 3 != 0, score=i * 1.5) for i in range(100)
]


@get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "Hello World"}


@get("/items/{item_id:int}")
async def read_item(
    item_id: Annotated[int, Parameter(ge=1)],
    limit: Annotated[int, Parameter(gt=0, le=100)] = 10,
    q: Annotated[str | None, Parameter(max_length=50)] = None,
) -> dict[str, Any]:
    return {"item_id": item_id, "q": q, "limit": limit}


@post("/items", status_code=200)
async def create_item(data: Item) -> ItemOut:
    return ItemOut(
        id=1,
        name=data.name,
        price=data.price,
        price_with_tax=data.price + (data.tax or 0.0),
        tags=data.tags,
        image=data.image,
    )


@get("/users")
async def list_users() -> list[User]:
    return USERS


async def get_token(x_token: Annotated[str, Parameter(header="x-token")]) -> str:
    if x_token != API_TOKEN:
        raise NotAuthorizedException("invalid token")
    return x_token


async def get_user(token: str) -> User:
    return USERS[len(token) % len(USERS)]


async def get_settings(user: User) -> dict[str, Any]:
    return {"theme": "dark", "language": "en", "beta": user.active}


@get(
    "/me",
    dependencies={"token": Provide(get_token), "user": Provide(get_user), "settings": Provide(get_settings)},
)
async def read_me(user: User, settings: dict[str, Any]) -> dict[str, Any]:
    return {"id": user.id, "name": user.name, "settings": settings}


@get("/sync", sync_to_thread=True)
def sync_endpoint() -> dict[str, Any]:
    return {"mode": "sync", "ok": True}


class Session:
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


@get("/session", dependencies={"session": Provide(get_session)})
async def read_with_session(session: Session) -> dict[str, Any]:
    return {"answer": session.rows["answer"], "closed": session.closed}


TOKENS = {"bench-bearer": ("alice", frozenset({"items:read"}))}


async def get_current_user(request: Request[Any, Any, Any]) -> str:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    found = TOKENS.get(token) if scheme.lower() == "bearer" else None
    if found is None:
        raise NotAuthorizedException("invalid token", headers={"WWW-Authenticate": "Bearer"})
    username, granted = found
    if "items:read" not in granted:
        raise PermissionDeniedException("not enough permissions")
    return username


@get("/secure/items", dependencies={"username": Provide(get_current_user)})
async def read_secure_items(username: str) -> dict[str, Any]:
    return {"owner": username, "items": ["a", "b"]}


@post("/login", status_code=200)
async def login(data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> dict[str, Any]:
    return {"username": data.username, "remember": data.remember, "password_length": len(data.password)}


@post("/upload", status_code=200)
async def upload(data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)]) -> dict[str, Any]:
    content = await data.file.read()
    return {"filename": data.file.filename, "size": len(content), "note": data.note}


@websocket("/ws")
async def echo(socket: WebSocket[Any, Any, Any]) -> None:
    await socket.accept()
    try:
        while True:
            await socket.send_text(await socket.receive_text())
    except WebSocketDisconnect:
        pass


async def ticks(count: int) -> AsyncIterator[bytes]:
    for n in range(count):
        yield msgspec.json.encode(Tick(n=n))


@get("/events")
async def events(count: Annotated[int, Parameter(gt=0, le=1_000_000)] = 1000) -> ServerSentEvent:
    return ServerSentEvent(ticks(count))


app = Litestar(
    route_handlers=[
        hello,
        read_item,
        create_item,
        list_users,
        read_me,
        sync_endpoint,
        read_with_session,
        read_secure_items,
        login,
        upload,
        echo,
        events,
    ],
    debug=False,
    openapi_config=None,
)
