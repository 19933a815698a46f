"""Routes compile on their first request (vivace/_route_lazy.py): building an app and serving one route compiles
nothing else; what FastAPI refuses at declaration is still refused there; later requests run the compiled runner."""


import asyncio
import threading
from collections.abc import Iterator
from typing import Annotated, Any

import httpx
import pytest
from pydantic import BaseModel
from pydantic_core import SchemaError

from vivace import APIRouter, Depends, FastAPI, Query, WebSocket
from vivace import _route_plans as route_plans
from vivace._route_lazy import FirstUse
from vivace.exceptions import DependencyScopeError, FastAPIError
from vivace.routing import APIRoute
from vivace.testclient import TestClient


class Item(BaseModel):
    name: str


class Opaque:
    """A class Pydantic cannot validate."""


def _items() -> APIRouter:
    router = APIRouter(prefix="/items")

    @router.get("/{item_id}", response_model=Item)
    def read(item_id: int, q: Annotated[str, Query(max_length=5)] = "x") -> dict[str, str]:
        return {"name": f"{q}{item_id}"}

    @router.post("/")
    def create(item: Item) -> Item:
        return item

    @router.get("/")
    def listing() -> list[str]:
        return ["a"]

    return router


def _target(app: FastAPI, method: str, path: str) -> Any:
    """What the app's compiled router runs for a request."""
    compiled = app._compiled
    assert compiled is not None
    found = compiled.matcher.match_http({"type": "http", "path": path, "method": method, "root_path": ""})
    assert found is not None
    return found.target


def test_building_and_serving_one_route_compiles_only_that_route(compiled: list[str]) -> None:
    """Declaring, including and serving the first request of one route compiles that route alone."""
    app = FastAPI()
    app.include_router(_items(), prefix="/v1")
    assert compiled == []
    client = TestClient(app)
    assert client.get("/v1/items/").json() == ["a"]
    assert compiled == ["/items/"]  # NOTE: the copy borrows its source's steps: the source is what compiles
    assert client.get("/v1/items/2?q=ab").json() == {"name": "ab2"}
    assert client.get("/v1/items/2?q=abcdef").status_code == 422
    assert client.post("/v1/items/", json={"name": "n"}).json() == {"name": "n"}
    assert compiled == ["/items/", "/items/{item_id}", "/items/"]


def test_after_the_first_request_the_router_runs_the_runner_itself() -> None:
    """The stand-in is replaced by the route's runner on its first request, in the static table as in the scan."""
    app = FastAPI()
    app.include_router(_items())
    client = TestClient(app)
    assert client.get("/items/").status_code == 200
    assert isinstance(_target(app, "GET", "/items/7"), FirstUse)
    for _ in range(3):
        assert client.get("/items/7").json() == {"name": "x7"}
    for method, path in (("GET", "/items/"), ("GET", "/items/7")):
        target = _target(app, method, path)
        assert not isinstance(target, FirstUse)
        assert target is app._compiled.targets[id(_target_route(app, path))]  # type: ignore[union-attr]


def _target_route(app: FastAPI, path: str) -> APIRoute:
    compiled = app._compiled
    assert compiled is not None
    found = compiled.matcher.match_http({"type": "http", "path": path, "method": "GET", "root_path": ""})
    assert found is not None and isinstance(found.route, APIRoute)
    return found.route


def test_unusable_parameter_type_fails_at_declaration(compiled: list[str]) -> None:
    """A parameter whose type Pydantic cannot validate fails at the decorator, in a dependency too."""

    def opaque(q: Opaque) -> None:
        return None

    router = APIRouter()
    with pytest.raises(FastAPIError, match="Pydantic cannot validate"):
        router.get("/a")(opaque)
    with pytest.raises(FastAPIError, match="Pydantic cannot validate"):
        router.get("/b", dependencies=[Depends(opaque)])(lambda: None)


def test_constraint_pydantic_refuses_fails_at_declaration() -> None:
    """A constraint Pydantic cannot build (an invalid pattern) fails at the decorator, as in FastAPI."""
    router = APIRouter()
    with pytest.raises(SchemaError, match=r"regex parse error"):

        @router.get("/a")
        def read(q: Annotated[str, Query(pattern="[")] = "a") -> None:
            return None


def test_scope_error_fails_at_declaration() -> None:
    """A request-scoped `yield` dependency depending on a function-scoped one fails at the decorator."""

    def inner() -> Iterator[int]:
        yield 1

    def outer(x: Annotated[int, Depends(inner, scope="function")]) -> Iterator[int]:
        yield x

    with pytest.raises(DependencyScopeError):

        @APIRouter().get("/a")
        def read(y: Annotated[int, Depends(outer, scope="request")]) -> None:
            return None


def test_valid_declarations_compile_nothing(compiled: list[str]) -> None:
    """Constrained parameters, bodies and dependencies are checked at declaration without compiling the route."""
    router = _items()
    router.get("/deps", dependencies=[Depends(lambda: None)])(lambda x: None)
    assert compiled == []
    assert all(route._compiled is None for route in router.routes if isinstance(route, APIRoute))


def test_concurrent_first_requests_on_one_event_loop_compile_once(compiled: list[str]) -> None:
    """Two first requests at once to a cold route both answer; the route compiles once."""
    app = FastAPI()
    app.include_router(_items())

    async def main() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return await asyncio.gather(client.get("/items/1"), client.get("/items/2"))

    first, second = asyncio.run(main())
    assert (first.json(), second.json()) == ({"name": "x1"}, {"name": "x2"})
    assert compiled == ["/items/{item_id}"]


def test_concurrent_first_requests_in_two_threads_both_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """First requests compiling at the same moment in two threads (two event loops) both answer correctly."""
    barrier = threading.Barrier(2, timeout=30)
    original = route_plans.compile_route

    def together(route: Any, dependant: Any) -> Any:
        barrier.wait()  # NOTE: both threads are compiling the route at once
        return original(route, dependant)

    monkeypatch.setattr(route_plans, "compile_route", together)
    app = FastAPI()

    @app.get("/a/{n}")
    def read(n: int) -> int:
        return n * 2

    TestClient(app).get("/missing")  # the router is built: both requests below find the route's stand-in
    answers: dict[int, Any] = {}

    def request(n: int) -> None:
        answers[n] = TestClient(app).get(f"/a/{n}").json()

    threads = [threading.Thread(target=request, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert answers == {1: 2, 2: 4}
    assert TestClient(app).get("/a/5").json() == 10


def test_overrides_apply_to_routes_not_requested_yet() -> None:
    """With dependency overrides the routes run the overrides; once cleared, the route's own dependency again."""

    def real() -> str:
        return "real"

    app = FastAPI()

    @app.get("/a")
    def read(value: Annotated[str, Depends(real)]) -> str:
        return value

    client = TestClient(app)
    app.dependency_overrides[real] = lambda: "fake"
    assert client.get("/a").json() == "fake"
    app.dependency_overrides.clear()
    assert client.get("/a").json() == "real"


def test_app_scoped_dependency_routes_compile_at_startup(compiled: list[str]) -> None:
    """A route using an app-scoped dependency is compiled when the app starts, which creates the dependency."""
    made: list[str] = []

    def engine() -> str:
        made.append("engine")
        return "e"

    app = FastAPI()

    @app.get("/a")
    def read(value: Annotated[str, Depends(engine, scope="app")]) -> str:
        return value

    @app.get("/b")
    def other() -> str:
        return "b"

    with TestClient(app) as client:
        assert compiled == ["/a"] and made == ["engine"]
        assert client.get("/a").json() == "e"


def test_websocket_route_compiles_on_first_connection(compiled: list[str]) -> None:
    """A WebSocket route waits for its first connection too, then serves it."""
    app = FastAPI()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket, name: str = "x") -> None:
        await websocket.accept()
        await websocket.send_text(name)
        await websocket.close()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = TestClient(app)
    assert client.get("/a").json() == "a"
    assert compiled == ["/a"]
    with client.websocket_connect("/ws?name=n") as websocket:
        assert websocket.receive_text() == "n"
    assert compiled == ["/a", "/ws"]


def test_router_scoped_middleware_routes_are_served_through_it() -> None:
    """A route under router-scoped exception handlers is compiled with the router and answered by them."""

    class Refused(Exception):
        pass

    async def refused(request: Any, exc: Refused) -> Any:
        from vivace.responses import PlainTextResponse

        return PlainTextResponse("router", status_code=418)

    router = APIRouter(exception_handlers={Refused: refused})

    @router.get("/a")
    def read() -> None:
        raise Refused()

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/a").text == "router"
    assert client.get("/a").status_code == 418


@pytest.mark.parametrize("model", [Opaque, list[Opaque], dict[str, Opaque], Item | Opaque])
def test_unusable_response_model_fails_at_declaration(model: Any) -> None:
    """A response model Pydantic cannot build, alone or inside a container, fails at the decorator."""
    with pytest.raises(FastAPIError, match="Invalid args for response field"):
        APIRouter().get("/a", response_model=model)(lambda: None)


@pytest.mark.parametrize("model", [Item, list[Item], dict[str, Item], Item | None, tuple[int, ...]])
def test_usable_response_model_is_served(model: Any) -> None:
    """Response models that are checked without building an adapter at declaration serve their first request."""
    value: Any = {"name": "n"}
    if model == dict[str, Item]:
        value = {"k": value}
    elif model == list[Item]:
        value = [value]
    elif model == tuple[int, ...]:
        value = [1, 2]
    app = FastAPI()
    app.get("/a", response_model=model)(lambda: value)
    assert TestClient(app).get("/a").json() == value


def test_a_declared_routes_pattern_is_compiled_on_first_read() -> None:
    """Declaring a route compiles no regular expression; the first read of `path_regex` compiles Starlette's."""
    from starlette.routing import compile_path

    from vivace import APIRouter

    router = APIRouter()
    router.get("/items/{item_id:int}")(lambda item_id: item_id)
    route = router.routes[-1]
    assert "path_regex" not in vars(route)
    assert route.path_regex.pattern == compile_path("/items/{item_id:int}")[0].pattern
    assert "path_regex" in vars(route)


def test_the_static_table_rules_routes_out_by_segments_without_compiling_them() -> None:
    """The first request builds the static table: dynamic routes a static path cannot match keep their pattern
    uncompiled, and a dynamic route declared first still shadows the static path it matches."""
    from vivace import FastAPI
    from vivace.testclient import TestClient

    app = FastAPI()
    app.get("/items/{item_id}/tags")(lambda item_id: f"tags {item_id}")
    app.get("/items/{item_id}")(lambda item_id: f"item {item_id}")
    app.get("/items/search/by-tag")(lambda: "search")
    app.get("/items/latest")(lambda: "latest")
    client = TestClient(app)
    assert client.get("/items/search/by-tag").json() == "search"
    tags_route = app.routes[-4]
    assert "path_regex" not in vars(tags_route)  # "/items/search/by-tag" differs from ".../tags" in its last segment
    assert client.get("/items/latest").json() == "item latest"  # declared after "/items/{item_id}": shadowed
    assert client.get("/items/7/tags").json() == "tags 7"
