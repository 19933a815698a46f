"""`@app.middleware("http")`: streaming, background tasks, context variables, bodies and errors all keep working."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest
from starlette.middleware.errors import ServerErrorMiddleware

from vivace import BackgroundTasks, FastAPI, HTTPException, Request, Response, WebSocket
from vivace.middleware.cors import CORSMiddleware
from vivace.responses import JSONResponse, PlainTextResponse, StreamingResponse
from vivace.testclient import TestClient

CallNext = Callable[[Request], Awaitable[Response]]
Message = dict[str, Any]

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="unset")
user_name: contextvars.ContextVar[str] = contextvars.ContextVar("user_name", default="anonymous")


def http_scope(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": headers or [], "client": ("127.0.0.1", 1), "server": ("test", 80),
    }


async def call_app(
    app: Any, scope: dict[str, Any], on_send: Callable[[Message], Awaitable[None]], body: bytes = b""
) -> None:
    """Run one request on the raw ASGI app: `body` in one message, then a disconnect only after the response."""
    done = anyio.Event()
    sent = [False]

    async def receive() -> Message:
        if not sent[0]:
            sent[0] = True
            return {"type": "http.request", "body": body, "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await on_send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            done.set()

    await app(scope, receive, send)


def passthrough_app() -> FastAPI:
    app = FastAPI()

    @app.middleware("http")
    async def add_header(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        response.headers["X-Seen"] = "yes"
        return response

    return app


def test_streaming_response_streams_through_the_middleware() -> None:
    """Each chunk reaches the server before the endpoint produces the next: call_next does not buffer."""
    app = passthrough_app()
    first_chunk_sent = anyio.Event()

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"one"
            await first_chunk_sent.wait()  # deadlocks (and times out) if the middleware waits for the whole body
            yield b"two"

        return StreamingResponse(chunks(), media_type="text/plain")

    received: list[Message] = []

    async def on_send(message: Message) -> None:
        received.append(message)
        if message.get("body") == b"one":
            first_chunk_sent.set()

    async def main() -> None:
        with anyio.fail_after(5):
            await call_app(app, http_scope("/stream"), on_send)

    anyio.run(main)
    start, *bodies = received
    assert (start["status"], dict(start["headers"])[b"x-seen"]) == (200, b"yes")
    assert b"".join(m.get("body", b"") for m in bodies) == b"onetwo"


def test_background_tasks_run_after_the_body_and_before_the_request_ends() -> None:
    """A background task runs once the last body chunk is sent, and the middleware waits for it."""
    app = passthrough_app()
    events: list[str] = []

    @app.get("/work")
    async def work(tasks: BackgroundTasks) -> dict[str, str]:
        async def later() -> None:
            await anyio.sleep(0.01)
            events.append("background")

        tasks.add_task(later)
        return {"status": "queued"}

    async def on_send(message: Message) -> None:
        if message["type"] == "http.response.body":
            events.append("body")

    async def main() -> None:
        await call_app(app, http_scope("/work"), on_send)
        events.append("request done")

    anyio.run(main)
    assert events == ["body", "background", "request done"]


def test_context_variables_flow_both_ways() -> None:
    """A variable set in the middleware is seen by the endpoint; one set by the endpoint is seen after call_next."""
    app = FastAPI()

    @app.middleware("http")
    async def tag(request: Request, call_next: CallNext) -> Response:
        request_id.set("req-42")
        response = await call_next(request)
        response.headers["X-User"] = user_name.get()
        return response

    async def current_user() -> str:
        user_name.set("alice")  # set by a dependency, before the response starts
        return "alice"

    @app.get("/me")
    async def me(request: Request) -> dict[str, str]:
        await current_user()
        return {"request_id": request_id.get()}

    response = TestClient(app).get("/me")
    assert response.json() == {"request_id": "req-42"}
    assert response.headers["x-user"] == "alice"


def test_body_read_in_the_middleware_is_read_again_by_the_endpoint() -> None:
    """request.body() in the middleware does not starve the endpoint's JSON body or form."""
    app = FastAPI()
    lengths: list[int] = []

    @app.middleware("http")
    async def measure(request: Request, call_next: CallNext) -> Response:
        lengths.append(len(await request.body()))
        return await call_next(request)

    @app.post("/items")
    async def create(item: dict[str, int]) -> dict[str, int]:
        return item

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, str]:
        form = await request.form()
        return {"name": str(form["name"])}

    client = TestClient(app)
    assert client.post("/items", json={"a": 1}).json() == {"a": 1}
    assert client.post("/raw", data={"name": "box"}).json() == {"name": "box"}
    assert lengths == [7, 8]


def test_form_read_in_the_middleware_is_read_again_by_the_endpoint() -> None:
    """request.form() in the middleware keeps the body for the endpoint."""
    app = FastAPI()

    @app.middleware("http")
    async def peek(request: Request, call_next: CallNext) -> Response:
        form = await request.form()
        response = await call_next(request)
        response.headers["X-Name"] = str(form["name"])
        return response

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, str]:
        return {"body": (await request.body()).decode()}

    response = TestClient(app).post("/raw", data={"name": "box"})
    assert (response.json(), response.headers["x-name"]) == ({"body": "name=box"}, "box")


def test_response_body_can_be_read_and_replaced() -> None:
    """The middleware may iterate the downstream body and answer with a new response built from it."""
    app = FastAPI()

    @app.middleware("http")
    async def shout(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        return PlainTextResponse(body.decode().upper(), status_code=response.status_code)

    @app.get("/hello", response_class=PlainTextResponse)
    async def hello() -> str:
        return "hello"

    response = TestClient(app).get("/hello")
    assert (response.status_code, response.text) == (200, "HELLO")


def test_body_iterator_can_be_wrapped() -> None:
    """Replacing response.body_iterator with a wrapper streams the wrapped chunks."""
    app = FastAPI()

    @app.middleware("http")
    async def frame(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        original = response.body_iterator  # type: ignore[attr-defined]

        async def framed() -> AsyncIterator[bytes]:
            async for chunk in original:
                yield b"[" + chunk + b"]"

        response.body_iterator = framed()  # type: ignore[attr-defined]
        del response.headers["content-length"]
        return response

    @app.get("/parts")
    async def parts() -> StreamingResponse:
        return StreamingResponse(iter([b"a", b"b"]))

    assert TestClient(app).get("/parts").content == b"[a][b][]"


def test_ignoring_the_downstream_response_stops_it() -> None:
    """A middleware that answers without using call_next's response does not hang on its unread body."""
    app = FastAPI()

    @app.middleware("http")
    async def replace(request: Request, call_next: CallNext) -> Response:
        await call_next(request)
        return PlainTextResponse("replaced")

    @app.get("/endless")
    async def endless() -> StreamingResponse:
        async def forever() -> AsyncIterator[bytes]:
            while True:
                yield b"x" * 1024

        return StreamingResponse(forever())

    async def main() -> list[Message]:
        received: list[Message] = []

        async def on_send(message: Message) -> None:
            received.append(message)

        with anyio.fail_after(5):
            await call_app(app, http_scope("/endless"), on_send)
        return received

    messages = anyio.run(main)
    assert messages[-1]["body"] == b"replaced"


def test_unhandled_error_raises_from_call_next() -> None:
    """As in FastAPI, an endpoint's unhandled exception reaches the middleware, which may answer for it."""
    app = FastAPI()
    caught: list[str] = []

    @app.middleware("http")
    async def guard(request: Request, call_next: CallNext) -> Response:
        try:
            return await call_next(request)
        except RuntimeError as exc:
            caught.append(str(exc))
            return JSONResponse({"error": "handled"}, status_code=503)

    @app.get("/fail")
    async def fail() -> None:
        raise RuntimeError("database down")

    response = TestClient(app).get("/fail")
    assert (response.status_code, response.json(), caught) == (503, {"error": "handled"}, ["database down"])


def test_http_exceptions_come_back_as_responses() -> None:
    """HTTPException and validation errors are answered inside: call_next returns the 404 / 422 response."""
    app = FastAPI()
    statuses: list[int] = []

    @app.middleware("http")
    async def record(request: Request, call_next: CallNext) -> Response:
        response = await call_next(request)
        statuses.append(response.status_code)
        return response

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> None:
        raise HTTPException(status_code=404, detail="nope")

    client = TestClient(app)
    client.get("/items/1")
    client.get("/items/x")
    client.get("/missing")
    assert statuses == [404, 422, 404]


def test_unhandled_error_500_passes_through_outer_middleware() -> None:
    """A 500 for an unhandled exception carries CORS headers, and the exception still reaches the server."""
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=["https://front.example"])

    @app.middleware("http")
    async def timing(request: Request, call_next: CallNext) -> Response:
        return await call_next(request)

    @app.get("/fail")
    async def fail() -> None:
        raise ValueError("bug")

    origin = {"Origin": "https://front.example"}
    response = TestClient(app, raise_server_exceptions=False).get("/fail", headers=origin)
    assert response.status_code == 500
    assert response.headers["access-control-allow-origin"] == "https://front.example"
    with pytest.raises(ValueError, match="bug"):
        TestClient(app).get("/fail", headers=origin)


def test_error_after_the_response_started_reaches_the_server() -> None:
    """An exception raised while the body streams is raised again by the middleware, not swallowed."""
    app = passthrough_app()

    @app.get("/broken")
    async def broken() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            yield b"partial"
            raise OSError("disk gone")

        return StreamingResponse(chunks())

    with pytest.raises(OSError, match="disk gone"):
        TestClient(app).get("/broken")


def test_dispatch_without_a_response_is_an_error() -> None:
    """A dispatch that returns without calling call_next or answering fails loudly."""
    app = FastAPI()

    @app.middleware("http")
    async def forgetful(request: Request, call_next: CallNext) -> Any:
        return None

    @app.get("/")
    async def root() -> dict[str, str]:
        return {}

    with pytest.raises(TypeError):
        TestClient(app).get("/")


def test_middleware_order_and_single_build() -> None:
    """The last middleware declared runs first, and the stack is built once for all requests."""
    app = FastAPI()
    order: list[str] = []
    built: list[str] = []

    class Recorder:
        def __init__(self, app: Any, name: str) -> None:
            built.append(name)
            self.app, self.name = app, name

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            order.append(self.name)
            await self.app(scope, receive, send)

    app.add_middleware(Recorder, name="inner")
    app.add_middleware(Recorder, name="outer")

    @app.middleware("http")
    async def outermost(request: Request, call_next: CallNext) -> Response:
        order.append("dispatch")
        return await call_next(request)

    @app.get("/")
    async def root() -> dict[str, str]:
        return {}

    client = TestClient(app)
    client.get("/")
    client.get("/")
    assert order == ["dispatch", "outer", "inner"] * 2
    assert built == ["inner", "outer"]
    with pytest.raises(RuntimeError):
        app.add_middleware(Recorder, name="late")


def test_no_user_middleware_means_no_layer() -> None:
    """Without user middleware requests skip the stack's layers: the compiled router answers 500s itself."""
    app = FastAPI()

    @app.get("/")
    async def root() -> dict[str, str]:
        return {}

    TestClient(app).get("/")
    assert isinstance(app.middleware_stack, ServerErrorMiddleware)  # the shape instrumentation expects
    assert app._fast is not None and app._fast.stack is app.middleware_stack
    assert TestClient(FastAPI(), raise_server_exceptions=False).get("/none").status_code == 404


def test_websockets_pass_through_http_middleware() -> None:
    """An HTTP middleware leaves WebSocket connections alone."""
    app = passthrough_app()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    with TestClient(app).websocket_connect("/ws") as ws:
        ws.send_text("ping")
        assert ws.receive_text() == "ping"
