"""Starlette's ASGI contracts that instrumentation and auth libraries rely on, on vivace and FastAPI side by side.

The middleware stack as `build_middleware_stack()` returns it (tracing libraries take it apart and rewrap it), the
keys Starlette's app, router and exception middleware put in the scope, and the handler table libraries read and
extend through `scope["starlette.exception_handlers"]`.
"""

from __future__ import annotations

import importlib
import types
from typing import Any

import pytest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.routing import Match
from starlette.testclient import TestClient
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

#: the keys Starlette's application, router and exception middleware set, as a request's endpoint sees them
STARLETTE_KEYS = ("app", "router", "route", "endpoint", "path_params", "root_path", "state")
HANDLERS_KEY = "starlette.exception_handlers"


class Boom(Exception):
    """An exception no handler takes."""


class Refused(Exception):
    """An exception a dependency registers a handler for, through the scope, before raising it."""


def instrument(app: Any, seen: list[tuple[str, str | None, str | None]]) -> None:
    """What tracing instrumentation does: wrap `build_middleware_stack`, take the outer `ServerErrorMiddleware`
    apart, and put a recording layer around what it held, inside a new one with the same handler and debug."""
    original = app.build_middleware_stack

    def build(self: Any) -> ASGIApp:
        inner = original()
        assert isinstance(inner, ServerErrorMiddleware), type(inner)

        async def record(scope: Scope, receive: Receive, send: Send) -> None:
            error = None
            try:
                await inner.app(scope, receive, send)
            except Exception as exc:
                error = type(exc).__name__
                raise
            finally:
                route = scope.get("route")
                seen.append((scope["path"], getattr(route, "path", None), error))

        return ServerErrorMiddleware(record, handler=inner.handler, debug=inner.debug)

    app.build_middleware_stack = types.MethodType(build, app)


def routes_app(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    @app.get("/missing")
    async def missing() -> None:
        raise fw.HTTPException(status_code=404, detail="nope")

    @app.get("/boom")
    async def boom() -> None:
        raise Boom("unhandled")

    return app


@pytest.mark.parametrize("with_middleware", [False, True])
def test_wrapped_stack_sees_every_request_route_and_error(both: dict[str, Any], with_middleware: bool) -> None:
    """Instrumentation wrapping build_middleware_stack sees each request with its route and unhandled error."""
    results = {}
    for name, fw in both.items():
        app = routes_app(fw)
        if with_middleware:

            @app.middleware("http")
            async def passthrough(request: Any, call_next: Any) -> Any:
                return await call_next(request)

        seen: list[tuple[str, str | None, str | None]] = []
        instrument(app, seen)
        client = TestClient(app, raise_server_exceptions=False)
        statuses = [client.get(path).status_code for path in ("/items/3", "/missing", "/nowhere", "/boom")]
        results[name] = (statuses, seen)
    assert results["vivace"] == results["fastapi"]
    assert results["vivace"][1][-1] == ("/boom", "/boom", "Boom")


def test_uninstrumented_stack_has_starlettes_shape(fw: Any) -> None:
    """build_middleware_stack() returns a ServerErrorMiddleware; user_middleware lists what add_middleware added."""
    app = routes_app(fw)

    class Layer:
        def __init__(self, app: ASGIApp, tag: str) -> None:
            self.app = app
            self.tag = tag

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    assert app.middleware_stack is None
    assert isinstance(app.build_middleware_stack(), ServerErrorMiddleware)
    app.add_middleware(Layer, tag="a")
    assert [(m.cls, m.kwargs) for m in app.user_middleware] == [(Layer, {"tag": "a"})]
    with TestClient(app) as client:
        assert client.get("/items/1").json() == {"item_id": 1}
        assert isinstance(app.middleware_stack, ServerErrorMiddleware)
        with pytest.raises(RuntimeError, match="Cannot add middleware after an application has started"):
            app.add_middleware(Layer, tag="b")


def _keys_app(fw: Any, seen: dict[str, Any]) -> Any:
    app = fw.FastAPI()

    class PureASGI:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen["middleware before"] = sorted(k for k in (*STARLETTE_KEYS, HANDLERS_KEY) if k in scope)
            await self.app(scope, receive, send)
            seen["middleware after"] = sorted(k for k in (*STARLETTE_KEYS, HANDLERS_KEY) if k in scope)

    app.add_middleware(PureASGI)

    @app.get("/users/{user_id}")
    async def user(user_id: str, request: Request) -> dict[str, Any]:
        scope = request.scope
        seen["endpoint"] = sorted(k for k in (*STARLETTE_KEYS, HANDLERS_KEY) if k in scope)
        by_class, by_status = scope[HANDLERS_KEY]
        return {
            "app is app": scope["app"] is app,
            "router is app.router": scope["router"] is app.router,
            "route": scope["route"].path,
            "endpoint is user": scope["endpoint"] is user,
            "path_params": scope["path_params"],
            "root_path": scope["root_path"],
            "HTTPException handled": StarletteHTTPException in by_class,
            "status handlers": sorted(by_status),
        }

    return app


def test_scope_keys_seen_by_pure_asgi_middleware_and_endpoint(both: dict[str, Any]) -> None:
    """The endpoint and a pure ASGI middleware (after the call) see the same Starlette scope keys and values."""
    results = {}
    for name, fw in both.items():
        seen: dict[str, Any] = {}
        body = TestClient(_keys_app(fw, seen)).get("/users/ada").json()
        results[name] = (body, seen)
    assert results["vivace"] == results["fastapi"]
    assert results["vivace"][1]["endpoint"] == sorted((*STARLETTE_KEYS, HANDLERS_KEY))


def test_websocket_scope_has_route_and_endpoint(both: dict[str, Any]) -> None:
    """A WebSocket endpoint finds its route, endpoint and path parameters in the scope."""
    results = {}
    for name, fw in both.items():
        app = fw.FastAPI()

        @app.websocket("/ws/{room}")
        async def chat(websocket: WebSocket, room: str) -> None:
            await websocket.accept()
            scope = websocket.scope
            await websocket.send_json(
                [scope["route"].path, scope["endpoint"] is chat, scope["path_params"], HANDLERS_KEY in scope]
            )
            await websocket.close()

        with TestClient(app).websocket_connect("/ws/blue") as ws:
            results[name] = ws.receive_json()
    assert results["vivace"] == results["fastapi"] == ["/ws/{room}", True, {"room": "blue"}, True]


def _handlers_app(fw: Any) -> Any:
    app = fw.FastAPI()

    @app.exception_handler(418)
    async def teapot(request: Any, exc: Any) -> Any:
        return fw.JSONResponse({"teapot": exc.detail}, status_code=418)

    async def refuse(request: Request) -> None:
        by_class, _ = request.scope[HANDLERS_KEY]
        if Refused not in by_class:  # NOTE: as an auth library does when the app registered no handler of its own

            async def refused(request: Any, exc: Refused) -> Any:
                return fw.JSONResponse({"refused": str(exc)}, status_code=401)

            by_class[Refused] = refused
        raise Refused("no token")

    @app.get("/refuse", dependencies=[fw.Depends(refuse)])
    async def refused_route() -> None:
        return None

    @app.get("/via-table")
    async def via_table(request: Request) -> Any:
        by_class, by_status = request.scope[HANDLERS_KEY]
        answer = await by_status[418](request, fw.HTTPException(status_code=418, detail="short"))
        default = await by_class[StarletteHTTPException](request, fw.HTTPException(status_code=409, detail="x"))
        return fw.JSONResponse({"418": answer.body.decode(), "default": [default.status_code, default.body.decode()]})

    @app.get("/teapot")
    async def teapot_route() -> None:
        raise fw.HTTPException(status_code=418, detail="stout")

    return app


@pytest.mark.parametrize("path", ["/refuse", "/refuse", "/via-table", "/teapot"])
def test_handlers_read_and_added_through_the_scope(same: Any, path: str) -> None:
    """Handlers fetched from scope["starlette.exception_handlers"] answer as registered; one added there answers."""
    same(_handlers_app, f"GET {path}")


def _table_after_refusal(fw: Any) -> tuple[int, Any, bool]:
    """Refuse once (a handler gets added through the scope), then look for it in a later request's table."""
    app = _handlers_app(fw)
    client = TestClient(app)
    first = client.get("/refuse")
    by_class: dict[Any, Any] = {}

    @app.get("/table")
    async def table(request: Request) -> dict[str, bool]:
        by_class.update(request.scope[HANDLERS_KEY][0])
        return {}

    client.get("/table")
    return first.status_code, first.json(), Refused in by_class


def test_handler_added_through_the_scope_stays_for_later_requests(both: dict[str, Any]) -> None:
    """A handler a library adds to the scope's table answers later requests too, as Starlette's shared dict does."""
    results = {name: _table_after_refusal(fw) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"] == (401, {"refused": "no token"}, True)


def _mounted_lifespan(fw: Any) -> tuple[list[str], Any]:
    """The lifespan events of an app with a mounted app, and what the mounted app finds in scope["app"]."""
    events: list[str] = []
    inner = fw.FastAPI()

    @inner.get("/who")
    async def who(request: Request) -> dict[str, bool]:
        return {"inner": request.scope["app"] is inner}

    outer = fw.FastAPI(on_startup=[lambda: events.append("start")], on_shutdown=[lambda: events.append("stop")])
    outer.mount("/sub", inner)
    with TestClient(outer) as client:
        body = client.get("/sub/who").json()
    return events, body


def test_lifespan_and_scope_app_through_starlette_call(both: dict[str, Any]) -> None:
    """Starlette.__call__: lifespan runs the app's startup and shutdown; scope["app"] is the app, in a mount too."""
    results = {name: _mounted_lifespan(fw) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"] == (["start", "stop"], {"inner": True})


def _tracing_layer_class() -> type:
    """A stand-in with the module and name of OpenTelemetry's ASGI instrumentation layer (not installed here)."""

    class OpenTelemetryMiddleware:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    OpenTelemetryMiddleware.__module__ = "opentelemetry.instrumentation.asgi"
    return OpenTelemetryMiddleware


def test_instrumentation_inside_the_stack_turns_the_apps_own_spans_off() -> None:
    """As in FastAPI 0.165: an instrumentor's ASGI layer inside the stack means the app records no spans itself."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import vivace

    exporter = InMemorySpanExporter()
    provider = TracerProvider(shutdown_on_exit=False)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    layer = _tracing_layer_class()
    names = []
    for instrumented in (False, True):
        app = vivace.FastAPI(telemetry={"tracer_provider": provider, "metrics": False, "logs": False})

        @app.get("/ping")
        async def ping() -> dict[str, bool]:
            return {"pong": True}

        if instrumented:
            original = app.build_middleware_stack

            def build(self: Any, original: Any = original) -> ASGIApp:
                inner = original()
                return ServerErrorMiddleware(layer(inner.app), handler=inner.handler, debug=inner.debug)

            app.build_middleware_stack = types.MethodType(build, app)
        assert TestClient(app).get("/ping").json() == {"pong": True}
        names.append(sorted(span.name for span in exporter.get_finished_spans()))
        exporter.clear()
    provider.shutdown()
    assert "GET /ping" in names[0]
    assert names[1] == []


def _through_patched_starlette_call(fw: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], int]:
    """Patch Starlette.__call__ as an error reporter does; which requests (and lifespan) pass through it."""
    from starlette.applications import Starlette

    original = Starlette.__call__
    seen: list[str] = []

    async def reporting_call(self: Any, scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(f"{scope['type']} {scope.get('path', '')}")
        await original(self, scope, receive, send)

    monkeypatch.setattr(Starlette, "__call__", reporting_call)
    app = routes_app(fw)
    with TestClient(app) as client:
        status = client.get("/items/7").status_code
    monkeypatch.undo()
    return [entry for entry in seen if not entry.startswith("lifespan")], status


def test_requests_pass_through_a_patched_starlette_call(both: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """A wrapper patched onto Starlette.__call__ (sentry-sdk's) sees every request, and the app still answers."""
    results = {name: _through_patched_starlette_call(fw, monkeypatch) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"] == (["http /items/7"], 200)


def _contexts_matched(fw: Any) -> list[str]:
    """Match a scope against every route context, as tracing instrumentation names a request's route."""
    calls: list[str] = []

    routing = importlib.import_module(f"{fw.name}.routing")

    class Watching(routing.APIRoute):  # type: ignore[name-defined,misc]
        def matches(self, scope: Scope) -> Any:
            calls.append(self.path)
            return super().matches(scope)

    app = fw.FastAPI()
    router = fw.APIRouter(route_class=Watching)

    @router.get("/inner")
    async def inner() -> None:
        return None

    app.include_router(router, prefix="/p")
    scope = {"type": "http", "path": "/p/inner", "method": "GET", "root_path": "", "headers": []}
    found = [c.path for c in routing.iter_route_contexts(app.routes) if c.matches(scope)[0] is Match.FULL]
    return [*found, *calls]


def test_included_route_context_matches_without_the_route_classs_override(both: dict[str, Any]) -> None:
    """iter_route_contexts: an included route matches by path and methods; its class's `matches` is not called."""
    results = {name: _contexts_matched(fw) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"] == ["/p/inner"]


def _exception_before_response(fw: Any) -> tuple[list[str], int, bytes]:
    """Rewrap the stack with a tracing layer (OpenTelemetry's name) that logs messages and exceptions in order."""
    base = _tracing_layer_class()
    log: list[str] = []

    class Tracing(base):  # type: ignore[misc,valid-type]
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def logging_send(message: Any) -> None:
                log.append(message["type"])
                await send(message)

            try:
                await self.app(scope, receive, logging_send)
            except Boom:
                log.append("raised Boom")
                raise

    Tracing.__module__ = base.__module__
    Tracing.__name__ = base.__name__
    app = routes_app(fw)
    original = app.build_middleware_stack

    def build(self: Any) -> ASGIApp:
        inner = original()
        return ServerErrorMiddleware(Tracing(inner.app), handler=inner.handler, debug=inner.debug)

    app.build_middleware_stack = types.MethodType(build, app)
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    return log, response.status_code, response.content


def test_instrumentation_sees_an_unhandled_exception_before_the_500(both: dict[str, Any]) -> None:
    """In a stack holding OpenTelemetry's layer, the exception reaches it before the 500 (its span records it)."""
    results = {name: _exception_before_response(fw) for name, fw in both.items()}
    assert results["vivace"] == results["fastapi"]
    assert results["vivace"][0] == ["raised Boom"]
