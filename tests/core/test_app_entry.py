"""The application's entry routes a plain request itself (no middleware, telemetry idle), and only while nothing
between it and the compiled router could tell: whatever is put in between later sees every request."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from starlette.routing import Router
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send

from vivace import Request, Vivace
from vivace.exceptions import HTTPException


def _app(package: str = "vivace") -> Any:
    app = importlib.import_module(package).FastAPI()

    @app.get("/hello")
    async def hello() -> dict[str, str]:
        return {"message": "Hello World"}

    @app.get("/items/{item_id}")
    async def item(item_id: int, request: Request) -> dict[str, Any]:
        scope = request.scope
        return {
            "item_id": item_id,
            "app": scope["app"] is request.app,
            "router": scope["router"] is request.app.router,
            "route": scope["route"].path,
            "endpoint": scope["endpoint"].__name__,
            "path_params": scope["path_params"],
            "handlers": sorted(map(str, scope["starlette.exception_handlers"][1])),
        }

    @app.get("/teapot")
    async def teapot() -> None:
        raise HTTPException(status_code=418, detail="short and stout")

    return app


class Recorder:
    """An ASGI layer that notes the path of every request passing through it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.paths: list[str] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.paths.append(scope.get("path", ""))
        await self.app(scope, receive, send)


@pytest.mark.parametrize("package", ["vivace", "fastapi"])
def test_scope_seen_by_an_endpoint_matches_fastapi(package: str) -> None:
    """An endpoint taking the Request sees the app, router, route, endpoint, path params and handler table."""
    response = TestClient(_app(package)).get("/items/3")
    assert response.json() == {
        "item_id": 3, "app": True, "router": True, "route": "/items/{item_id}", "endpoint": "item",
        "path_params": {"item_id": "3"}, "handlers": [],
    }


@pytest.mark.parametrize("package", ["vivace", "fastapi"])
def test_errors_404_and_405_are_answered_as_in_fastapi(package: str) -> None:
    """HTTPException, an unknown path and a known path with the wrong method (HEAD included) get FastAPI's answers."""
    client = TestClient(_app(package))
    assert client.get("/teapot").json() == {"detail": "short and stout"}
    assert client.get("/nowhere").status_code == 404
    refused = client.post("/hello")
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET")
    assert client.head("/hello").status_code == 405


def test_a_layer_rewrapped_inside_the_stack_sees_later_requests() -> None:
    """A library that rewraps the built stack's inner app after the first request is passed every later one."""
    app = _app()
    client = TestClient(app)
    assert client.get("/hello").status_code == 200
    recorder = Recorder(app.middleware_stack.app)
    app.middleware_stack.app = recorder
    assert client.get("/hello").json() == {"message": "Hello World"}
    assert client.get("/items/1").status_code == 200
    assert recorder.paths == ["/hello", "/items/1"]


def test_a_replaced_middleware_stack_is_used() -> None:
    """A stack assigned to `app.middleware_stack` (as instrumentations do) serves the following requests."""
    app = _app()
    client = TestClient(app)
    client.get("/hello")
    recorder = Recorder(app.middleware_stack)
    app.middleware_stack = recorder
    assert client.get("/hello").status_code == 200
    assert recorder.paths == ["/hello"]


def test_a_router_class_with_its_own_call_routes_every_request() -> None:
    """A router subclass overriding `__call__` (cadwyn's versioned router) is called for each request."""
    seen: list[str] = []

    class CountingRouter(Router):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["path"])
            await super().__call__(scope, receive, send)

    app = _app()
    app.router.__class__ = type("VersionedRouter", (CountingRouter, type(app.router)), {})
    client = TestClient(app)
    assert client.get("/hello").json() == {"message": "Hello World"}
    assert client.get("/hello").status_code == 200
    assert seen == ["/hello", "/hello"]


def test_routes_and_overrides_added_after_the_first_request_are_served() -> None:
    """A route declared and a dependency overridden after requests were served take effect on the next request."""
    app = _app()
    client = TestClient(app)
    client.get("/hello")

    @app.get("/later")
    async def later() -> str:
        return "later"

    assert client.get("/later").json() == "later"
    assert client.get("/hello").json() == {"message": "Hello World"}


def test_body_limit_of_the_app_applies_to_routes_served_directly() -> None:
    """With `max_body_size`, a request whose declared body is too large is refused (the limits layer stays)."""
    app = Vivace(max_body_size=10)

    @app.post("/echo")
    async def echo(request: Request) -> int:
        return len(await request.body())

    client = TestClient(app)
    assert client.post("/echo", content=b"12345").json() == 5
    assert client.post("/echo", content=b"x" * 100).status_code == 413
