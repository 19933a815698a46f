"""Routes whose runner reads no routing key (`Found.unread`): the application leaves scope["app"], ["router"],
["route"], ["endpoint"], ["path_params"] and the handler table out of a successful request's scope, and writes them
before anything that could read them sees the scope: exception handlers, the 500 handler, a returned Response.

Each case compares what that code saw with what it sees under FastAPI 0.165.
"""

from __future__ import annotations

import asyncio
from typing import Any

import fastapi
import pytest
from starlette.requests import Request
from starlette.testclient import TestClient
from starlette.types import Receive, Scope, Send

import vivace

_KEYS = ("app", "starlette.exception_handlers", "router", "path_params", "route", "endpoint")


def _seen(scope: Scope, app: Any) -> dict[str, Any]:
    """The routing keys of `scope` as comparable values (the app and router by identity, the route by path)."""
    return {
        "order": [key for key in scope if key in _KEYS],
        "app": scope.get("app") is app,
        "router": scope.get("router") is app.router,
        "handlers": isinstance(scope.get("starlette.exception_handlers"), tuple),
        "path_params": scope.get("path_params"),
        "route": getattr(scope.get("route"), "path", None),
        "endpoint": getattr(scope.get("endpoint"), "__name__", None),
    }


def _build(fw: Any, seen: list[dict[str, Any]]) -> Any:
    """An app of routes taking no input (answered without the routing keys on vivace) and a few that do."""
    app = fw.FastAPI()
    _add_handlers(fw, app, seen)
    _add_failing_routes(fw, app)
    _add_recording_routes(fw, app, seen)
    return app


def _add_handlers(fw: Any, app: Any, seen: list[dict[str, Any]]) -> None:
    """Exception handlers recording the scope they are given."""

    @app.exception_handler(fw.HTTPException)
    async def on_http(request: Any, exc: Any) -> Any:
        seen.append(_seen(request.scope, app))
        return fw.responses.JSONResponse({"status": exc.status_code}, status_code=exc.status_code)

    @app.exception_handler(fw.exceptions.RequestValidationError)
    async def on_invalid(request: Any, exc: Any) -> Any:
        seen.append(_seen(request.scope, app))
        return fw.responses.JSONResponse({"invalid": True}, status_code=422)

    @app.exception_handler(Exception)
    async def on_error(request: Any, exc: Exception) -> Any:
        seen.append(_seen(request.scope, app))
        return fw.responses.JSONResponse({"error": type(exc).__name__}, status_code=500)


def _add_failing_routes(fw: Any, app: Any) -> None:
    """Routes refused by a dependency, failing validation, or failing with no handler of their own."""

    class Teapot(Exception):
        pass

    async def refuse() -> None:
        raise fw.HTTPException(status_code=403)

    @app.get("/refused", dependencies=[fw.Depends(refuse)])
    async def refused() -> dict[str, str]:
        return {"ok": "no"}

    @app.get("/invalid")
    async def invalid() -> dict[str, str]:
        raise fw.exceptions.RequestValidationError([])

    @app.get("/query")
    async def query(n: int) -> dict[str, int]:
        return {"n": n}

    @app.get("/broken")
    async def broken() -> dict[str, str]:
        raise Teapot


def _add_recording_routes(fw: Any, app: Any, seen: list[dict[str, Any]]) -> None:
    """Successful routes: plain, returning a Response that records its scope, or with a dependency on the Request."""

    class Recording(fw.responses.JSONResponse):  # type: ignore[misc]
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(_seen(scope, app))
            await super().__call__(scope, receive, send)

    def record(request: Request) -> None:
        seen.append(_seen(request.scope, app))

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/response")
    async def response() -> Any:
        return Recording({"ok": "yes"})

    @app.get("/with-request", dependencies=[fw.Depends(record)])
    async def with_request() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> Any:
        return Recording({"id": item_id})


_STATUS = {
    "/response": 200, "/refused": 403, "/invalid": 422, "/query?n=x": 422, "/broken": 500, "/with-request": 200,
    "/items/3": 200,
}


@pytest.mark.parametrize("path", list(_STATUS))
def test_code_that_reads_the_scope_sees_the_routing_keys_as_under_fastapi(path: str) -> None:
    """Exception handlers (HTTPException from a dependency, a 422, the 500 handler), a dependency taking the
    Request and a returned Response see the same routing keys, in the same order, as under FastAPI."""
    results = []
    for fw in (vivace, fastapi):
        seen: list[dict[str, Any]] = []
        app = _build(_Namespace(fw), seen)
        with TestClient(app, raise_server_exceptions=False) as client:
            client.get("/plain")  # NOTE: the first request compiles the routes; the second takes the direct path
            first = client.get(path)
            seen.clear()
            second = client.get(path)
        results.append((first.status_code, second.status_code, second.content, seen))
    assert results[0][1] == _STATUS[path]
    # NOTE: the order of the keys is vivace's own (the usual path's: FastAPI writes the match's keys in another)
    orders = [entry.pop("order") for entry in results[0][3]]
    assert orders == [list(_KEYS)] * len(orders)
    for entry in results[1][3]:
        entry.pop("order")
    assert results[0] == results[1]
    assert results[0][3], "nothing recorded the scope"


class _Namespace:
    """A framework's names as attributes (`fw.FastAPI`, `fw.responses`...)."""

    def __init__(self, package: Any) -> None:
        self.FastAPI = package.FastAPI
        self.HTTPException = package.HTTPException
        self.Depends = package.Depends
        self.responses = package.responses
        self.exceptions = package.exceptions


def _serve(app: Any, path: str, requests: int = 2) -> tuple[Scope, list[dict[str, Any]]]:
    """The scope of the last of `requests` GETs of `path` sent straight to `app`, and the messages sent."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> Scope:
        scope: Scope = {}
        for _ in range(requests):
            sent.clear()
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
                "headers": [(b"host", b"test")], "server": ("test", 80), "client": ("c", 1),
            }
            await app(scope, receive, send)
        return scope

    return asyncio.run(run()), sent


def test_a_route_taking_no_input_is_answered_without_the_routing_keys() -> None:
    """The optimisation itself: a successful request to a no-input route leaves the routing keys out."""
    app = _build(_Namespace(vivace), [])
    scope, sent = _serve(app, "/plain")
    assert sent[0]["status"] == 200 and sent[1]["body"] == b'{"ok":"yes"}'
    assert [key for key in scope if key in _KEYS] == []


def test_routes_that_may_read_the_scope_get_the_routing_keys() -> None:
    """A route with path parameters, or one whose dependency takes the Request, gets every key on success."""
    for path in ("/items/3", "/with-request"):
        scope, sent = _serve(_build(_Namespace(vivace), []), path)
        assert sent[0]["status"] == 200
        assert [key for key in scope if key in _KEYS] == list(_KEYS)


def test_an_unhandled_error_reaches_the_server_after_the_500() -> None:
    """With no handler for it, an error of a no-input route is answered with a 500, then raised for the server."""
    app = vivace.FastAPI()

    @app.get("/plain")
    async def plain() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/boom")
    async def boom() -> dict[str, str]:
        raise LookupError("boom")

    _serve(app, "/plain", requests=1)
    with pytest.raises(LookupError):
        _serve(app, "/boom", requests=1)
