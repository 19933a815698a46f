"""An application router whose class overrides `__call__` routes every request through it, as in FastAPI.

cadwyn replaces `app.router` with such a router: its `__call__` picks the routes of the requested API version and
records the version in the scope, where endpoints and middleware read it.
"""

from contextvars import ContextVar
from typing import Any

import pytest
from starlette.middleware.base import BaseHTTPMiddleware


def build(fw: Any) -> Any:
    class PickingRouter(fw.APIRouter):  # type: ignore[name-defined,misc]
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] in ("http", "websocket"):
                scope["picked"] = dict(scope["headers"]).get(b"x-pick", b"none").decode()
            await super().__call__(scope, receive, send)

    app = fw.FastAPI()
    app.router = PickingRouter(dependency_overrides_provider=app)

    def token() -> str:
        return "real"

    @app.get("/picked")
    async def picked(request: fw.Request) -> Any:  # type: ignore[name-defined]
        return request.scope.get("picked", "missing")

    @app.get("/token")
    def read_token(value: str = fw.Depends(token)) -> str:
        return value

    @app.get("/teapot")
    async def teapot() -> None:
        raise fw.HTTPException(status_code=418, detail="short and stout")

    @app.websocket("/ws")
    async def socket(websocket: fw.package.WebSocket) -> None:  # type: ignore[name-defined]
        await websocket.accept()
        await websocket.send_text(websocket.scope.get("picked", "missing"))
        await websocket.close()

    app.dependency_overrides[token] = lambda: "overridden"
    return app


@pytest.mark.parametrize(
    "req",
    [
        ("GET /picked", {"headers": {"x-pick": "2024-01-01"}}),
        "GET /picked",
        "GET /token",
        "GET /teapot",
        "POST /picked",
        "GET /nowhere",
    ],
)
def test_router_call_override_routes_requests_like_fastapi(same: Any, req: Any) -> None:
    same(build, req)


def test_router_call_override_routes_websockets(fw: Any) -> None:
    """A WebSocket session also goes through the router's own `__call__`."""
    with fw.TestClient(build(fw)) as client, client.websocket_connect("/ws", headers={"x-pick": "v2"}) as ws:
        assert ws.receive_text() == "v2"


PICKED: ContextVar[str] = ContextVar("picked", default="unset")
SEEN: ContextVar[str] = ContextVar("seen", default="unset")


def build_failing(fw: Any) -> Any:
    class FallbackRouter(fw.APIRouter):  # type: ignore[name-defined,misc]
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            PICKED.set("by router")
            await super().__call__(scope, receive, send)

    async def passthrough(request: Any, call_next: Any) -> Any:
        PICKED.set("by middleware")
        return await call_next(request)

    app = fw.FastAPI()
    app.router = FallbackRouter(dependency_overrides_provider=app)
    app.add_middleware(BaseHTTPMiddleware, dispatch=passthrough)

    @app.exception_handler(Exception)
    async def server_error(request: Any, exc: Exception) -> Any:
        return fw.JSONResponse({"picked": PICKED.get(), "seen": SEEN.get()}, status_code=500)

    @app.get("/fails")
    async def fails() -> None:
        SEEN.set("by endpoint")
        raise RuntimeError("unhandled")

    return app


def test_router_call_override_server_error_handler_sees_outer_context(both: Any) -> None:
    """Behind a BaseHTTPMiddleware (cadwyn's version picking), the 500 handler sees the context variables as
    FastAPI's outermost layer does: the middleware's, not those the router class or the endpoint set."""
    bodies = []
    for fw in both.values():
        client = fw.TestClient(build_failing(fw), raise_server_exceptions=False)
        response = client.get("/fails")
        bodies.append((response.status_code, response.json()))
    assert bodies[0] == bodies[1] == (500, {"picked": "by middleware", "seen": "unset"})
