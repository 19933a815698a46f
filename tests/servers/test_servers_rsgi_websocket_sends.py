"""WebSocket sends over RSGI when granian hands back a future (as granian does: its own thread writes the frame):
a send returns without waiting for the write, the next send and the end of the session wait for it, and a frame
granian could not write is reported as a client gone."""

from __future__ import annotations

import asyncio
from typing import Any

from future_sends import PendingWrites, lost_frame_app, two_frames_app, write_when_sent
from test_servers_adapter import Message, Scope

from vivace import Vivace, WebSocket, WebSocketDisconnect
from vivace._rsgi.entry import RSGIEntry


class FutureTransport(PendingWrites):
    """granian's RSGIWebsocketTransport, whose sends return futures the test settles (granian's thread writing)."""

    def __init__(self, incoming: list[Message], events: list[Any]) -> None:
        super().__init__(events, lambda: RuntimeError("connection closed"))
        self.incoming = incoming

    async def receive(self) -> Message:
        await asyncio.sleep(0)  # a read lets the loop run, as a real one does
        if not self.incoming:
            raise RuntimeError("closed")
        return self.incoming.pop(0)

    def send_str(self, data: str) -> asyncio.Future[None]:
        return self.taken(data)


class FutureProtocol:
    def __init__(self, transport: FutureTransport) -> None:
        self.transport = transport

    async def accept(self) -> FutureTransport:
        return self.transport

    def close(self, status: int) -> None:
        self.transport.events.append(("close", status))


def serve(app: Vivace, transport: FutureTransport, settle: Any) -> None:
    """Run the session at /ws with `settle(transport)` running beside it (granian's thread)."""
    scope = Scope("/ws")
    scope.proto = "ws"

    async def run() -> None:
        writer = asyncio.ensure_future(settle(transport))
        await RSGIEntry(app).__rsgi__(scope, FutureProtocol(transport))  # type: ignore[arg-type]
        await writer

    asyncio.run(run())


def test_a_send_returns_before_the_write_and_the_next_one_waits_for_it() -> None:
    """Frames go out in order, one in flight at a time; the last is written before the connection closes."""
    events: list[Any] = []
    transport = FutureTransport([], events)
    serve(two_frames_app(events, "two"), transport, lambda t: write_when_sent(t, 2))
    assert events == [
        ("send", "one"), ("returned", "one"), ("written", "one"),
        ("send", "two"), ("returned", "two"), ("written", "two"),
        ("close", 403),
    ]  # fmt: skip


def test_an_echo_reads_while_its_last_frame_is_written() -> None:
    """The echo's next read does not wait for the previous frame; the client's close ends the session quietly."""
    events: list[Any] = []
    seen: list[Any] = []
    app = Vivace()

    @app.websocket("/ws")
    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.send_text(await websocket.receive_text())
        except WebSocketDisconnect as exc:
            seen.append(exc.code)

    transport = FutureTransport([Message(2, "a"), Message(2, "b"), Message(0)], events)
    serve(app, transport, lambda t: write_when_sent(t, 2))
    assert seen == [1005]
    assert [event for event in events if event[0] != "close"] == [
        ("send", "a"), ("written", "a"), ("send", "b"), ("written", "b"),
    ]  # fmt: skip


def test_a_frame_granian_could_not_write_is_a_client_gone_at_the_next_send() -> None:
    """The failed write surfaces as WebSocketDisconnect (1006) from the next send; the session ends quietly."""
    events: list[Any] = []
    seen: list[Any] = []
    transport = FutureTransport([], events)
    serve(lost_frame_app(seen), transport, lambda t: write_when_sent(t, 1, fail_at=0))
    assert seen == [1006]
    assert events == [("send", "lost"), ("failed", "lost")]  # nothing more sent; granian has closed it already
