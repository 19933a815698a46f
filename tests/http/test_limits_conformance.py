"""Where explicit limits apply, as in FastAPI 0.165: checked at declaration, inherited by middleware and mounts."""

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import anyio
import pytest
from starlette.responses import PlainTextResponse

from vivace import APIRouter, FastAPI, Form, Request, UploadFile, WebSocket
from vivace.routing import APIRoute
from vivace.testclient import TestClient


async def echo(request: Request) -> PlainTextResponse:
    return PlainTextResponse(await request.body())


async def field(text: Annotated[str, Form()]) -> str:
    return text


BAD_SETTINGS: list[Callable[[], Any]] = [
    lambda: FastAPI(max_body_size=-1),
    lambda: FastAPI(max_body_size=True),
    lambda: FastAPI(max_body_size=1.5),
    lambda: APIRouter(max_body_size="5"),
    lambda: FastAPI().post("/", max_body_size=-1)(echo),
    lambda: FastAPI().include_router(APIRouter(), max_body_size=-1),
    lambda: APIRoute("/", echo, max_body_size=-1),
    lambda: FastAPI(form_limits={"max_parts": 1}),
    lambda: FastAPI(form_limits={"max_fields": False}),
    lambda: APIRouter(form_limits={"max_part_size": 1.5}),
    lambda: FastAPI().include_router(APIRouter(), form_limits={"max_fields": -1}),
    lambda: APIRoute("/", echo, form_limits={"max_files": -1}),
]


@pytest.mark.parametrize("declare", BAD_SETTINGS)
def test_bad_settings_fail_where_declared(declare: Callable[[], Any]) -> None:
    """A malformed max_body_size or form_limits is a ValueError on the app, router, inclusion or route, even
    for routes that read no body."""
    with pytest.raises(ValueError, match=r"max_body_size|form_limits"):
        declare()


def test_form_limits_are_copied_when_declared() -> None:
    """Changing the caller's dict after declaration changes nothing."""
    limits: dict[str, int | None] = {"max_fields": 1}
    app = FastAPI(form_limits=limits)
    limits["max_fields"] = 0
    app.post("/")(field)
    assert TestClient(app).post("/", data={"text": "ok"}).json() == "ok"


def middleware_app(app_limit: int, route_limit: int) -> FastAPI:
    app = FastAPI(max_body_size=app_limit)
    app.post("/", max_body_size=route_limit)(echo)

    @app.middleware("http")
    async def read_body(request: Request, call_next: Any) -> Any:
        await request.body()
        return await call_next(request)

    return app


def test_app_limit_bounds_a_body_read_by_middleware() -> None:
    """A middleware reads under the app's limit, even when the route's own limit is larger."""
    client = TestClient(middleware_app(5, 10))
    refused = client.post("/", content=b"123456")
    assert (refused.status_code, refused.json()) == (413, {"detail": "Content Too Large"})
    assert client.post("/", content=b"12345").content == b"12345"


def test_route_limit_applies_to_a_body_middleware_already_read() -> None:
    """A route's smaller limit refuses a body the middleware read under the larger app limit."""
    client = TestClient(middleware_app(10, 5))
    assert client.post("/", content=b"123456").status_code == 413
    assert client.post("/", content=b"12345").status_code == 200


@pytest.mark.parametrize(("parent", "child", "status"), [(5, None, 413), (5, 10, 200), (10, 5, 413)])
def test_mounted_app_inherits_or_overrides_the_parent_limit(parent: int, child: int | None, status: int) -> None:
    """A mounted app without a limit of its own is bound by its parent's; its own limit wins either way."""
    sub = FastAPI(max_body_size=child)
    sub.post("/")(echo)
    app = FastAPI(max_body_size=parent)
    app.mount("/sub", sub)
    assert TestClient(app).post("/sub/", content=b"123456").status_code == status


def test_mounted_app_with_middleware_answers_the_parents_413() -> None:
    """A mounted app's middleware reading past the parent's limit gets a 413, not a 500."""
    sub = FastAPI()
    sub.post("/")(echo)

    @sub.middleware("http")
    async def read_body(request: Request, call_next: Any) -> Any:
        await request.body()
        return await call_next(request)

    app = FastAPI(max_body_size=5)
    app.mount("/sub", sub)
    client = TestClient(app)
    assert client.post("/sub/", content=b"123456").status_code == 413
    assert client.post("/sub/", content=b"12345").content == b"12345"


def test_app_limit_refuses_a_declared_body_nothing_reads() -> None:
    """A Content-Length over the app's limit is refused even when the answer would not read the body (a 404)."""
    response = TestClient(FastAPI(max_body_size=2)).post("/missing", content=b"123")
    assert (response.status_code, response.json()) == (413, {"detail": "Content Too Large"})


def test_mounted_router_serves_its_routes_with_its_limits() -> None:
    """An APIRouter mounted (not included) serves its routes on their own, with the router's limit."""
    router = APIRouter(max_body_size=5)
    router.post("/")(echo)
    app = FastAPI()
    app.mount("/r", router)
    client = TestClient(app)
    assert client.post("/r/", content=b"12345").content == b"12345"
    assert client.post("/r/", content=b"123456").status_code == 413


def test_mounted_router_serves_websockets() -> None:
    """A WebSocket route of a mounted APIRouter is served too."""
    router = APIRouter()

    @router.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    app = FastAPI()
    app.mount("/r", router)
    with TestClient(app).websocket_connect("/r/ws") as websocket:
        assert websocket.receive_text() == "hi"


def test_route_is_an_asgi_app_of_its_own() -> None:
    """`route.app` answers a request without an application around it."""
    route = APIRoute("/", echo, methods=["POST"], max_body_size=3)
    client = TestClient(route.app)
    assert client.post("/", content=b"abc").content == b"abc"
    assert client.post("/", content=b"abcd").status_code == 413


def test_mount_in_an_included_router_gets_the_inclusion_limit() -> None:
    """A mount copied by include_router is bound by the inclusion's max_body_size, as its API routes are."""
    mounted = FastAPI()
    mounted.post("/")(echo)
    router = APIRouter()
    router.mount("/m", mounted)
    app = FastAPI()
    app.include_router(router, prefix="/n", max_body_size=5)
    client = TestClient(app)
    assert client.post("/n/m/", content=b"12345").status_code == 200
    assert client.post("/n/m/", content=b"123456").status_code == 413


def test_form_limits_reach_a_mounted_app() -> None:
    """A mounted app's form routes use the parent's form_limits for the keys they do not set themselves."""
    route = APIRoute("/", field, methods=["POST"], form_limits={"max_fields": 1})
    app = FastAPI(form_limits={"max_part_size": 2, "max_fields": 0})
    app.mount("/sub", FastAPI(routes=[route]))
    client = TestClient(app)
    assert client.post("/sub/", files={"text": (None, "ab")}).json() == "ab"
    assert client.post("/sub/", files={"text": (None, "abc")}).status_code == 400


def _lifespans(events: list[str]) -> dict[str, Any]:
    """The same startup/shutdown recorder in each form a lifespan may take."""

    async def async_generator(app: Any) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    def generator(app: Any) -> Iterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    return {
        "async generator": async_generator,
        "context manager": asynccontextmanager(async_generator),
        "generator": generator,
    }


@pytest.mark.parametrize(
    ("owner", "form"),
    [(FastAPI, "async generator"), (APIRouter, "context manager"), (APIRouter, "generator")],
    ids=["app async generator", "router context manager", "router generator"],
)
def test_lifespan_forms_run_without_a_warning(owner: Any, form: str) -> None:
    """Generator functions (async or not) and context managers run as lifespans of an app or of a router served
    on its own, as in FastAPI, without Starlette's deprecation warning (warnings are errors here)."""
    events: list[str] = []
    with TestClient(owner(lifespan=_lifespans(events)[form])):
        pass
    assert events == ["startup", "shutdown"]


def test_spool_files_are_closed_when_the_body_limit_cuts_an_upload(spools: list[Any]) -> None:
    """A multipart body cut off by max_body_size in the middle of a file leaves no spool file open."""
    head = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        b"Content-Type: text/plain\r\n\r\nhello"
    )
    app = FastAPI(max_body_size=len(head))

    @app.post("/")
    async def upload(file: UploadFile) -> Any:
        return file.filename

    messages = [
        {"type": "http.request", "body": head, "more_body": True},
        {"type": "http.request", "body": b"more\r\n--b--\r\n", "more_body": False},
    ]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    # NOTE: straight to the app, so the body arrives in two chunks and the parse starts the file before the cut
    scope = {
        "type": "http", "method": "POST", "path": "/", "raw_path": b"/", "root_path": "", "query_string": b"",
        "headers": [(b"content-type", b"multipart/form-data; boundary=b")], "scheme": "http", "http_version": "1.1",
        "server": ("test", 80), "client": ("test", 1), "asgi": {"version": "3.0"},
    }
    anyio.run(app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert spools and all(file.closed for file in spools)


def test_url_path_for_reaches_into_a_limited_mount() -> None:
    """A mount copied through two limited inclusions still resolves the names of the mounted app's routes."""
    mounted = FastAPI()

    @mounted.get("/hello", name="hello")
    async def hello() -> int:
        return 1

    inner = APIRouter()
    inner.mount("/m", mounted, name="m")
    outer = APIRouter()
    outer.include_router(inner, prefix="/i", max_body_size=5)
    app = FastAPI()
    app.include_router(outer, prefix="/o", max_body_size=10)
    assert app.url_path_for("m:hello") == "/o/i/m/hello"
