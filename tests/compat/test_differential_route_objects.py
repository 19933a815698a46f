"""Route objects as extension libraries see them, on vivace and on FastAPI 0.165: the attributes they read, a
`route_class` that wraps the handler, a dependency added by a library after `include_router`, a replaced
`get_request_handler`, and routes changed or appended after the first request."""

from __future__ import annotations

import copy
import importlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from typing import Any

import pytest
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.websockets import WebSocket

Framework = Any  # the `fw` namespace of tests/compat/conftest.py


class Opaque:
    """A class Pydantic cannot validate."""


class Item(BaseModel):
    name: str
    price: float = 0.0


def _routing(fw: Framework) -> Any:
    return importlib.import_module(f"{fw.name}.routing")


def _api_routes(fw: Framework, routes: list[Any]) -> Iterator[Any]:
    """Every APIRoute, descending into FastAPI's included-router nodes (as fastapi-pagination does)."""
    routing = _routing(fw)
    for route in routes:
        if isinstance(route, routing.APIRoute):
            yield route
        elif isinstance(route, routing._IncludedRouter):
            yield from _api_routes(fw, route.original_router.routes)


def _described(route: Any) -> dict[str, Any]:
    """What extension code reads of a route, in comparable form."""
    body, response = route.body_field, route.response_field
    scope = {"type": "http", "path": "/items/3", "method": "POST", "root_path": ""}
    match, child = route.matches(scope)
    return {
        "path": route.path,
        "path_format": route.path_format,
        "path_regex": route.path_regex.pattern,
        "convertors": {name: type(c).__name__ for name, c in route.param_convertors.items()},
        "methods": sorted(route.methods),
        "name": route.name,
        "unique_id": route.unique_id,
        "endpoint_is_call": route.dependant.call is route.endpoint,
        "body_field": body and (body.name, body.alias, body.mode, type(body.field_info).__name__),
        "response_field": response and (response.name, response.mode, response.field_info.annotation),
        "embed": route._embed_body_fields,
        "match": (match.name, child.get("path_params")),
        "app_is_callable": callable(route.app),
    }


def _declare(fw: Framework, target: Any) -> None:
    @target.post("/items/{item_id:int}", response_model=Item, status_code=201)
    def create(item_id: int, item: Item) -> Any:
        return item

    @target.post("/items/{item_id:int}/pair")
    def pair(item_id: int, first: Item, second: Item) -> dict[str, Any]:
        return {}

    @target.get("/plain")
    def plain(q: int = 0) -> list[Item]:
        return []


def test_route_attributes_extensions_read(both: dict[str, Framework]) -> None:
    """path, path_regex, param_convertors, matches(), dependant, body_field, response_field and app read the same,
    on routes declared on the app and on a router."""
    seen = {}
    for name, fw in both.items():
        app = fw.FastAPI()
        _declare(fw, app)
        router = fw.APIRouter()
        _declare(fw, router)
        fw.FastAPI().include_router(router, prefix="/v1")
        routes = [r for r in app.routes if isinstance(r, _routing(fw).APIRoute)] + list(router.routes)
        seen[name] = [_described(route) for route in routes]
    assert seen["vivace"] == seen["fastapi"]


def test_body_field_assigned_by_a_library_reads_back(fw: Framework) -> None:
    """A library may assign `route.body_field` (fastapi-pagination does): the attribute reads what was set."""
    app = fw.FastAPI()
    _declare(fw, app)
    route = next(_api_routes(fw, app.routes))
    route.body_field = None
    assert route.body_field is None


def test_route_class_wrapping_the_handler(fw: Framework) -> None:
    """The documented custom APIRoute pattern: a subclass wraps get_route_handler(), on included routers too."""
    calls: list[str] = []

    class Timed(_routing(fw).APIRoute):  # type: ignore[misc,name-defined]
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            original = super().get_route_handler()

            async def timed(request: Request) -> Response:
                calls.append(request.url.path)
                response: Response = await original(request)
                response.headers["x-route-class"] = type(self).__name__
                return response

            return timed

    router = fw.APIRouter(route_class=Timed)

    @router.post("/items")
    def create(item: Item) -> Item:
        return item

    app = fw.FastAPI()
    app.include_router(router, prefix="/v1")
    client = fw.TestClient(app)
    ok = client.post("/v1/items", json={"name": "a"})
    invalid = client.post("/v1/items", json={"price": 1})
    assert (ok.status_code, ok.json(), ok.headers["x-route-class"]) == (200, {"name": "a", "price": 0.0}, "Timed")
    assert invalid.status_code == 422
    assert calls == ["/v1/items", "/v1/items"]


def _paginate_like(fw: Framework, app: Any, dependency: Callable[..., Any]) -> None:  # app: or an APIRouter
    """What fastapi-pagination's add_pagination does to each route: a dependency appended to
    `route.dependencies` and to `route.dependant.dependencies`, `body_field` rebuilt, `route.app` replaced."""
    utils = importlib.import_module(f"{fw.name}.dependencies.utils")
    routing = _routing(fw)
    for route in _api_routes(fw, app.routes):
        depends = fw.Depends(dependency)
        route.dependencies.append(depends)
        route.dependant.dependencies.append(
            utils.get_parameterless_sub_dependant(depends=depends, path=route.path_format)
        )
        route.body_field = utils._get_body_field(
            body_params=utils._get_flat_body_params(route.dependant), name=route.unique_id,
            embed_body_fields=route._embed_body_fields,
        )
        route.app = routing.request_response(route.get_route_handler())


def test_dependency_added_by_a_library_after_include(fw: Framework) -> None:
    """A dependency a library adds to included routes before the first request runs once per request (not twice
    though it is in both lists), and the routes answer as before (validation included)."""
    calls: list[str] = []

    def page_context(request: Request) -> None:
        calls.append(request.url.path)

    router = fw.APIRouter()

    @router.post("/items/{item_id}")
    def update(item_id: int, item: Item, q: str = "x") -> dict[str, Any]:
        return {"id": item_id, "item": item.model_dump(), "q": q}

    app = fw.FastAPI()
    app.include_router(router, prefix="/v1")
    _paginate_like(fw, app, page_context)
    client = fw.TestClient(app)
    ok = client.post("/v1/items/3?q=y", json={"name": "a"})
    bad = client.post("/v1/items/x", json={})
    assert (ok.status_code, ok.json()) == (200, {"id": 3, "item": {"name": "a", "price": 0.0}, "q": "y"})
    assert bad.status_code == 422
    assert [d["loc"] for d in bad.json()["detail"]] == [["path", "item_id"], ["body", "name"]]
    assert calls == ["/v1/items/3", "/v1/items/x"]  # NOTE: a dependency without parameters runs before the 422


def test_dependant_changed_after_the_first_request(fw: Framework) -> None:
    """A sub-dependency appended to a served route's `dependant` after its first request takes effect once the
    library marks the routes changed (vivace notices such in-place changes at its sync points only, see
    vivace/_route_plans.py; FastAPI at once)."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    app = fw.FastAPI()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = fw.TestClient(app)
    assert client.get("/a").json() == "a"
    route = next(_api_routes(fw, app.routes))
    utils = importlib.import_module(f"{fw.name}.dependencies.utils")
    route.dependant.dependencies.append(utils.get_parameterless_sub_dependant(depends=fw.Depends(audit), path="/a"))
    app.router._mark_routes_changed()
    assert client.get("/a").json() == "a"
    assert calls == ["audit"]


def test_route_appended_to_router_routes_after_startup(fw: Framework) -> None:
    """An APIRoute a library appends to `app.router.routes` after the first request is served once the library
    marks the routes changed (FastAPI serves it at once; vivace from its next sync point)."""
    app = fw.FastAPI()

    @app.get("/a")
    def read() -> str:
        return "a"

    client = fw.TestClient(app)
    assert client.get("/a").status_code == 200

    def late(q: int) -> dict[str, int]:
        return {"q": q}

    app.router.routes.append(_routing(fw).APIRoute("/late", late))
    app.router._mark_routes_changed()
    assert client.get("/late?q=2").json() == {"q": 2}
    assert client.get("/late?q=x").status_code == 422


def test_routes_replaced_wholesale_and_marked_changed(fw: Framework) -> None:
    """A library that swaps `router.routes` for a new list and calls `_mark_routes_changed()` (as cadwyn does) is
    served the new list, with the OpenAPI document rebuilt; the routes version counts the change."""
    app = fw.FastAPI()

    @app.get("/old")
    def old() -> str:
        return "old"

    client = fw.TestClient(app)
    assert client.get("/old").status_code == 200
    assert "/old" in client.get("/openapi.json").json()["paths"]
    before = app.router._get_routes_version()

    def new(q: int) -> dict[str, int]:
        return {"q": q}

    app.router.routes = [route for route in app.router.routes if getattr(route, "path", "") != "/old"]
    app.router.routes.append(_routing(fw).APIRoute("/new", new))
    app.router._mark_routes_changed()
    assert app.router._get_routes_version() > before
    assert app.router._routes_version == app.router._get_routes_version()
    assert client.get("/new?q=3").json() == {"q": 3}
    assert client.get("/old").status_code == 404
    paths = client.get("/openapi.json").json()["paths"]
    assert "/new" in paths and "/old" not in paths


def test_replaced_get_request_handler_serves_every_route(fw: Framework, monkeypatch: pytest.MonkeyPatch) -> None:
    """An instrumentation library's replacement of `routing.get_request_handler` (sentry-sdk's shape: it wraps
    `dependant.call` and the handler it gets back) is used for every route, and the routes answer as before."""
    routing = _routing(fw)
    original = routing.get_request_handler
    events: list[str] = []

    def instrumented(*args: Any, **kwargs: Any) -> Any:
        dependant = kwargs["dependant"]
        call = dependant.call

        def wrapped_call(*a: Any, **k: Any) -> Any:
            events.append("endpoint")
            return call(*a, **k)

        dependant.call = wrapped_call
        handler = original(*args, **kwargs)

        async def traced(request: Request) -> Response:
            events.append(f"handler {request.url.path}")
            response: Response = await handler(request)
            return response

        return traced

    monkeypatch.setattr(routing, "get_request_handler", instrumented)
    router = fw.APIRouter()

    @router.get("/items/{item_id}", response_model=Item)
    def read(item_id: int) -> dict[str, Any]:
        return {"name": f"n{item_id}", "price": 2, "extra": 1}

    app = fw.FastAPI()
    app.include_router(router, prefix="/v1")
    client = fw.TestClient(app)
    ok = client.get("/v1/items/4")
    bad = client.get("/v1/items/x")
    assert (ok.status_code, ok.json()) == (200, {"name": "n4", "price": 2.0})
    assert bad.status_code == 422
    assert events == ["handler /v1/items/4", "endpoint", "handler /v1/items/x"]


def test_routing_helpers_extensions_call(both: dict[str, Framework]) -> None:
    """serialize_response, run_endpoint_function and get_request_handler for a Dependant of one's own."""
    import anyio

    async def exercise(fw: Framework) -> list[Any]:
        routing = _routing(fw)
        utils = importlib.import_module(f"{fw.name}.utils")
        field = utils.create_model_field(name="Response_x", type_=Item, mode="serialization")
        dumped = await routing.serialize_response(field=field, response_content={"name": "a", "x": 1}, dump_json=True)
        plain = await routing.serialize_response(response_content=Item(name="b"))
        try:
            await routing.serialize_response(field=field, response_content={"price": "no"})
        except fw.ResponseValidationError as exc:
            errors = [(e["type"], e["loc"]) for e in exc.errors()]

        def add(a: int, b: int) -> int:
            return a + b

        dependant = importlib.import_module(f"{fw.name}.dependencies.utils").get_dependant(path="/add", call=add)
        summed = await routing.run_endpoint_function(dependant=dependant, values={"a": 1, "b": 2}, is_coroutine=False)
        return [dumped, plain, errors, summed]

    results = {name: anyio.run(exercise, fw) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"]


def test_private_routing_names_on_routes_declared_on_the_app(both: dict[str, Framework]) -> None:
    """`_iter_routes_with_context` yields each route declared on the app with no merged context."""
    seen = {}
    for name, fw in both.items():
        app = fw.FastAPI()
        _declare(fw, app)
        pairs = list(_routing(fw)._iter_routes_with_context(app.routes))
        seen[name] = [(route.path, context) for route, context in pairs if isinstance(route, _routing(fw).APIRoute)]
    assert seen["vivace"] == seen["fastapi"]


def test_router_route_that_cannot_work_fails_at_declaration(fw: Framework) -> None:
    """A route on an APIRouter with a parameter type Pydantic cannot validate fails at the decorator."""
    router = fw.APIRouter()
    with pytest.raises(fw.exceptions.FastAPIError):

        @router.get("/a")
        def read(q: Opaque = fw.Query()) -> None:
            return None


def test_included_route_response_error_names_the_prefixed_path(fw: Framework) -> None:
    """A response that fails its model on an included route reports the route's full path."""
    router = fw.APIRouter()

    @router.get("/items/{item_id}", response_model=Item)
    def read(item_id: int) -> dict[str, Any]:
        return {"price": "free"}

    app = fw.FastAPI()
    app.include_router(router, prefix="/v1")
    with pytest.raises(fw.ResponseValidationError) as raised:
        fw.TestClient(app).get("/v1/items/1")
    assert raised.value.endpoint_ctx["path"] == "GET /v1/items/{item_id}"


def test_request_handler_built_for_a_dependant_of_ones_own(both: dict[str, Framework]) -> None:
    """get_request_handler for a Dependant a library built: parameters validated, the response field applied."""
    import anyio

    def read(item_id: int, q: str = "x") -> dict[str, Any]:
        return {"name": f"{item_id}-{q}", "price": 1, "secret": True}

    async def answer(fw: Framework, path_params: dict[str, str], query: bytes) -> tuple[int, bytes]:
        utils = importlib.import_module(f"{fw.name}.utils")
        dependencies = importlib.import_module(f"{fw.name}.dependencies.utils")
        dependant = dependencies.get_dependant(path="/i/{item_id}", call=read)
        field = utils.create_model_field(name="Response_read", type_=Item, mode="serialization")
        handler = _routing(fw).get_request_handler(dependant=dependant, response_field=field)
        scope = {
            "type": "http", "method": "GET", "path": "/i/1", "query_string": query, "headers": [],
            "path_params": path_params, "root_path": "",
        }

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        try:
            async with AsyncExitStack() as stack:
                # NOTE: FastAPI's handler needs the exit stacks its middleware and request_response put in the scope
                scope["fastapi_middleware_astack"] = scope["fastapi_inner_astack"] = stack
                scope["fastapi_function_astack"] = stack
                response = await handler(Request(scope, receive))
        except fw.RequestValidationError as exc:
            return 422, repr([(e["type"], e["loc"]) for e in exc.errors()]).encode()
        return response.status_code, response.body

    for path_params, query in [({"item_id": "4"}, b"q=y"), ({"item_id": "x"}, b"")]:
        results = {name: anyio.run(answer, fw, path_params, query) for name, fw in both.items()}
        assert results["vivace"] == results["fastapi"]


def test_dependant_not_reanalysed_when_dependencies_grow(fw: Framework) -> None:
    """Appending to `route.dependencies` leaves `route.dependant` as it reads (fastapi-pagination appends the same
    dependency to both and counts them)."""

    async def dep() -> None:
        return None

    app = fw.FastAPI()

    @app.get("/", dependencies=[fw.Depends(dep)])
    async def route(_: Any = fw.Depends(dep)) -> None:
        return None

    *_, api_route = app.routes
    api_route.dependencies.append(fw.Depends(dep))
    assert (len(api_route.dependencies), len(api_route.dependant.dependencies)) == (2, 2)


def test_websocket_app_built_for_a_dependant_of_ones_own(both: dict[str, Framework]) -> None:
    """get_websocket_app for a library's own Dependant, served through routing.websocket_session: parameters
    validated (outside FastAPI's app, a refusal is the validation error itself), the session run."""
    async def echo(websocket: WebSocket, q: int) -> None:
        await websocket.accept()
        await websocket.send_text(str(q * 2))
        await websocket.close()

    seen = {}
    for name, fw in both.items():
        dependencies = importlib.import_module(f"{fw.name}.dependencies.utils")
        session = _routing(fw).get_websocket_app(dependencies.get_dependant(path="/ws", call=echo))
        client = fw.TestClient(_routing(fw).websocket_session(session))  # NOTE: no lifespan: not entered
        with client.websocket_connect("/ws?q=21") as websocket:
            answered = websocket.receive_text()
        refused = fw.exceptions.WebSocketRequestValidationError
        with pytest.raises(refused) as raised, client.websocket_connect("/ws?q=x"):
            pass
        seen[name] = (answered, [(e["type"], e["loc"]) for e in raised.value.errors()])
    assert seen["vivace"] == seen["fastapi"] == ("42", [("int_parsing", ("query", "q"))])


def test_handler_leaves_the_parsed_json_body_on_the_request(fw: Framework) -> None:
    """After a route class's wrapped handler ran, `request._json` holds the parsed body (error reporters read it)."""
    seen: list[Any] = []

    class Reporting(_routing(fw).APIRoute):  # type: ignore[misc,name-defined]
        def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
            original = super().get_route_handler()

            async def report(request: Request) -> Response:
                response: Response = await original(request)
                seen.append(getattr(request, "_json", None))
                return response

            return report

    app = fw.FastAPI()
    app.router.route_class = Reporting

    @app.post("/items")
    def create(item: Item) -> Item:
        return item

    assert fw.TestClient(app).post("/items", json={"name": "a", "extra": [1]}).status_code == 200
    assert seen == [{"name": "a", "extra": [1]}]


def test_original_route_changed_after_include(fw: Framework) -> None:
    """A library that updates a router's own routes after `include_router` (add_pagination(router)) reaches the
    app before its first request; the inclusion's dependency still runs first."""
    calls: list[str] = []

    def inclusion_dep() -> None:
        calls.append("inclusion")

    def page_context() -> None:
        calls.append("page")

    router = fw.APIRouter()

    @router.get("/items/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        calls.append("endpoint")
        return {"id": item_id}

    app = fw.FastAPI()
    app.include_router(router, prefix="/v1", dependencies=[fw.Depends(inclusion_dep)])
    _paginate_like(fw, router, page_context)
    client = fw.TestClient(app)
    assert client.get("/v1/items/2").json() == {"id": 2}
    assert calls == ["inclusion", "page", "endpoint"]


def test_deep_copied_routers_and_routes_are_served(fw: Framework) -> None:
    """`copy.deepcopy` of a router and of a route with dependencies (how cadwyn builds each API version) gives
    copies that include and serve like the originals."""
    router = fw.APIRouter()

    def dep() -> int:
        return 1

    @router.get("/items/{item_id}", dependencies=[fw.Depends(dep)])
    def read(item_id: int, q: str = "x") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    copied_router = copy.deepcopy(router)
    copied_route = copy.deepcopy(router.routes[0])
    alone = copy.deepcopy(router.routes[0].dependencies)  # a list copied on its own is a plain list of its items
    assert type(alone) is list and [d.dependency for d in alone] == [dep]
    app = fw.FastAPI()
    app.include_router(copied_router, prefix="/v2")
    app.router.routes.append(copied_route)
    client = fw.TestClient(app)
    assert client.get("/v2/items/3?q=y").json() == {"item_id": 3, "q": "y"}
    assert client.get("/items/4").json() == {"item_id": 4, "q": "x"}
    assert client.get("/items/x").status_code == 422

    @copied_router.get("/late")
    def late() -> str:
        return "late"

    assert client.get("/v2/late").json() == "late"  # the copy stays linked to the app it was included into
