"""A WebSocket endpoint's unhandled error closes the connection with 1011 (internal error): the client gets a close
frame saying the server failed and nothing of the error, and the server logs the traceback.

uvicorn itself only drops the connection when an application raises after the handshake: FastAPI's client sees
1006 with no close frame (shown side by side below). Checked on the wire with the raw client, with the `websockets`
package's client, and in-process on the ASGI messages.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
import websockets
from process_support import ServerProcess
from reliability_support import app_source, served_by_both
from wire import healthy
from ws_wire import ABNORMAL, HandshakeRefused, RawWebSocket

from vivace import FastAPI, WebSocket
from vivace.exceptions import WebSocketException

APP = app_source(
    """
    from fastapi import FastAPI, WebSocket
    """,
    """
    @app.websocket("/fails")
    async def fails(websocket: WebSocket):
        await websocket.accept()
        await websocket.receive_text()
        raise ValueError("secret-detail-42")

    @app.websocket("/fails-before-accept")
    async def fails_before_accept(websocket: WebSocket):
        raise ValueError("secret-detail-43")
    """,
    log=None,
)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    with served_by_both(APP, tmp_path_factory) as both:
        yield both


def wait_for_log(server: ServerProcess, text: str, since: int) -> None:
    deadline = time.monotonic() + 10
    while text not in server.output()[since:]:
        assert time.monotonic() < deadline, f"{text!r} never logged:\n{server.output()[since:]}"
        time.sleep(0.05)


def test_unhandled_error_closes_with_1011_and_is_logged(servers: dict[str, ServerProcess]) -> None:
    """The raw client reads a close frame with 1011 and an empty reason; uvicorn logs the traceback."""
    server = servers["vivace"]
    since = len(server.output())
    with RawWebSocket(server.port, "/fails") as ws:
        ws.send_text("go")
        frames, code = ws.messages_until_close()
    assert (frames, code) == ([], 1011)
    wait_for_log(server, "secret-detail-42", since)
    assert "Exception in ASGI application" in server.output()[since:]
    assert healthy(server.port)


def test_websockets_client_sees_internal_error(servers: dict[str, ServerProcess]) -> None:
    """The `websockets` package's client ends with ConnectionClosedError carrying 1011 and no error text."""

    async def session() -> Any:
        async with websockets.connect(f"ws://127.0.0.1:{servers['vivace'].port}/fails", open_timeout=30) as ws:
            await ws.send("go")
            with pytest.raises(websockets.ConnectionClosedError) as closed:
                await asyncio.wait_for(ws.recv(), 30)
            return closed.value.rcvd

    received = asyncio.run(session())
    assert received is not None
    assert (received.code, received.reason) == (1011, "")


def test_fastapi_drops_the_connection(servers: dict[str, ServerProcess]) -> None:
    """The differential: on FastAPI the same endpoint ends in a dropped connection, no close frame (1006)."""
    with RawWebSocket(servers["fastapi"].port, "/fails") as ws:
        ws.send_text("go")
        assert ws.close_code() == ABNORMAL


@pytest.mark.parametrize("framework", ["vivace", "fastapi"])
def test_error_before_accept_is_a_500_handshake_answer(servers: dict[str, ServerProcess], framework: str) -> None:
    """Before the handshake there is no connection to close: uvicorn answers the upgrade with 500, as for FastAPI."""
    with pytest.raises(HandshakeRefused) as refused:
        RawWebSocket(servers[framework].port, "/fails-before-accept")
    assert refused.value.status == 500


# -- in-process, on the ASGI messages -------------------------------------------------------------------------


class Custom(Exception):
    pass


def local_app() -> FastAPI:
    app = FastAPI()

    @app.websocket("/fails")
    async def fails(websocket: WebSocket) -> None:
        await websocket.accept()
        raise ValueError("boom")

    @app.websocket("/handled")
    async def handled(websocket: WebSocket) -> None:
        await websocket.accept()
        raise Custom

    @app.websocket("/refused")
    async def refused(websocket: WebSocket) -> None:
        await websocket.accept()
        raise WebSocketException(code=4001, reason="no")

    @app.websocket("/closed-first")
    async def closed_first(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.close(1000)
        raise ValueError("after close")

    @app.exception_handler(Custom)
    async def on_custom(websocket: WebSocket, exc: Custom) -> None:
        await websocket.close(code=4002, reason="custom")

    return app


def run_session(path: str) -> tuple[list[dict[str, Any]], BaseException | None]:
    """The messages the app sent for one connection at `path`, and what it raised."""
    sent: list[dict[str, Any]] = []
    incoming = [{"type": "websocket.connect"}]

    async def receive() -> dict[str, Any]:
        return incoming.pop() if incoming else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "websocket", "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"",
             "headers": [], "scheme": "ws", "subprotocols": [], "asgi": {"version": "3.0"}}  # fmt: skip
    try:
        asyncio.run(local_app()(scope, receive, send))  # type: ignore[arg-type]
    except Exception as exc:
        return sent, exc
    return sent, None


def closes(sent: list[dict[str, Any]]) -> list[tuple[Any, Any]]:
    return [(m.get("code"), m.get("reason")) for m in sent if m["type"] == "websocket.close"]


def test_asgi_close_1011_then_the_error_goes_to_the_server() -> None:
    """The app sends websocket.close 1011 (no reason), then raises the error again for the server to log."""
    sent, raised = run_session("/fails")
    assert closes(sent) == [(1011, "")]
    assert isinstance(raised, ValueError)


def test_handled_errors_keep_their_handler_close() -> None:
    """An exception handler (the user's, or the default one for WebSocketException) closes with its own code."""
    assert closes(run_session("/handled")[0]) == [(4002, "custom")]
    assert closes(run_session("/refused")[0]) == [(4001, "no")]


def test_no_second_close_after_the_endpoint_closed() -> None:
    """An endpoint that closed before it failed gets no extra 1011 frame."""
    sent, raised = run_session("/closed-first")
    assert closes(sent) == [(1000, "")]
    assert isinstance(raised, ValueError)
