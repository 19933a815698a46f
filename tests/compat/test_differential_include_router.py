"""`include_router` keeps the link: routes added to a router after it was included are served, as in FastAPI."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket

Framework = Any  # the `fw` namespace of tests/compat/conftest.py


def test_route_added_after_include(same: Callable[..., Any]) -> None:
    """A later route gets the include's prefix, tags, dependencies and responses, is served and documented."""

    def build(fw: Framework) -> Any:
        def require_key(x_key: str | None = fw.Header(default=None)) -> None:
            if x_key != "k":
                raise fw.HTTPException(status_code=401, detail="key please")

        def stamp(response: Response) -> None:
            response.headers["x-stamp"] = "router"

        router = fw.APIRouter(prefix="/items", tags=["items"], dependencies=[fw.Depends(stamp)])

        @router.get("/")
        def list_items() -> list[str]:
            return ["a"]

        app = fw.FastAPI()
        app.include_router(
            router, prefix="/v1", tags=["v1"], dependencies=[fw.Depends(require_key)],
            responses={418: {"description": "Teapot"}},
        )

        @router.get("/{item_id}", responses={404: {"description": "Missing"}})
        def read_item(item_id: int) -> dict[str, int]:
            return {"item_id": item_id}

        @router.post("/", status_code=201)
        def create_item(name: str) -> dict[str, str]:
            return {"name": name}

        return app

    key = {"headers": {"x-key": "k"}}
    same(
        build,
        ("GET /v1/items/", key),
        ("GET /v1/items/3", key),
        "GET /v1/items/3",
        ("GET /v1/items/x", key),
        ("POST /v1/items/?name=n", key),
        ("PUT /v1/items/3", key),
        "GET /items/3",
        "GET /openapi.json",
    )


def test_nested_includes_stay_linked(same: Callable[..., Any]) -> None:
    """A route added to the innermost router reaches the app through every level, with every prefix."""

    def build(fw: Framework) -> Any:
        inner = fw.APIRouter(prefix="/inner", tags=["inner"])
        middle = fw.APIRouter(prefix="/middle")
        app = fw.FastAPI()
        middle.include_router(inner, prefix="/i", tags=["i"])
        app.include_router(middle, prefix="/m", tags=["m"])
        late = fw.APIRouter()
        middle.include_router(late, prefix="/late")

        @inner.get("/ping")
        def ping() -> str:
            return "pong"

        @late.get("/ping")
        def late_ping() -> str:
            return "late pong"

        return app

    same(build, "GET /m/middle/i/inner/ping", "GET /m/middle/late/ping", "GET /openapi.json")


def test_router_included_twice(same: Callable[..., Any]) -> None:
    """A router included under two prefixes serves a later route under both, each with its own settings."""

    def build(fw: Framework) -> Any:
        router = fw.APIRouter()
        app = fw.FastAPI()
        app.include_router(router, prefix="/v1", tags=["v1"])
        app.include_router(router, prefix="/v2", tags=["v2"], deprecated=True)

        @router.get("/users/{user_id}")
        def read_user(user_id: int) -> dict[str, int]:
            return {"user_id": user_id}

        return app

    same(build, "GET /v1/users/1", "GET /v2/users/2", "GET /users/3", "GET /openapi.json")


def test_router_included_after_its_parent_was(same: Callable[..., Any]) -> None:
    """Including a child into a router that is already part of the app adds the child's routes to the app."""

    def build(fw: Framework) -> Any:
        parent = fw.APIRouter()
        app = fw.FastAPI()
        app.include_router(parent, prefix="/api")
        child = fw.APIRouter()

        @child.get("/health")
        def health() -> dict[str, bool]:
            return {"ok": True}

        parent.include_router(child, prefix="/child")
        return app

    same(build, "GET /api/child/health", "GET /child/health", "GET /openapi.json")


def test_served_requests_see_later_routes(fw: Framework) -> None:
    """An app that already answered requests serves a route added afterwards (it recompiles)."""
    router = fw.APIRouter()
    app = fw.FastAPI()
    app.include_router(router, prefix="/r")
    client = fw.TestClient(app)
    assert client.get("/r/late").status_code == 404

    @router.get("/late")
    def late() -> str:
        return "here"

    assert client.get("/r/late").json() == "here"


def test_later_starlette_routes_and_websockets(fw: Framework) -> None:
    """Plain Starlette routes, mounts and WebSocket routes added after the include are served too."""
    router = fw.APIRouter()
    app = fw.FastAPI()
    app.include_router(router, prefix="/r")

    async def plain(request: Request) -> PlainTextResponse:
        return PlainTextResponse("plain")

    router.add_route("/plain", plain)
    router.mount("/sub", fw.FastAPI())

    @router.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("socket")
        await websocket.close()

    client = fw.TestClient(app)
    assert client.get("/r/plain").text == "plain"
    assert client.get("/r/sub/openapi.json").status_code == 200
    with client.websocket_connect("/r/ws") as websocket:
        assert websocket.receive_text() == "socket"


def test_frontend_added_after_include(same: Callable[..., Any], tmp_path: Path) -> None:
    """A frontend declared on a router after its inclusion is served under the include's prefix."""
    (tmp_path / "index.html").write_text("shell")

    def build(fw: Framework) -> Any:
        router = fw.APIRouter()
        app = fw.FastAPI()
        app.include_router(router, prefix="/ui")
        router.frontend("/", directory=tmp_path, fallback="index.html")
        return app

    same(build, ("GET /ui/page", {"headers": {"accept": "text/html"}}), "GET /ui/index.html", "GET /page")


def test_cycles_are_rejected(fw: Framework) -> None:
    """A router cannot include itself, nor a router that already includes it."""
    outer = fw.APIRouter()
    inner = fw.APIRouter()
    outer.include_router(inner)
    with pytest.raises(AssertionError):
        outer.include_router(outer)
    with pytest.raises(AssertionError):
        inner.include_router(outer)
