"""Router-scoped exception handlers: `APIRouter(exception_handlers=...)`, `@router.exception_handler(...)`."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.websockets import WebSocketDisconnect

from vivace import APIRouter, Depends, FastAPI, HTTPException, Request, WebSocket
from vivace.exceptions import RequestValidationError
from vivace.responses import JSONResponse, PlainTextResponse
from vivace.routing import APIRoute
from vivace.testclient import TestClient


class Refused(Exception):
    """An application error the tests' handlers answer."""


def answer(label: str, status: int = 400) -> Any:
    """A handler answering `label: <exception>` with `status`."""

    async def handler(request: Request, exc: Exception) -> PlainTextResponse:
        return PlainTextResponse(f"{label}: {exc}", status_code=status)

    return handler


async def refuse() -> None:
    raise Refused("no")


def test_router_handler_answers_its_routes_and_leaves_the_others_alone() -> None:
    """A handler on a router answers that router's routes; the app's other routes keep the app's 500 path."""
    router = APIRouter(prefix="/r", exception_handlers={Refused: answer("router")})
    router.get("/x")(refuse)
    app = FastAPI()
    app.include_router(router)
    app.get("/y")(refuse)
    client = TestClient(app, raise_server_exceptions=False)
    assert (client.get("/r/x").status_code, client.get("/r/x").text) == (400, "router: no")
    assert (client.get("/y").status_code, client.get("/y").text) == (500, "Internal Server Error")


def test_router_handler_wins_over_the_apps_for_its_routes() -> None:
    """For the same exception class, the router's handler answers its routes, the app's answers the rest."""
    router = APIRouter()
    router.get("/in")(refuse)

    @router.exception_handler(Refused)
    async def router_handler(request: Request, exc: Refused) -> JSONResponse:
        return JSONResponse({"by": "router", "path": request.url.path}, status_code=409)

    app = FastAPI(exception_handlers={Refused: answer("app", 418)})
    app.include_router(router)
    app.get("/out")(refuse)
    client = TestClient(app)
    assert client.get("/in").json() == {"by": "router", "path": "/in"}
    assert (client.get("/out").status_code, client.get("/out").text) == (418, "app: no")


def test_status_code_handler_on_a_router() -> None:
    """A router's 404 handler answers its routes' HTTPException(404); an unknown path keeps the app's 404."""
    router = APIRouter(exception_handlers={404: answer("router 404", 404)})

    @router.get("/items/{item_id}")
    async def item(item_id: int) -> dict[str, int]:
        raise HTTPException(404, "No such item")

    app = FastAPI()
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/items/1").text == "router 404: 404: No such item"
    assert client.get("/nowhere").json() == {"detail": "Not Found"}


def test_sync_handler_runs_in_a_worker_thread() -> None:
    """A plain `def` handler is called in the thread pool, as the app's are."""
    threads: list[int] = []

    def handler(request: Request, exc: Exception) -> PlainTextResponse:
        threads.append(threading.get_ident())
        return PlainTextResponse("sync", status_code=400)

    router = APIRouter(exception_handlers={Refused: handler})
    router.get("/x")(refuse)
    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/x").text == "sync"
    assert threads and threads[0] != threading.get_ident()


def test_nested_routers_inner_handler_wins_outer_fills_in() -> None:
    """Through nested include_router, the inner router's handler wins for its key; the outer's covers the rest."""
    inner = APIRouter(prefix="/inner", exception_handlers={Refused: answer("inner")})
    inner.get("/refused")(refuse)

    @inner.get("/missing")
    async def missing() -> None:
        raise KeyError("k")

    outer = APIRouter(prefix="/outer", exception_handlers={Refused: answer("outer"), KeyError: answer("outer")})
    outer.include_router(inner)
    outer.get("/refused")(refuse)
    app = FastAPI()
    app.include_router(outer)
    client = TestClient(app)
    assert client.get("/outer/inner/refused").text == "inner: no"
    assert client.get("/outer/inner/missing").text == "outer: 'k'"
    assert client.get("/outer/refused").text == "outer: no"


def test_the_most_specific_class_wins_across_levels() -> None:
    """One merged table per route: a router's handler replaces the app's for the same key only; between different
    keys the most specific class wins, as within the app's own handlers."""
    router = APIRouter(exception_handlers={LookupError: answer("router lookup")})

    @router.get("/key")
    async def key() -> None:
        raise KeyError("k")

    @router.get("/index")
    async def index() -> None:
        raise IndexError("i")

    app = FastAPI(exception_handlers={KeyError: answer("app key")})
    app.include_router(router)
    client = TestClient(app)
    assert client.get("/key").text == "app key: 'k'"
    assert client.get("/index").text == "router lookup: i"


def test_unhandled_exception_reaches_the_apps_handlers_then_the_500_path() -> None:
    """What the router has no handler for goes to the app's handlers, and failing those to the 500 path."""
    router = APIRouter(exception_handlers={Refused: answer("router")})

    @router.get("/key")
    async def key() -> None:
        raise KeyError("k")

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app = FastAPI(exception_handlers={KeyError: answer("app")})
    app.include_router(router)
    assert TestClient(app).get("/key").text == "app: 'k'"
    with pytest.raises(RuntimeError, match="boom"):
        TestClient(app).get("/boom")
    response = TestClient(app, raise_server_exceptions=False).get("/boom")
    assert (response.status_code, response.text) == (500, "Internal Server Error")


@pytest.mark.parametrize("key", [500, Exception])
def test_router_500_handler_answers_then_the_exception_is_raised_again(key: Any) -> None:
    """A router's `500` / `Exception` handler is its routes' 500 answer: sent, then the exception goes on to the
    server (as with the app's), while the app's other routes keep the plain 500."""
    router = APIRouter(exception_handlers={key: answer("router 500", 500)})

    @router.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app = FastAPI()
    app.include_router(router)
    app.get("/plain")(boom)
    with pytest.raises(RuntimeError, match="boom"):
        TestClient(app).get("/boom")
    client = TestClient(app, raise_server_exceptions=False)
    assert (client.get("/boom").status_code, client.get("/boom").text) == (500, "router 500: boom")
    assert client.get("/plain").text == "Internal Server Error"


def test_router_500_handler_leaves_http_exceptions_to_their_handler() -> None:
    """An `HTTPException(500)` raised on purpose is answered by the HTTPException handler, not the 500 handler."""
    router = APIRouter(exception_handlers={500: answer("router 500", 500)})

    @router.get("/explicit")
    async def explicit() -> None:
        raise HTTPException(500, "on purpose")

    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/explicit").json() == {"detail": "on purpose"}


def test_validation_errors_can_be_handled_per_router() -> None:
    """A router's RequestValidationError handler shapes its routes' 422s; other routes keep FastAPI's."""
    router = APIRouter(prefix="/v2")

    @router.exception_handler(RequestValidationError)
    async def compact(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"invalid": [".".join(map(str, e["loc"])) for e in exc.errors()]}, status_code=400)

    async def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    router.get("/items/{item_id}")(item)
    app = FastAPI()
    app.include_router(router)
    app.get("/v1/items/{item_id}")(item)
    client = TestClient(app)
    assert client.get("/v2/items/x").json() == {"invalid": ["path.item_id"]}
    assert client.get("/v1/items/x").json()["detail"][0]["loc"] == ["path", "item_id"]


def test_dependency_errors_are_handled_too() -> None:
    """An exception raised by a dependency of a router's route goes to the router's handler."""

    async def guard() -> None:
        raise Refused("by dependency")

    router = APIRouter(dependencies=[Depends(guard)], exception_handlers={Refused: answer("router", 403)})

    @router.get("/x")
    async def x() -> dict[str, str]:
        return {}

    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).get("/x")
    assert (response.status_code, response.text) == (403, "router: by dependency")


def test_handler_registered_after_inclusion_and_after_first_request() -> None:
    """Handlers added to a router after it was included (even after the app served requests) apply."""
    router = APIRouter()
    router.get("/x")(refuse)
    app = FastAPI()
    app.include_router(router)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/x").status_code == 500
    router.add_exception_handler(Refused, answer("late", 409))
    assert (client.get("/x").status_code, client.get("/x").text) == (409, "late: no")


def test_routes_added_after_inclusion_get_the_handlers() -> None:
    """A route declared on the router after include_router is copied with the router's handlers."""
    router = APIRouter(exception_handlers={Refused: answer("router")})
    app = FastAPI()
    app.include_router(router, prefix="/r")
    router.get("/late")(refuse)
    assert TestClient(app).get("/r/late").text == "router: no"


def test_inclusion_level_handlers_apply_to_that_inclusion_only() -> None:
    """`include_router(router, exception_handlers=...)` applies to the routes of that inclusion alone."""
    router = APIRouter()
    router.get("/x")(refuse)
    app = FastAPI()
    app.include_router(router, prefix="/handled", exception_handlers={Refused: answer("inclusion")})
    app.include_router(router, prefix="/bare")
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/handled/x").text == "inclusion: no"
    assert client.get("/bare/x").status_code == 500


def test_router_handlers_apply_to_plain_starlette_routes() -> None:
    """`router.add_route` (a plain Starlette endpoint) is one of the router's routes too."""

    async def endpoint(request: Request) -> PlainTextResponse:
        raise Refused("plain")

    router = APIRouter(exception_handlers={Refused: answer("router")})
    router.add_route("/plain", endpoint)
    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/plain").text == "router: plain"


def test_websocket_route_handler_may_close_the_connection() -> None:
    """A router handler answers a WebSocket route's exception, here by closing with a code of its own."""

    async def close(websocket: WebSocket, exc: Refused) -> None:
        await websocket.close(code=4001, reason=str(exc))

    router = APIRouter(exception_handlers={Refused: close})

    @router.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.receive_text()
        raise Refused("not allowed")

    app = FastAPI()
    app.include_router(router)
    with TestClient(app).websocket_connect("/ws") as connection:
        connection.send_text("hello")
        with pytest.raises(WebSocketDisconnect) as closed:
            connection.receive_text()
    assert (closed.value.code, closed.value.reason) == (4001, "not allowed")


def test_handler_may_raise_to_hand_over_to_the_app() -> None:
    """A router handler that raises an HTTPException gets the app's HTTPException answer."""

    async def translate(request: Request, exc: Refused) -> None:
        raise HTTPException(403, f"refused: {exc}")

    router = APIRouter(exception_handlers={Refused: translate})
    router.get("/x")(refuse)
    app = FastAPI()
    app.include_router(router)
    response = TestClient(app).get("/x")
    assert (response.status_code, response.json()) == (403, {"detail": "refused: no"})


def test_handlers_apply_with_telemetry_on() -> None:
    """With a tracer provider configured (observed requests take the instrumented runners), handlers still apply."""
    spans = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    router = APIRouter(exception_handlers={Refused: answer("router")})
    router.get("/x")(refuse)
    app = FastAPI(telemetry={"tracer_provider": provider})
    app.include_router(router)
    with TestClient(app) as client:
        assert client.get("/x").text == "router: no"
    assert any(span.name == "GET /x" for span in spans.get_finished_spans())
    provider.shutdown()


@pytest.mark.parametrize("key", ["404", None, 1.5, object, True])
def test_bad_handler_key_is_refused_at_declaration(key: Any) -> None:
    """Only status codes and exception classes can key a handler: anything else fails where it is written."""
    with pytest.raises(TypeError, match="status code or an exception class"):
        APIRouter(exception_handlers={key: answer("x")})
    with pytest.raises(TypeError, match="status code or an exception class"):
        APIRouter().add_exception_handler(key, answer("x"))
    with pytest.raises(TypeError, match="status code or an exception class"):
        FastAPI().include_router(APIRouter(), exception_handlers={key: answer("x")})


def test_routes_without_router_settings_keep_their_plain_runner() -> None:
    """Routes of routers that set nothing are served by the same runner as the app's own routes: no wrapper."""
    handled = APIRouter(prefix="/handled", exception_handlers={Refused: answer("router")})
    handled.get("/x")(refuse)
    bare = APIRouter(prefix="/bare")
    bare.get("/x")(refuse)
    app = FastAPI()
    app.include_router(handled)
    app.include_router(bare)
    compiled = app.compile()
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/bare/x").status_code == 500  # NOTE: a route's runner is built on its first request

    def target_name(path: str) -> str:
        found = compiled.matcher.match_http({"type": "http", "path": path, "method": "GET", "root_path": ""})
        assert found is not None
        return str(found.target.__qualname__)

    assert "guarded" in target_name("/handled/x")
    assert "guarded" not in target_name("/bare/x")


def test_routes_given_to_the_router_constructor_get_its_handlers() -> None:
    """Routes passed as `APIRouter(routes=[...])` are the router's routes too once it is included."""
    router = APIRouter(routes=[APIRoute("/x", refuse)], exception_handlers={Refused: answer("router")})
    app = FastAPI()
    app.include_router(router)
    assert TestClient(app).get("/x").text == "router: no"
