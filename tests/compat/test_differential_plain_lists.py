"""Routes' dependency lists are plain lists and routes and routers deep-copy, as in FastAPI (extensions such as
cadwyn rebuild them with `copy.deepcopy` and refuse list subclasses); in-place changes to those lists made before
the first request are served (vivace/_route_plans.py)."""

from __future__ import annotations

import copy
import importlib
from contextvars import ContextVar
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

Framework = Any  # the `fw` namespace of tests/compat/conftest.py


class _VersionMiddleware:
    """Holds a ContextVar, as cadwyn's version-picking middleware does: nothing may deep-copy it."""

    def __init__(self, app: ASGIApp, version_var: ContextVar[str | None]) -> None:
        self.app = app
        self.version_var = version_var

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def _sub_dependant(fw: Framework, call: Any, path: str) -> Any:
    utils = importlib.import_module(f"{fw.name}.dependencies.utils")
    return utils.get_parameterless_sub_dependant(depends=fw.Depends(call), path=path)


def _api_routes(fw: Framework, routes: list[Any]) -> list[Any]:
    routing = importlib.import_module(f"{fw.name}.routing")
    return [r for r in routes if isinstance(r, routing.APIRoute | routing.APIWebSocketRoute)]


def _app_with_router(fw: Framework) -> tuple[Any, Any]:
    """An app (with a ContextVar in its middleware) that includes a router with an HTTP and a WebSocket route."""

    def dep() -> int:
        return 1

    router = fw.APIRouter(dependencies=[fw.Depends(dep)])

    @router.get("/items/{item_id}", dependencies=[fw.Depends(dep)])
    def read(item_id: int, q: str = "x") -> dict[str, Any]:
        return {"item_id": item_id, "q": q}

    @router.websocket("/ws")
    async def talk(websocket: WebSocket, n: int = 0) -> None:
        await websocket.accept()
        await websocket.send_json({"n": n})
        await websocket.close()

    app = fw.FastAPI()
    app.add_middleware(_VersionMiddleware, version_var=ContextVar("api_version", default=None))
    app.include_router(router, prefix="/v1")
    return app, router


def test_dependency_lists_are_plain_lists(fw: Framework) -> None:
    """`route.dependencies`, `route.dependant.dependencies` and `router.routes` are exactly `list`, on declared
    routes, on what the app lists of included routes (vivace's copies) and on WebSocket routes, also after being
    replaced."""
    app, router = _app_with_router(fw)
    routes = [*_api_routes(fw, router.routes), *_api_routes(fw, app.routes)]
    assert len(routes) >= 2
    for route in routes:
        assert type(route.dependencies) is list
        assert type(route.dependant.dependencies) is list
    assert type(router.routes) is list and type(app.router.routes) is list
    route = routes[0]
    route.dependencies = [*route.dependencies]
    assert type(route.dependencies) is list


def test_routes_and_routers_deep_copy(fw: Framework) -> None:
    """A router included into an app whose middleware holds a ContextVar, its routes, and the app's copies of them
    (with the app itself kept, as cadwyn keeps it) deep-copy, and the copies serve like the originals."""
    app, router = _app_with_router(fw)
    copied_router = copy.deepcopy(router)
    copied_routes = [copy.deepcopy(route) for route in _api_routes(fw, router.routes)]
    included = _api_routes(fw, app.routes)
    copied_included = [copy.deepcopy(route, {id(app): app}) for route in included]
    assert [type(r) for r in copied_included] == [type(r) for r in included]
    for route in [*copied_routes, *copied_included]:
        assert type(route.dependencies) is list and type(route.dependant.dependencies) is list
    other = fw.FastAPI()
    other.include_router(copied_router, prefix="/v2")
    other.router.routes.extend(copied_routes)
    client = fw.TestClient(other)
    assert client.get("/v2/items/3?q=y").json() == {"item_id": 3, "q": "y"}
    assert client.get("/items/4").json() == {"item_id": 4, "q": "x"}
    assert client.get("/items/x").status_code == 422
    with client.websocket_connect("/v2/ws?n=2") as socket:
        assert socket.receive_json() == {"n": 2}
    assert fw.TestClient(app).get("/v1/items/5").json() == {"item_id": 5, "q": "x"}  # the original is untouched


def test_dependant_appended_in_place_before_the_first_request_runs(fw: Framework) -> None:
    """A sub-dependency appended in place to `route.dependant.dependencies` of a route declared on the app runs
    from the first request on, before the 422 of an invalid request."""
    calls: list[str] = []

    def audit() -> None:
        calls.append("audit")

    app = fw.FastAPI()

    @app.get("/a/{n}")
    def read(n: int) -> int:
        return n

    route = _api_routes(fw, app.router.routes)[-1]
    route.dependant.dependencies.append(_sub_dependant(fw, audit, route.path))
    client = fw.TestClient(app)
    assert client.get("/a/2").json() == 2
    assert client.get("/a/x").status_code == 422
    assert calls == ["audit", "audit"]
