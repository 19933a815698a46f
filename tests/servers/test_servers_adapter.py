"""The RSGI adapter (`vivace._rsgi`) against stand-ins for granian's protocol objects: what a real server cannot
easily be made to do (a body cut off mid-way, a second response, a client gone during a stream)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from vivace import Request, Vivace, WebSocket
from vivace._rsgi.entry import RSGIEntry
from vivace._rsgi.http import WHOLE_BODY, HTTPExchange
from vivace._rsgi.scope import address
from vivace._rsgi.websocket import NO_STATUS, WebSocketExchange


class Headers:
    def __init__(self, items: list[tuple[str, str]]) -> None:
        self._items = items

    def items(self) -> list[tuple[str, str]]:
        return self._items

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self._items).get(key, default)


class Scope:
    def __init__(self, path: str, method: str = "GET", headers: list[tuple[str, str]] | None = None) -> None:
        self.proto, self.http_version, self.scheme, self.method, self.path = "http", "1.1", "http", method, path
        self.server, self.client, self.query_string = "127.0.0.1:8000", "[::1]:5000", ""
        self.headers = Headers(headers or [])


class Stream:
    def __init__(self, gone: bool = False) -> None:
        self.parts: list[bytes] = []
        self.gone = gone

    async def send_bytes(self, data: bytes) -> None:
        if self.gone:
            raise RuntimeError("stream closed")
        self.parts.append(data)


class Protocol:
    """granian's RSGIHTTPProtocol as far as the adapter uses it; `chunks` is the body, `None` a cut-off one."""

    def __init__(self, chunks: list[bytes | None], gone: bool = False) -> None:
        self.chunks = chunks
        self.answer: tuple[Any, ...] | None = None
        self.stream = Stream(gone)
        self.whole_reads = 0

    async def __call__(self) -> bytes:
        self.whole_reads += 1
        return b"".join(chunk or b"" for chunk in self.chunks)

    def __aiter__(self) -> AsyncIterator[bytes]:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in self.chunks:
                if chunk is None:
                    raise RuntimeError("the client went away")
                yield chunk
            yield b""

        return chunks()

    def response_bytes(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.answer = ("bytes", status, headers, body)

    def response_stream(self, status: int, headers: list[tuple[str, str]]) -> Stream:
        self.answer = ("stream", status, headers)
        return self.stream

    async def client_disconnect(self) -> None:
        await asyncio.Event().wait()  # NOTE: granian's resolves when the client leaves; this one never does


def make_app() -> Vivace:
    app = Vivace()

    @app.post("/count")
    async def count(item: dict[str, Any]) -> int:
        return len(item["a"])

    @app.get("/lines")
    async def lines() -> AsyncIterator[int]:
        for number in range(3):
            yield number

    return app


def serve(app: Vivace, scope: Scope, protocol: Protocol) -> None:
    asyncio.run(RSGIEntry(app).__rsgi__(scope, protocol))  # type: ignore[arg-type]


def test_small_declared_body_is_read_in_one_call() -> None:
    """A body with a small Content-Length is one read; the answer is one response_bytes call with text headers."""
    protocol = Protocol([b'{"a": "xyz"}'])
    serve(
        make_app(), Scope("/count", "POST", [("content-length", "12"), ("content-type", "application/json")]), protocol
    )
    assert protocol.whole_reads == 1
    assert protocol.answer == ("bytes", 200, [("content-length", "1"), ("content-type", "application/json")], b"3")


def test_large_or_chunked_body_streams_in() -> None:
    """Without a length (or past WHOLE_BODY) the body arrives chunk by chunk and still validates."""
    chunks: list[bytes | None] = [b'{"a": "', b"x" * 10, b'"}']
    protocol = Protocol(chunks)
    serve(make_app(), Scope("/count", "POST", [("content-type", "application/json")]), protocol)
    assert protocol.whole_reads == 0
    assert protocol.answer is not None and protocol.answer[3] == b"10"
    big = Protocol([b'{"a": "', b"x" * WHOLE_BODY, b'"}'])
    headers = [("content-length", str(WHOLE_BODY + 9)), ("content-type", "application/json")]
    serve(make_app(), Scope("/count", "POST", headers), big)
    assert big.whole_reads == 0 and big.answer is not None and big.answer[3] == str(WHOLE_BODY).encode()


def test_body_cut_off_is_a_400() -> None:
    """A client that leaves while sending its body: FastAPI's 400, as under an ASGI server."""
    protocol = Protocol([b'{"a": ', None])
    serve(make_app(), Scope("/count", "POST", [("content-type", "application/json")]), protocol)
    assert protocol.answer is not None and protocol.answer[1] == 400


def test_stream_goes_through_response_stream() -> None:
    """A streamed response opens granian's stream once and sends each part."""
    protocol = Protocol([])
    serve(make_app(), Scope("/lines"), protocol)
    assert protocol.answer == ("stream", 200, [("content-type", "application/jsonl")])
    assert b"".join(protocol.stream.parts) == b"0\n1\n2\n"


def test_client_gone_during_a_stream_is_not_an_error() -> None:
    """Parts sent after the client left are dropped quietly, as uvicorn drops them."""
    protocol = Protocol([], gone=True)
    serve(make_app(), Scope("/lines"), protocol)
    assert protocol.stream.parts == []


def test_protocol_errors_of_the_app_are_refused() -> None:
    """A body before its start, or a second response, raises as an ASGI server would."""

    async def misuse() -> None:
        exchange = HTTPExchange(Protocol([]), [])
        with pytest.raises(RuntimeError, match=r"before http\.response\.start"):
            await exchange.send({"type": "http.response.body", "body": b"x"})
        await exchange.send({"type": "http.response.start", "status": 200, "headers": []})
        await exchange.send({"type": "http.response.body", "body": b"x"})
        assert exchange.answered
        with pytest.raises(RuntimeError, match="after the response was complete"):
            await exchange.send({"type": "http.response.body", "body": b"y"})
        with pytest.raises(RuntimeError, match="unexpected ASGI message"):
            await exchange.send({"type": "http.response.trailers"})

    asyncio.run(misuse())


def test_non_utf8_header_values_are_sent_as_latin1() -> None:
    """A header value that is not UTF-8 keeps one character per byte rather than failing the response."""

    async def answer() -> tuple[Any, ...] | None:
        protocol = Protocol([])
        exchange = HTTPExchange(protocol, [])
        await exchange.send({"type": "http.response.start", "status": 200, "headers": [(b"x-name", b"caf\xe9")]})
        await exchange.send({"type": "http.response.body", "body": b""})
        return protocol.answer

    assert asyncio.run(answer()) == ("bytes", 200, [("x-name", "café")], b"")


def test_addresses() -> None:
    """host:port strings become ASGI tuples (IPv6 without brackets); anything else is None."""
    assert address("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert address("[::1]:5000") == ("::1", 5000)
    assert address("/run/app.sock") is None


class Message:
    def __init__(self, kind: int, data: Any = None) -> None:
        self.kind, self.data = kind, data


class Transport:
    def __init__(self, incoming: list[Message]) -> None:
        self.incoming, self.sent = incoming, list[Any]()

    async def receive(self) -> Message:
        if not self.incoming:
            raise RuntimeError("closed")
        return self.incoming.pop(0)

    async def send_str(self, data: str) -> None:
        self.sent.append(data)

    async def send_bytes(self, data: bytes) -> None:
        self.sent.append(data)


class WebSocketProtocol:
    def __init__(self, incoming: list[Message]) -> None:
        self.transport = Transport(incoming)
        self.closed: list[int] = []

    async def accept(self) -> Transport:
        return self.transport

    def close(self, status: int) -> None:
        self.closed.append(status)


def test_websocket_messages_and_close() -> None:
    """Text and bytes map to ASGI messages both ways; a client close is a 1005 disconnect; close is 403-safe."""
    seen: list[Any] = []
    app = Vivace()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        seen.append(await websocket.receive_text())
        seen.append(await websocket.receive_bytes())
        await websocket.send_text("back")
        message = await websocket.receive()
        seen.append((message["type"], message["code"]))

    scope = Scope("/ws")
    scope.proto = "ws"
    protocol = WebSocketProtocol([Message(2, "hi"), Message(1, b"\x00"), Message(0)])
    asyncio.run(RSGIEntry(app).__rsgi__(scope, protocol))  # type: ignore[arg-type]
    assert seen == ["hi", b"\x00", ("websocket.disconnect", NO_STATUS)]
    assert protocol.transport.sent == ["back"]
    assert protocol.closed == []  # the client closed it: nothing left to close


def test_websocket_left_open_is_closed() -> None:
    """A handshake the app never answers is refused with 403; a connection it leaves open is closed (with a valid
    HTTP status, which granian ignores after the handshake)."""
    app = Vivace()

    @app.websocket("/ignored")
    async def ignored(websocket: WebSocket) -> None:
        return None

    @app.websocket("/left")
    async def left(websocket: WebSocket) -> None:
        await websocket.accept()

    for path in ("/ignored", "/left"):
        scope = Scope(path)
        scope.proto = "ws"
        protocol = WebSocketProtocol([])
        asyncio.run(RSGIEntry(app).__rsgi__(scope, protocol))  # type: ignore[arg-type]
        assert protocol.closed == [403]


def test_websocket_denial_keeps_its_status() -> None:
    """A denial response before accepting refuses the handshake with its status; a bad status becomes 403."""

    async def deny(status: int) -> list[int]:
        protocol = WebSocketProtocol([])
        exchange = WebSocketExchange(protocol)
        await exchange.send({"type": "websocket.http.response.start", "status": status, "headers": []})
        await exchange.send({"type": "websocket.http.response.body", "body": b"no"})
        return protocol.closed

    assert asyncio.run(deny(401)) == [401]
    assert asyncio.run(deny(4001)) == [403]


def test_startup_inside_a_running_loop_holds_requests_back() -> None:
    """granian's embedded server starts the app from inside its loop: requests wait for the startup to end."""

    @asynccontextmanager
    async def lifespan(app: Vivace) -> AsyncIterator[dict[str, str]]:
        await asyncio.sleep(0.01)
        yield {"ready": "yes"}

    app = Vivace(lifespan=lifespan)

    @app.get("/ready")
    async def ready(request: Request) -> str:
        return str(request.state.ready)

    async def run() -> tuple[Any, ...] | None:
        entry = RSGIEntry(app)
        entry.__rsgi_init__(asyncio.get_running_loop())
        assert entry.lifespan.starting is not None  # the startup runs as a task
        protocol = Protocol([])
        await entry.__rsgi__(Scope("/ready"), protocol)
        assert entry.lifespan.starting is None
        entry.__rsgi_del__(asyncio.get_running_loop())
        return protocol.answer

    answer = asyncio.run(run())
    assert answer is not None and answer[1:4:2] == (200, b'"yes"')


def test_request_headers_are_each_requests_own() -> None:
    """Headers an app changes in its scope do not leak into the next request with the same headers."""
    app = Vivace()
    seen: list[list[tuple[bytes, bytes]]] = []

    @app.get("/headers")
    async def headers(request: Request) -> int:
        seen.append(list(request.scope["headers"]))
        request.scope["headers"].append((b"x-added", b"1"))
        return len(seen)

    for _ in range(2):
        serve(app, Scope("/headers", headers=[("x-a", "1")]), Protocol([]))
    assert seen == [[(b"x-a", b"1")], [(b"x-a", b"1")]]
