"""Response headers the application sets are checked when the response starts: a name that is not an RFC 9110
token, or a value holding CR, LF, NUL or another control byte (HTAB aside), becomes a clean JSON 500 that is
logged with the route — never an injected header (response splitting) and never a dropped connection.

Against a real uvicorn, FastAPI lets uvicorn's own check raise after the response has started: the connection is
closed with no answer at all (shown side by side below).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_support import ServerProcess
from reliability_support import app_source, served_by_both
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from wire import Connection, healthy

from vivace import APIRouter, FastAPI, HTTPException
from vivace.middleware import Middleware
from vivace.testclient import TestClient

APP = app_source(
    """
    from collections.abc import AsyncIterator
    from typing import Annotated

    from fastapi import Depends, FastAPI, Response
    from fastapi.responses import StreamingResponse
    """,
    """
    @app.get("/returned")
    async def returned():
        return Response("x", headers={"X-Bad": "a\\r\\nInjected: yes"})

    @app.get("/injected")
    async def injected(response: Response, q: int = 0):
        response.headers["x-bad"] = "a\\r\\nInjected: yes"
        return {"q": q}

    @app.get("/bare-injected")
    async def bare_injected(response: Response):
        response.headers["x-bad"] = "a\\nb"
        return {"a": 1}

    @app.get("/name")
    async def name(response: Response):
        response.raw_headers.append((b"x bad", b"v"))
        return {"a": 1}

    @app.get("/colon-name")
    async def colon_name():
        return Response("x", headers={"x-bad:": "v"})

    @app.get("/nul")
    async def nul():
        return Response("x", headers={"x-bad": "a\\x00b"})

    @app.get("/escape")
    async def escape():
        return Response("x", headers={"x-bad": "a\\x1bb"})

    @app.get("/delete")
    async def delete():
        return Response("x", headers={"x-bad": "a\\x7fb"})

    def set_in_dependency(response: Response) -> None:
        response.headers["x-from-dependency"] = "a\\r\\nb"

    @app.get("/dependency", dependencies=[Depends(set_in_dependency)])
    async def dependency(q: int = 0):
        return {"q": q}

    async def cleaned() -> AsyncIterator[None]:
        events.append("enter")
        try:
            yield
        finally:
            events.append("exit")

    @app.get("/with-yield")
    async def with_yield(response: Response, _: Annotated[None, Depends(cleaned)]):
        response.headers["x-bad"] = "a\\rb"
        return {"a": 1}

    @app.get("/stream")
    async def stream():
        async def chunks():
            try:
                while True:
                    yield b"chunk"
            finally:
                events.append("stream closed")

        return StreamingResponse(chunks(), headers={"x-bad": "\\n"})

    @app.get("/valid")
    async def valid(response: Response):
        response.headers["x-tab"] = "a\\tb"
        response.headers["x-latin"] = "caf\\xe9"
        response.headers["x-empty"] = ""
        response.raw_headers.append((b"!#$%&'*+-.^_`|~09azAZ", b"token"))
        return {"a": 1}
    """,
)

BAD_ROUTES = [
    "/returned", "/injected?q=1", "/bare-injected", "/name", "/colon-name", "/nul", "/escape", "/delete",
    "/dependency", "/with-yield", "/stream",
]  # fmt: skip

REFUSED = b'{"detail":"Internal Server Error"}'

MIDDLEWARE_APP = app_source(
    """
    from fastapi import FastAPI
    from fastapi.middleware.cors import CORSMiddleware
    """,
    """
    @app.get("/function-middleware")
    async def function_middleware():
        return {"a": 1}

    @app.get("/asgi-middleware")
    async def asgi_middleware():
        return {"a": 1}

    @app.middleware("http")
    async def add_header(request, call_next):
        response = await call_next(request)
        if request.url.path == "/function-middleware":
            response.headers["x-from-middleware"] = "a\\r\\nSet-Cookie: stolen=1"
        return response

    class RawHeader:
        def __init__(self, app):
            self.app = app

        async def __call__(self, scope, receive, send):
            async def send_with_header(message):
                if message["type"] == "http.response.start" and scope["path"] == "/asgi-middleware":
                    message["headers"] = [*message["headers"], (b"x-raw", b"a\\x00b")]
                await send(message)

            await self.app(scope, receive, send_with_header)

    app.add_middleware(RawHeader)
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    """,
    log=None,
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    """The same app served by vivace and by FastAPI, each by its own uvicorn."""
    with served_by_both(APP, tmp_path_factory) as both:
        yield both


@pytest.mark.parametrize("path", BAD_ROUTES)
def test_invalid_header_is_a_clean_500_on_a_kept_connection(servers: dict[str, ServerProcess], path: str) -> None:
    """vivace answers the JSON 500 with no trace of the bad header, and the same connection serves the next
    request; the server's /health still answers."""
    server = servers["vivace"]
    with Connection(server.port) as connection:
        answer = connection.request("GET", path)
        assert answer is not None
        assert (answer.status, answer.body) == (500, REFUSED)
        assert answer.header("content-type") == "application/json"
        assert not any(name.startswith("x-") or name == "injected" for name, _ in answer.headers)
        follow_up = connection.request("GET", "/health")
        assert follow_up is not None and follow_up.status == 200
    assert healthy(server.port)


@pytest.mark.parametrize("path", BAD_ROUTES)
def test_fastapi_drops_the_connection(servers: dict[str, ServerProcess], path: str) -> None:
    """The differential: FastAPI's response starts, uvicorn refuses the header, and the client gets nothing."""
    server = servers["fastapi"]
    with Connection(server.port) as connection:
        assert connection.request("GET", path) is None
    assert healthy(server.port)


@pytest.fixture(scope="module")
def middleware_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    with served_by_both(MIDDLEWARE_APP, tmp_path_factory) as both:
        yield both


@pytest.mark.parametrize("path", ["/function-middleware", "/asgi-middleware"])
def test_headers_set_by_middleware_are_checked_too(middleware_servers: dict[str, ServerProcess], path: str) -> None:
    """A header a middleware adds (a function middleware or a pure ASGI one, under CORS) gets the same clean 500,
    sent from outside every middleware; FastAPI drops the connection."""
    server = middleware_servers["vivace"]
    with Connection(server.port) as connection:
        answer = connection.request("GET", path, {"origin": "https://example.com"})
        assert answer is not None
        assert (answer.status, answer.body) == (500, REFUSED)
        assert not any(name in ("x-from-middleware", "x-raw", "set-cookie") for name, _ in answer.headers)
        follow_up = connection.request("GET", "/health")
        assert follow_up is not None and follow_up.status == 200
    with Connection(middleware_servers["fastapi"].port) as connection:
        assert connection.request("GET", path) is None
    assert f"GET {path}: refused to send the response" in server.output()


def test_refusals_are_logged_with_the_route(servers: dict[str, ServerProcess]) -> None:
    """The server log names the method, the route's path template and the header; no traceback."""
    server = servers["vivace"]
    with Connection(server.port) as connection:
        connection.request("GET", "/injected?q=2")
    log = server.output()
    assert "GET /injected: refused to send the response, invalid response header b'x-bad': b'a\\r\\nInjected: yes'" in (
        log
    )
    assert "Traceback" not in log


def test_cleanup_runs_and_the_stream_never_starts(servers: dict[str, ServerProcess]) -> None:
    """A refused response still exits its `yield` dependencies; a refused stream's generator is never run."""
    port = servers["vivace"].port
    with Connection(port) as connection:
        connection.request("GET", "/with-yield")
        connection.request("GET", "/stream")
        events = connection.request("GET", "/events")
    assert events is not None
    assert events.json().count("enter") == events.json().count("exit") >= 1
    assert "stream closed" not in events.json()


def test_valid_unusual_headers_pass(servers: dict[str, ServerProcess]) -> None:
    """HTAB, obs-text bytes, an empty value and every token character are allowed through unchanged."""
    with Connection(servers["vivace"].port) as connection:
        answer = connection.request("GET", "/valid")
    assert answer is not None and answer.status == 200
    assert answer.header("x-tab") == "a\tb"
    assert answer.header("x-latin") == "caf\xe9"
    assert answer.header("x-empty") == ""
    assert answer.header("!#$%&'*+-.^_`|~09azaz") == "token"


def test_in_process_refusal_is_logged_at_error(caplog: pytest.LogCaptureFixture, tmp_path: Path) -> None:
    """Through the test client too: a 500 with the JSON body, one ERROR record on the `vivace` logger."""
    namespace: dict[str, object] = {}
    exec(compile(APP, "headers_app", "exec"), namespace)
    client = TestClient(namespace["app"])
    with caplog.at_level(logging.ERROR, logger="vivace"):
        response = client.get("/name")
    assert (response.status_code, response.content) == (500, REFUSED)
    (record,) = [r for r in caplog.records if r.name == "vivace"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "GET /name: refused to send the response, invalid response header b'x bad': b'v'"


def test_headers_set_by_a_routers_middleware_are_checked(caplog: pytest.LogCaptureFixture) -> None:
    """vivace's router-scoped middleware runs inside the route's check: a header it adds gets the same clean 500."""

    class BadHeader:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            async def send_with_header(message: Message) -> None:
                if message["type"] == "http.response.start":
                    message["headers"] = [*message["headers"], (b"x-bad", b"a\r\nb")]
                await send(message)

            await self.app(scope, receive, send_with_header)

    router = APIRouter(middleware=[Middleware(BadHeader)])

    @router.get("/inside")
    async def inside() -> dict[str, int]:
        return {"a": 1}

    app = FastAPI()
    app.include_router(router)
    with caplog.at_level(logging.ERROR, logger="vivace"):
        response = TestClient(app).get("/inside")
    assert (response.status_code, response.content) == (500, REFUSED)
    assert "x-bad" not in response.headers
    assert [r.getMessage() for r in caplog.records if r.name == "vivace"] == [
        "GET /inside: refused to send the response, invalid response header b'x-bad': b'a\\r\\nb'"
    ]


def test_headers_of_an_exception_handlers_answer_are_checked(caplog: pytest.LogCaptureFixture) -> None:
    """An HTTPException carrying a bad header value, in an app without middleware, gets the clean 500 too."""
    app = FastAPI()

    @app.get("/raises")
    async def raises() -> None:
        raise HTTPException(status_code=400, detail="no", headers={"x-bad": "a\r\nInjected: yes"})

    with caplog.at_level(logging.ERROR, logger="vivace"):
        response = TestClient(app).get("/raises")
    assert (response.status_code, response.content) == (500, REFUSED)
    assert "injected" not in response.headers
    assert [r.getMessage() for r in caplog.records if r.name == "vivace"] == [
        "GET /raises: refused to send the response, invalid response header b'x-bad': b'a\\r\\nInjected: yes'"
    ]
