"""Custom route classes: an `APIRoute` subclass overriding `get_route_handler()` wraps the request handling."""

import gzip
import inspect
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

import anyio

from vivace import APIRouter, Body, Depends, FastAPI, HTTPException, Request, Response
from vivace._core.route_handler import HandlerTarget
from vivace.exceptions import RequestValidationError
from vivace.routing import APIRoute
from vivace.testclient import TestClient

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class GzipRequest(Request):
    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            raw = await super().body()
            self._body = gzip.decompress(raw) if "gzip" in self.headers.getlist("Content-Encoding") else raw
        return self._body


class GzipRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            return await original(GzipRequest(request.scope, request.receive))

        return handler


class TimedRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            before = time.perf_counter()
            response = await original(request)
            response.headers["X-Response-Time"] = f"{time.perf_counter() - before:.6f}"
            return response

        return handler


class BodyOnErrorRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except RequestValidationError as exc:
                body = await request.body()
                raise HTTPException(status_code=422, detail={"errors": exc.errors(), "body": body.decode()}) from exc

        return handler


def test_request_subclass_decodes_the_body_and_reaches_the_endpoint() -> None:
    """A route class swapping in a Request subclass: the body is decompressed; the endpoint gets that class."""
    app = FastAPI()
    app.router.route_class = GzipRoute

    @app.post("/sum")
    async def total(numbers: Annotated[list[int], Body()]) -> dict[str, int]:
        return {"sum": sum(numbers)}

    @app.get("/kind")
    async def kind(request: Request) -> dict[str, str]:
        return {"class": type(request).__name__}

    client = TestClient(app)
    data = gzip.compress(json.dumps([1] * 100).encode())
    headers = {"Content-Encoding": "gzip", "Content-Type": "application/json"}
    assert client.post("/sum", content=data, headers=headers).json() == {"sum": 100}
    assert client.post("/sum", json=[1, 2]).json() == {"sum": 3}
    assert client.get("/kind").json() == {"class": "GzipRequest"}


def test_wrapper_changes_the_response_only_for_its_router() -> None:
    """A router's route_class applies to its routes (kept through include_router), not the app's other routes."""
    app = FastAPI()
    router = APIRouter(route_class=TimedRoute)

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"timed": "no"}

    @router.get("/timed")
    async def timed() -> dict[str, str]:
        return {"timed": "yes"}

    app.include_router(router, prefix="/v1")
    client = TestClient(app)
    timed_response = client.get("/v1/timed")
    assert timed_response.json() == {"timed": "yes"}
    assert float(timed_response.headers["x-response-time"]) >= 0
    assert "x-response-time" not in client.get("/plain").headers


def test_validation_errors_reach_the_wrapper_with_the_body() -> None:
    """The handler raises RequestValidationError to the wrapper, which can still read the request body."""
    app = FastAPI()
    app.router.route_class = BodyOnErrorRoute

    @app.post("/")
    async def total(numbers: Annotated[list[int], Body()]) -> int:
        return sum(numbers)

    client = TestClient(app)
    assert client.post("/", json=[1, 2, 3]).json() == 6
    detail = client.post("/", json={"numbers": [1]}).json()["detail"]
    assert (detail["body"], detail["errors"][0]["type"]) == ('{"numbers":[1]}', "list_type")


def test_plain_routes_keep_the_compiled_fast_path() -> None:
    """Only routes whose class overrides get_route_handler are served through a handler."""
    app = FastAPI()
    router = APIRouter(route_class=TimedRoute)

    @app.get("/fast")
    async def fast() -> dict[str, str]:
        return {}

    @router.get("/wrapped")
    async def wrapped() -> dict[str, str]:
        return {}

    app.include_router(router)
    compiled = app.compile()
    kinds = {route.path: type(route) for route in app.routes if isinstance(route, APIRoute)}
    assert kinds["/wrapped"] is TimedRoute and not APIRoute("/x", fast).has_custom_handler
    targets = [compiled.matcher.match_http({"type": "http", "path": p, "method": "GET"}) for p in ("/fast", "/wrapped")]
    served_by = [getattr(inspect.unwrap(found.target), "__self__", None) for found in targets if found]
    assert [isinstance(target, HandlerTarget) for target in served_by] == [False, True]


def test_dependencies_yield_and_overrides_work_through_the_handler() -> None:
    """Dependency overrides, yield-dependency exits and background tasks behave as on plain routes."""
    app = FastAPI()
    app.router.route_class = TimedRoute
    events: list[str] = []

    async def session() -> AsyncIterator[str]:
        events.append("open")
        yield "real"
        events.append("close")

    def fake() -> str:
        return "fake"

    @app.get("/who")
    async def who(name: Annotated[str, Depends(session)]) -> dict[str, str]:
        return {"name": name}

    client = TestClient(app)
    assert client.get("/who").json() == {"name": "real"}
    assert events == ["open", "close"]
    app.dependency_overrides[session] = fake
    assert client.get("/who").json() == {"name": "fake"}
    assert "x-response-time" in client.get("/who").headers


def test_the_default_handler_is_callable_directly() -> None:
    """`route.get_route_handler()` on a plain route returns a working Request -> Response handler."""
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    route = next(r for r in app.routes if isinstance(r, APIRoute))
    handler = route.get_route_handler()
    scope = {"type": "http", "method": "GET", "path": "/items/3", "path_params": {"item_id": "3"},
             "query_string": b"", "headers": [], "app": app}

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    response = anyio.run(handler, Request(scope, receive))
    assert (response.status_code, response.body) == (200, b'{"item_id":3}')


def test_streaming_endpoints_through_a_custom_route() -> None:
    """A generator endpoint behind a custom route class still streams its items."""
    app = FastAPI()
    app.router.route_class = TimedRoute

    @app.get("/stream")
    async def stream() -> AsyncIterator[int]:
        for number in range(3):
            yield number

    response = TestClient(app).get("/stream")
    assert response.text.splitlines() == ["0", "1", "2"]
    assert "x-response-time" in response.headers


def test_route_class_overriding_matches_is_asked_on_static_paths() -> None:
    """A route class that adds to the child scope in matches() is consulted even for a path without parameters."""

    class TaggedRoute(APIRoute):
        def matches(self, scope: Any) -> Any:
            match, child_scope = super().matches(scope)
            child_scope["tag"] = "from-matches"
            return match, child_scope

    app = FastAPI()
    router = APIRouter(route_class=TaggedRoute)

    @router.get("/tagged")
    async def tagged(request: Request) -> str:
        return str(request.scope.get("tag"))

    app.include_router(router)
    assert TestClient(app).get("/tagged").json() == "from-matches"
