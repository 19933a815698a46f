"""WebSocket messages an endpoint does not expect, sent with a raw client to a real uvicorn: each ends with the
close code RFC 6455 gives it, the endpoint's clean-up runs, and no exception reaches the server's error log.

FastAPI, on the same app, lets Starlette's KeyError or JSON error escape: the client sees the connection drop
(1006, no close frame) and uvicorn logs "Exception in ASGI application" (shown side by side below).

A `WebSocketDisconnect` raised by a read is left to the endpoint, as in FastAPI (the idiom is to catch it; the
/chat route does); one raised by a send to a client that is gone ends the session quietly.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

import pytest
from process_support import ServerProcess
from reliability_support import app_source, recorded, served_by_both
from wire import healthy
from ws_wire import ABNORMAL, BINARY, CONTINUATION, NO_STATUS, TEXT, RawWebSocket

APP = app_source(
    """
    import asyncio

    from fastapi import FastAPI, WebSocket, WebSocketDisconnect
    """,
    """
    @app.websocket("/text")
    async def text(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect:
            pass
        finally:
            events.append("text closed")

    @app.websocket("/bytes")
    async def binary(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_bytes(await websocket.receive_bytes())
        except WebSocketDisconnect:
            pass
        finally:
            events.append("bytes closed")

    # /json and /json-binary let WebSocketDisconnect go: vivace's refusals still end them quietly

    @app.websocket("/json")
    async def json_text(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_json(await websocket.receive_json())
        finally:
            events.append("json closed")

    @app.websocket("/json-binary")
    async def json_binary(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_json(await websocket.receive_json(mode="binary"), mode="binary")
        finally:
            events.append("json-binary closed")

    @app.websocket("/iterate")
    async def iterate(websocket: WebSocket):
        await websocket.accept()
        async for message in websocket.iter_text():
            await websocket.send_text(message)
        events.append("iterate closed")

    @app.websocket("/chat")
    async def chat(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as exc:  # the documented idiom: clean up when the client goes
            events.append(f"chat left {exc.code}")

    @app.websocket("/flood")
    async def flood(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.send_text("x" * 1000)
                await asyncio.sleep(0)
        finally:
            events.append("flood closed")

    @app.websocket("/late-accept")
    async def late_accept(websocket: WebSocket):
        await asyncio.sleep(0.5)
        try:
            await websocket.accept()
        finally:
            events.append("late-accept closed")
    """,
)

MAX_SIZE = 64 * 1024


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    """vivace and FastAPI each served by uvicorn with `--ws-max-size` 64 KiB (set through uvicorn's environment)."""
    limit = {"UVICORN_WS_MAX_SIZE": str(MAX_SIZE)}
    with served_by_both(APP, tmp_path_factory, env=limit) as both:
        yield both


def wait_for_event(port: int, event: str) -> None:
    """Wait (up to 10 s) until the endpoint recorded `event`: its clean-up ran and the session is over."""
    deadline = time.monotonic() + 10
    while event not in recorded(port):
        assert time.monotonic() < deadline, f"{event!r} never happened: {recorded(port)}"
        time.sleep(0.05)


Action = Callable[[RawWebSocket], None]

CASES: dict[str, tuple[str, Action, int, str]] = {
    # name: (path, what the client sends, close code vivace sends, event the endpoint records at the end)
    "binary to a text read": ("/text", lambda ws: ws.send_bytes(b"x"), 1003, "text closed"),
    "text to a binary read": ("/bytes", lambda ws: ws.send_text("x"), 1003, "bytes closed"),
    "binary to a JSON read": ("/json", lambda ws: ws.send_bytes(b"{}"), 1003, "json closed"),
    "text that is not JSON": ("/json", lambda ws: ws.send_text("{nope"), 1007, "json closed"),
    "text to a binary JSON read": ("/json-binary", lambda ws: ws.send_text("{}"), 1003, "json-binary closed"),
    "binary JSON not UTF-8": ("/json-binary", lambda ws: ws.send_bytes(b"\xff{}"), 1007, "json-binary closed"),
    "binary while iterating text": ("/iterate", lambda ws: ws.send_bytes(b"x"), 1003, "iterate closed"),
    "binary to the chat idiom": ("/chat", lambda ws: ws.send_bytes(b"x"), 1003, "chat left 1003"),
}


@pytest.mark.parametrize("name", CASES)
def test_unexpected_message_closes_with_its_code(servers: dict[str, ServerProcess], name: str) -> None:
    """The close code, the endpoint's clean-up (its `finally` or `except WebSocketDisconnect`), no traceback."""
    path, action, code, event = CASES[name]
    server = servers["vivace"]
    log_before = len(server.output())
    with RawWebSocket(server.port, path) as ws:
        action(ws)
        assert ws.messages_until_close() == ([], code)
    wait_for_event(server.port, event)
    assert "Exception in ASGI application" not in server.output()[log_before:]
    assert healthy(server.port)


@pytest.mark.parametrize("name", CASES)
def test_fastapi_drops_the_connection_and_logs_a_traceback(servers: dict[str, ServerProcess], name: str) -> None:
    """The differential: no close frame (1006), and uvicorn logs the escaped exception."""
    path, action, _, _ = CASES[name]
    server = servers["fastapi"]
    log_before = len(server.output())
    with RawWebSocket(server.port, path) as ws:
        action(ws)
        assert ws.close_code() == ABNORMAL
    deadline = time.monotonic() + 10
    while "Exception in ASGI application" not in server.output()[log_before:]:
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("name", "send", "code"),
    [
        ("a message over --ws-max-size", lambda ws: ws.send_bytes(b"x" * (MAX_SIZE + 1)), 1009),
        ("invalid UTF-8 in a text frame", lambda ws: ws.send_frame(TEXT, b"caf\xe9"), 1007),
        ("a close frame with no code", lambda ws: ws.close(None), NO_STATUS),
        ("a normal close", lambda ws: ws.close(1000), 1000),
    ],
)
def test_closes_reach_the_endpoint_with_their_code(
    servers: dict[str, ServerProcess], name: str, send: Action, code: int
) -> None:
    """The server closes with the protocol's code (or echoes the client's), and the endpoint's
    `except WebSocketDisconnect` sees that code; nothing is logged."""
    server = servers["vivace"]
    log_before = len(server.output())
    with RawWebSocket(server.port, "/chat") as ws:
        send(ws)
        assert ws.messages_until_close() == ([], code)
    wait_for_event(server.port, f"chat left {code}")
    # NOTE: for invalid UTF-8, uvicorn's own protocol code logs the decode error it met; nothing escaped the app
    assert "Exception in ASGI application" not in server.output()[log_before:]


def test_fragmented_message_arrives_whole(servers: dict[str, ServerProcess]) -> None:
    """A text message in three fragments (a binary one too, on the bytes route) is one message to the endpoint."""
    port = servers["vivace"].port
    with RawWebSocket(port, "/text") as ws:
        ws.send_frame(TEXT, b"hel", fin=False)
        ws.send_frame(CONTINUATION, b"lo ", fin=False)
        ws.send_frame(CONTINUATION, "w\xf6rld".encode(), fin=True)
        assert ws.read_frame() == (TEXT, "hello w\xf6rld".encode())
        ws.close(1000)
        assert ws.close_code() == 1000
    with RawWebSocket(port, "/bytes") as ws:
        ws.send_frame(BINARY, b"\x00\x01", fin=False)
        ws.send_frame(CONTINUATION, b"\x02", fin=True)
        assert ws.read_frame() == (BINARY, b"\x00\x01\x02")


def test_client_vanishing_mid_send_stops_the_endpoint(servers: dict[str, ServerProcess]) -> None:
    """A client that goes away while the endpoint sends in a loop: the loop ends (its `finally` runs), quietly."""
    server = servers["vivace"]
    log_before = len(server.output())
    ws = RawWebSocket(server.port, "/flood")
    assert ws.read_frame() == (TEXT, b"x" * 1000)
    ws.sock.close()
    wait_for_event(server.port, "flood closed")
    assert "Exception in ASGI application" not in server.output()[log_before:]
    assert healthy(server.port)


def test_client_gone_before_accept(servers: dict[str, ServerProcess]) -> None:
    """The handshake request sent, the client leaves before the endpoint accepts: accept ends it quietly."""
    server = servers["vivace"]
    log_before = len(server.output())
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(
            b"GET /late-accept HTTP/1.1\r\nhost: test\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            b"sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n"
        )
    wait_for_event(server.port, "late-accept closed")
    assert "Exception in ASGI application" not in server.output()[log_before:]
    assert healthy(server.port)
