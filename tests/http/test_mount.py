"""Mounting: vivace and plain ASGI sub-applications, root_path behind a proxy, request.state, lifespan."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from vivace import FastAPI, HTTPException, Request, Response
from vivace.testclient import TestClient


def sub_application() -> FastAPI:
    sub = FastAPI()

    @sub.middleware("http")
    async def tag(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["X-Sub"] = "yes"
        return response

    @sub.exception_handler(KeyError)
    async def missing(request: Request, exc: KeyError) -> Response:
        return Response("sub handled", status_code=418)

    @sub.get("/items/{item_id}")
    async def item(item_id: int, request: Request) -> dict[str, Any]:
        if item_id == 0:
            raise KeyError(item_id)
        return {
            "item_id": item_id,
            "root_path": request.scope["root_path"],
            "url": str(request.url_for("item", item_id=item_id)),
        }

    return sub


async def plain_asgi(scope: Any, receive: Any, send: Any) -> None:
    body = f"{scope['root_path']}|{scope['path']}".encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": body})


def main_app() -> FastAPI:
    app = FastAPI()
    app.mount("/sub", sub_application())
    app.mount("/raw", plain_asgi)

    @app.get("/here")
    async def here(request: Request) -> dict[str, str]:
        return {"url": str(request.url_for("here")), "root_path": request.scope.get("root_path", "")}

    return app


def test_mounted_vivace_app_keeps_its_middleware_and_handlers() -> None:
    """A sub-application answers under its prefix with its own middleware and exception handlers."""
    client = TestClient(main_app())
    response = client.get("/sub/items/3")
    assert response.json() == {"item_id": 3, "root_path": "/sub", "url": "http://testserver/sub/items/3"}
    assert response.headers["x-sub"] == "yes"
    teapot = client.get("/sub/items/0")
    assert (teapot.status_code, teapot.text) == (418, "sub handled")
    assert client.get("/sub/nothing").status_code == 404
    assert "x-sub" not in client.get("/here").headers


def test_mounted_plain_asgi_app_gets_the_prefix_as_root_path() -> None:
    """A raw ASGI app sees the mount prefix in root_path and the full path in path."""
    assert TestClient(main_app()).get("/raw/a/b").text == "/raw|/raw/a/b"


def test_root_path_behind_a_proxy() -> None:
    """With the server's root_path, URLs built by the app carry the proxy prefix."""
    client = TestClient(main_app(), root_path="/api/v1")
    assert client.get("/api/v1/here").json() == {"url": "http://testserver/api/v1/here", "root_path": "/api/v1"}
    sub = client.get("/api/v1/sub/items/5").json()
    assert (sub["root_path"], sub["url"]) == ("/api/v1/sub", "http://testserver/api/v1/sub/items/5")


def test_request_state_is_per_request_and_lifespan_state_is_shared() -> None:
    """request.state starts empty for each request; lifespan state appears in every request's state."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[dict[str, Any]]:
        yield {"pool": "ready"}

    app = FastAPI(lifespan=lifespan)

    @app.middleware("http")
    async def stamp(request: Request, call_next: Any) -> Response:
        request.state.user = request.headers.get("x-user")
        response: Response = await call_next(request)
        return response

    @app.get("/state")
    async def state(request: Request) -> dict[str, Any]:
        if getattr(request.state, "seen", False):
            raise HTTPException(500, "state leaked between requests")
        request.state.seen = True
        return {"user": request.state.user, "pool": request.state.pool}

    with TestClient(app) as client:
        assert client.get("/state", headers={"x-user": "ann"}).json() == {"user": "ann", "pool": "ready"}
        assert client.get("/state").json() == {"user": None, "pool": "ready"}


def test_startup_and_shutdown_events_run_in_order() -> None:
    """Lifespan enter/exit wrap the app's serving time; app.state set at startup is visible to requests."""
    events: list[str] = []

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        app.state.greeting = "hello"
        yield
        events.append("shutdown")

    app = FastAPI(lifespan=lifespan)

    @app.get("/")
    async def root(request: Request) -> dict[str, str]:
        events.append("request")
        return {"greeting": request.app.state.greeting}

    with TestClient(app) as client:
        assert client.get("/").json() == {"greeting": "hello"}
    assert events == ["startup", "request", "shutdown"]
