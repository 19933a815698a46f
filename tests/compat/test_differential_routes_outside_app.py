"""Routes used outside an application, as versioning extensions (cadwyn) use them.

A WebSocket route served by a plain Starlette app reads the dependency overrides of its router's
`dependency_overrides_provider` on each connection, and `_iter_routes_with_context` gives an included WebSocket
route as the route that was declared (marks a library set on it are there), with the served copy as the context's
`starlette_route`.
"""

import importlib
from typing import Any

from starlette.applications import Starlette


def served_alone(fw: Any, override_first: bool) -> list[str]:
    def token() -> str:
        return "real"

    provider = fw.FastAPI()
    if override_first:
        provider.dependency_overrides[token] = lambda: "overridden"
    router = fw.APIRouter(dependency_overrides_provider=provider)

    @router.websocket("/ws")
    async def socket(websocket: fw.package.WebSocket, value: str = fw.Depends(token)) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        await websocket.send_text(value)
        await websocket.close()

    client = fw.TestClient(Starlette(routes=router.routes))
    received = []
    for _ in range(2):
        with client.websocket_connect("/ws") as ws:
            received.append(ws.receive_text())
        provider.dependency_overrides[token] = lambda: "later"
    return received


def test_websocket_route_served_alone_uses_provider_overrides(both: Any) -> None:
    """The provider's overrides apply to a route a plain Starlette app serves, as they are when each session starts."""
    for override_first in (False, True):
        assert served_alone(both["vivace"], override_first) == served_alone(both["fastapi"], override_first)


def declared_routes(fw: Any) -> list[Any]:
    child = fw.APIRouter()

    @child.websocket("/ws")
    async def socket(websocket: fw.package.WebSocket) -> None:  # type: ignore[name-defined]
        await websocket.accept()

    child.routes[-1].marked = True
    middle = fw.APIRouter()
    middle.include_router(child, prefix="/middle")
    outer = fw.APIRouter()
    outer.include_router(middle, prefix="/outer")
    routing = importlib.import_module(f"{fw.name}.routing")
    return [
        (route is child.routes[-1], getattr(route, "marked", False), context and context.starlette_route.path)
        for route, context in routing._iter_routes_with_context(outer.routes)
    ]


def test_iter_routes_with_context_gives_included_websocket_as_declared(both: Any) -> None:
    """The declared route (with the attributes set on it) and the served copy's path, through two inclusions."""
    assert declared_routes(both["vivace"]) == declared_routes(both["fastapi"]) == [(True, True, "/outer/middle/ws")]
