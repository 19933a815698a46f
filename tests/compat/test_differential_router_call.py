"""An application router whose class overrides `__call__` routes every request through it, as in FastAPI.

cadwyn replaces `app.router` with such a router: its `__call__` picks the routes of the requested API version and
records the version in the scope, where endpoints and middleware read it.
"""

from typing import Any

import pytest


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
