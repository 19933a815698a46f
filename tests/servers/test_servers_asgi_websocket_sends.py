"""WebSocket sends under an ASGI server whose `send` returns a future (granian's ASGI interface: its own thread
writes the frame): `send_text`/`send_bytes` return without waiting for the write, the next send, any other message
and the end of the session wait for it, and a frame the server could not write is a client gone."""

from __future__ import annotations

import asyncio
from typing import Any

from future_sends import PendingWrites, lost_frame_app, two_frames_app, write_when_sent

from vivace import Vivace, WebSocket


class FutureServer(PendingWrites):
    """An ASGI server's WebSocket `receive`/`send`; sends return futures that `write` settles in order."""

    def __init__(self, incoming: list[dict[str, Any]], events: list[Any]) -> None:
        # NOTE: OSError is what ASGI servers raise for a send to a client that is gone
        super().__init__(events, lambda: OSError("the client is gone"))
        self.incoming = [{"type": "websocket.connect"}, *incoming]

    async def receive(self) -> dict[str, Any]:
        await asyncio.sleep(0)  # a read lets the loop run, as a real one does
        if not self.incoming:
            return {"type": "websocket.disconnect", "code": 1000}
        return self.incoming.pop(0)

    def send(self, message: dict[str, Any]) -> asyncio.Future[None]:
        if message["type"] != "websocket.send":
            self.events.append((message["type"], message.get("code")))
            future = asyncio.get_running_loop().create_future()
            future.set_result(None)
            return future
        return self.taken(message.get("text") if message.get("text") is not None else message.get("bytes"))


def serve(app: Vivace, server: FutureServer, writes: int, fail_at: int | None = None) -> None:
    """Run the session at /ws with the server's thread writing `writes` frames beside it."""
    scope = {"type": "websocket", "path": "/ws", "raw_path": b"/ws", "query_string": b"", "headers": [],
             "scheme": "ws", "server": ("test", 80), "client": ("test", 5000), "root_path": "",
             "subprotocols": [], "asgi": {"version": "3.0", "spec_version": "2.4"}}  # fmt: skip

    async def run() -> None:
        writing = asyncio.ensure_future(write_when_sent(server, writes, fail_at))
        await app(scope, server.receive, server.send)
        await writing

    asyncio.run(run())


def test_a_send_returns_before_the_write_and_the_next_one_waits_for_it() -> None:
    """Frames go out in order, one in flight at a time; the last is written before the app returns."""
    events: list[Any] = []
    serve(two_frames_app(events, b"two"), FutureServer([], events), writes=2)
    events.append("app returned")
    assert events == [
        ("websocket.accept", None),
        ("send", "one"), ("returned", "one"), ("written", "one"),
        ("send", b"two"), ("returned", b"two"), ("written", b"two"),
        "app returned",
    ]  # fmt: skip


def test_a_close_waits_for_the_last_frame() -> None:
    """The close frame follows the data frame sent before it."""
    events: list[Any] = []
    app = Vivace()

    @app.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("bye")
        await websocket.close(4000)

    serve(app, FutureServer([], events), writes=1)
    assert events[1:] == [("send", "bye"), ("written", "bye"), ("websocket.close", 4000)]


def test_a_frame_the_server_could_not_write_is_a_client_gone_at_the_next_send() -> None:
    """The failed write surfaces as WebSocketDisconnect (1006) from the next send, which is not sent."""
    events: list[Any] = []
    seen: list[Any] = []
    serve(lost_frame_app(seen), FutureServer([], events), writes=1, fail_at=0)
    assert seen == [1006]
    assert events == [("websocket.accept", None), ("send", "lost"), ("failed", "lost")]
