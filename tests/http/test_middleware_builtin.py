"""The bundled middleware: CORS headers on every response (errors and 500s too), GZip that never holds back a
stream, trusted hosts and the HTTPS redirect."""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import pytest

from vivace import FastAPI, HTTPException, Request, Response
from vivace.middleware.cors import CORSMiddleware
from vivace.middleware.gzip import GZipMiddleware
from vivace.middleware.httpsredirect import HTTPSRedirectMiddleware
from vivace.middleware.trustedhost import TrustedHostMiddleware
from vivace.responses import JSONResponse, StreamingResponse
from vivace.sse import EventSourceResponse
from vivace.testclient import TestClient

Message = dict[str, Any]
ORIGIN = "https://front.example"


def cors_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(CORSMiddleware, allow_origins=[ORIGIN], allow_methods=["*"], allow_headers=["*"])

    @app.get("/items/{item_id}")
    async def read(item_id: int) -> dict[str, int]:
        if item_id == 0:
            raise HTTPException(status_code=404, detail="no item 0")
        if item_id == 13:
            raise RuntimeError("unlucky")
        return {"item_id": item_id}

    return app


@pytest.mark.parametrize(
    ("path", "status"),
    [("/items/1", 200), ("/items/0", 404), ("/items/x", 422), ("/nowhere", 404), ("/items/13", 500)],
)
def test_cors_headers_on_every_status(path: str, status: int) -> None:
    """Success, HTTPException, validation error, unknown path and an unhandled exception all carry CORS headers."""
    client = TestClient(cors_app(), raise_server_exceptions=False)
    response = client.get(path, headers={"Origin": ORIGIN})
    assert response.status_code == status
    assert response.headers["access-control-allow-origin"] == ORIGIN


def test_cors_500_uses_the_apps_error_handler() -> None:
    """A registered 500 handler answers the unhandled exception, and its response gets CORS headers."""
    app = cors_app()

    @app.exception_handler(500)
    async def oops(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": type(exc).__name__}, status_code=500)

    response = TestClient(app, raise_server_exceptions=False).get("/items/13", headers={"Origin": ORIGIN})
    assert (response.json(), response.headers["access-control-allow-origin"]) == ({"error": "RuntimeError"}, ORIGIN)


def test_cors_preflight_and_rejected_origin() -> None:
    """A preflight from an allowed origin is answered by the middleware; other origins get no allow header."""
    client = TestClient(cors_app())
    preflight = client.options(
        "/items/1", headers={"Origin": ORIGIN, "Access-Control-Request-Method": "PUT"}
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    other = client.get("/items/1", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


def http_scope(path: str, accept_encoding: bytes = b"gzip") -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
        "root_path": "", "headers": [(b"accept-encoding", accept_encoding)], "client": ("127.0.0.1", 1),
        "server": ("test", 80),
    }


async def call_app(app: Any, scope: dict[str, Any], on_send: Callable[[Message], Awaitable[None]]) -> None:
    finished = anyio.Event()

    async def receive() -> Message:
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        await on_send(message)
        if message["type"] == "http.response.body" and not message.get("more_body", False):
            finished.set()

    with anyio.fail_after(5):
        await app(scope, receive, send)


def test_sse_events_arrive_one_by_one_through_gzip() -> None:
    """Server-Sent Events are neither compressed nor held back: event 1 arrives before event 2 is produced."""
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=1)
    first_arrived = anyio.Event()

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[dict[str, int]]:
        yield {"n": 1}
        await first_arrived.wait()  # never set if GZip buffers the first event
        yield {"n": 2}

    received: list[Message] = []

    async def on_send(message: Message) -> None:
        received.append(message)
        if b'"n":1' in message.get("body", b""):
            first_arrived.set()

    anyio.run(call_app, app, http_scope("/events"), on_send)
    headers = dict(received[0]["headers"])
    assert headers[b"content-type"].startswith(b"text/event-stream")
    assert b"content-encoding" not in headers
    body = b"".join(m.get("body", b"") for m in received[1:])
    assert body.count(b"data: ") == 2


def test_streamed_chunks_are_compressed_and_flushed_one_by_one() -> None:
    """A compressed stream flushes each chunk: the client can decompress line 1 before line 2 exists."""
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=1)
    first_decoded = anyio.Event()
    decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
    decoded: list[bytes] = []

    @app.get("/lines")
    async def lines() -> StreamingResponse:
        async def produce() -> AsyncIterator[bytes]:
            yield b'{"line": 1}\n'
            await first_decoded.wait()
            yield b'{"line": 2}\n'

        return StreamingResponse(produce(), media_type="application/jsonl")

    headers: dict[bytes, bytes] = {}

    async def on_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers.update(message["headers"])
            return
        decoded.append(decoder.decompress(message.get("body", b"")))
        if b'"line": 1' in b"".join(decoded):
            first_decoded.set()

    anyio.run(call_app, app, http_scope("/lines"), on_send)
    assert headers[b"content-encoding"] == b"gzip"
    assert b"".join(decoded) == b'{"line": 1}\n{"line": 2}\n'


def test_gzip_compresses_large_bodies_only_when_accepted() -> None:
    """A large JSON body is gzip-encoded for clients that accept it, and sent as is to the others."""
    app = FastAPI()
    app.add_middleware(GZipMiddleware, minimum_size=100)

    @app.get("/big")
    async def big() -> list[int]:
        return list(range(500))

    client = TestClient(app)
    compressed = client.get("/big", headers={"Accept-Encoding": "gzip"})
    plain = client.get("/big", headers={"Accept-Encoding": "identity"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert compressed.json() == plain.json() == list(range(500))


def test_trusted_host_rejects_unknown_hosts() -> None:
    """TrustedHostMiddleware answers 400 for a Host header outside its list."""
    app = FastAPI()
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=["api.example", "*.api.example"])

    @app.get("/")
    async def root() -> dict[str, str]:
        return {}

    assert TestClient(app, base_url="http://eu.api.example").get("/").status_code == 200
    rejected = TestClient(app, base_url="http://other.example").get("/")
    assert (rejected.status_code, rejected.text) == (400, "Invalid host header")


def test_https_redirect() -> None:
    """HTTPSRedirectMiddleware sends plain-HTTP requests to the https URL of the same path and query."""
    app = FastAPI()
    app.add_middleware(HTTPSRedirectMiddleware)

    @app.get("/page")
    async def page() -> Response:
        return Response("secure")

    response = TestClient(app, follow_redirects=False).get("/page?x=1")
    assert (response.status_code, response.headers["location"]) == (307, "https://testserver/page?x=1")
