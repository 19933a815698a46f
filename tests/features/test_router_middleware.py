"""Router-scoped middleware: `APIRouter(middleware=[Middleware(cls, **options)])` wraps that router's routes only."""

from __future__ import annotations

from typing import Any

import pytest
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket
from vivace._cli.routes import plans_text
from vivace.responses import JSONResponse, PlainTextResponse, Response
from vivace.testclient import TestClient


class Stamp:
    """Appends `x-seen: <name>` to responses and records what it saw of the scope; counts its instances."""

    built: list[str] = []

    def __init__(self, app: ASGIApp, name: str, log: list[Any] | None = None) -> None:
        self.app, self.name, self.log = app, name, log
        Stamp.built.append(name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.log is not None:
            self.log.append((self.name, scope["type"], dict(scope.get("path_params", {})), scope.get("route")))

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-seen", self.name.encode())]
            await send(message)

        await self.app(scope, receive, stamped)


class Gate:
    """Short-circuits: answers 401 itself unless the request carries `x-key: open`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and (b"x-key", b"open") not in scope["headers"]:
            await PlainTextResponse("locked", status_code=401)(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def hello() -> dict[str, str]:
    return {"hello": "world"}


def seen(response: Any) -> list[str]:
    return list(response.headers.get_list("x-seen"))


def test_middleware_wraps_the_routers_routes_only() -> None:
    """The router's routes pass through its middleware; the app's other routes do not."""
    router = APIRouter(prefix="/r", middleware=[Middleware(Stamp, name="router")])
    router.get("/hello")(hello)
    app = FastAPI()
    app.include_router(router)
    app.get("/hello")(hello)
    client = TestClient(app)
    assert seen(client.get("/r/hello")) == ["router"]
    assert seen(client.get("/hello")) == []
    assert seen(client.get("/r/nowhere")) == []  # a 404 is no route's


def test_declaration_order_and_nesting_compose_outside_in() -> None:
    """First listed = outermost; an outer router's middleware wraps the inner router's."""
    inner = APIRouter(
        prefix="/inner", middleware=[Middleware(Stamp, name="inner-1"), Middleware(Stamp, name="inner-2")]
    )
    inner.get("/hello")(hello)
    outer = APIRouter(
        prefix="/outer", middleware=[Middleware(Stamp, name="outer-1"), Middleware(Stamp, name="outer-2")]
    )
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    # the innermost middleware sees the response start first, so it stamps first
    assert seen(TestClient(app).get("/outer/inner/hello")) == ["inner-2", "inner-1", "outer-2", "outer-1"]


def test_inclusion_level_middleware_sits_between_the_routers() -> None:
    """`include_router(router, middleware=...)` wraps that inclusion's copies, inside the including router's."""
    inner = APIRouter(middleware=[Middleware(Stamp, name="inner")])
    inner.get("/hello")(hello)
    outer = APIRouter(middleware=[Middleware(Stamp, name="outer")])
    outer.include_router(inner, prefix="/a", middleware=[Middleware(Stamp, name="inclusion")])
    outer.include_router(inner, prefix="/b")
    app = FastAPI()
    app.include_router(outer)
    client = TestClient(app)
    assert seen(client.get("/a/hello")) == ["inner", "inclusion", "outer"]
    assert seen(client.get("/b/hello")) == ["inner", "outer"]


def test_middleware_sees_the_matched_route_and_path_params() -> None:
    """The middleware runs after matching: the scope has the route and its path parameters (as matched)."""
    log: list[Any] = []
    router = APIRouter(middleware=[Middleware(Stamp, name="m", log=log)])

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/items/7").json() == {"item_id": 7}
    [(name, kind, params, route)] = log
    assert (name, kind, params, route.path) == ("m", "http", {"item_id": "7"}, "/items/{item_id}")


def test_middleware_can_short_circuit() -> None:
    """A middleware may answer without calling the route; the endpoint then never runs."""
    calls: list[str] = []
    router = APIRouter(middleware=[Middleware(Gate)])

    @router.get("/secret")
    async def secret() -> dict[str, str]:
        calls.append("secret")
        return {"secret": "42"}

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    response = client.get("/secret")
    assert (response.status_code, response.text, calls) == (401, "locked", [])
    assert client.get("/secret", headers={"x-key": "open"}).json() == {"secret": "42"}
    assert calls == ["secret"]


def test_middleware_sees_error_answers_of_the_routes() -> None:
    """Error answers (HTTPException, validation, router handlers) are made inside the router's middleware."""
    router = APIRouter(
        middleware=[Middleware(Stamp, name="m")],
        exception_handlers={KeyError: lambda request, exc: PlainTextResponse("handled", status_code=409)},
    )

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> None:
        raise HTTPException(404, "No such item") if item_id else KeyError(item_id)

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    for url, status in [("/items/1", 404), ("/items/x", 422), ("/items/0", 409)]:
        response = client.get(url)
        assert (response.status_code, seen(response)) == (status, ["m"])


def test_starlette_middleware_classes_work_per_router() -> None:
    """Starlette's own middleware (GZip, BaseHTTPMiddleware) can be scoped to a router."""

    async def tag(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["x-dispatch"] = request.url.path
        return response

    router = APIRouter(
        prefix="/big",
        middleware=[Middleware(BaseHTTPMiddleware, dispatch=tag), Middleware(GZipMiddleware, minimum_size=10)],
    )

    @router.get("/text")
    async def text() -> PlainTextResponse:
        return PlainTextResponse("x" * 1000)

    app = FastAPI()
    app.include_router(router)
    app.get("/text")(text)
    client = TestClient(app)
    response = client.get("/big/text", headers={"accept-encoding": "gzip"})
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["x-dispatch"] == "/big/text"
    assert response.text == "x" * 1000  # decoded by the client
    plain = client.get("/text", headers={"accept-encoding": "gzip"})
    assert "content-encoding" not in plain.headers and "x-dispatch" not in plain.headers


def test_middleware_is_built_once_across_recompilation() -> None:
    """Built once per route at startup, and kept when the app compiles its routes again (dependency overrides)."""
    Stamp.built.clear()

    async def who() -> str:
        return "real"

    router = APIRouter(middleware=[Middleware(Stamp, name="once")])

    @router.get("/who")
    async def endpoint(name: str = Depends(who)) -> str:
        return name

    app = FastAPI()
    app.include_router(router)
    with TestClient(app) as client:
        for _ in range(3):
            assert client.get("/who").json() == "real"
        app.dependency_overrides[who] = lambda: "override"
        assert client.get("/who").json() == "override"
        assert seen(client.get("/who")) == ["once"]
    assert Stamp.built == ["once"]


def test_websocket_routes_pass_through_router_middleware() -> None:
    """WebSocket routes of the router get the same middleware, with a websocket scope."""
    log: list[Any] = []
    router = APIRouter(middleware=[Middleware(Stamp, name="m", log=log)])

    @router.websocket("/ws/{room}")
    async def ws(websocket: WebSocket, room: str) -> None:
        await websocket.accept()
        await websocket.send_text(room)
        await websocket.close()

    app = FastAPI()
    app.include_router(router)
    with TestClient(app).websocket_connect("/ws/lobby") as connection:
        assert connection.receive_text() == "lobby"
    assert [(name, kind, params) for name, kind, params, _ in log] == [("m", "websocket", {"room": "lobby"})]


def test_a_middleware_error_goes_to_the_apps_handlers() -> None:
    """An exception a router middleware raises is answered by the app's handlers (it is outside the route)."""

    class Refuse:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            raise HTTPException(403, "middleware says no")

    router = APIRouter(middleware=[Middleware(Refuse)])
    router.get("/x")(hello)
    app = FastAPI(exception_handlers={HTTPException: lambda r, e: JSONResponse({"app": e.detail}, e.status_code)})
    app.include_router(router)
    response = TestClient(app).get("/x")
    assert (response.status_code, response.json()) == (403, {"app": "middleware says no"})


@pytest.mark.parametrize("entry", [Stamp, (Stamp, {}), "Stamp"])
def test_middleware_entries_must_be_middleware_objects(entry: Any) -> None:
    """A bare class or a tuple is refused where it is declared, with the form to use."""
    with pytest.raises(TypeError, match=r"Middleware\(cls, \.\.\.\)"):
        APIRouter(middleware=[entry])
    with pytest.raises(TypeError, match=r"Middleware\(cls, \.\.\.\)"):
        FastAPI().include_router(APIRouter(), middleware=[entry])


def test_vivace_routes_plans_shows_what_routers_add() -> None:
    """`vivace routes --plans` lists a route's router handlers, middleware (outermost first) and problem details."""
    inner = APIRouter(middleware=[Middleware(Gate)], exception_handlers={404: lambda r, e: None})
    inner.get("/scoped")(hello)
    outer = APIRouter(middleware=[Middleware(GZipMiddleware)], problem_details=True)
    outer.include_router(inner)
    app = FastAPI()
    app.include_router(outer)
    app.get("/plain")(hello)
    scoped, plain = plans_text(app).split("\n\n")
    assert "router scope: handlers for 404; middleware GZipMiddleware > Gate; problem details)" in scoped
    assert "router scope" not in plain
