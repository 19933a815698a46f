"""What the tests of WebSocket sends under a server whose sends return futures share, over ASGI and RSGI: the
server's writing thread, and the apps they serve."""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from vivace import Vivace, WebSocket, WebSocketDisconnect


class WritingServer(Protocol):
    pending: list[Any]

    def write(self, fail: bool = False) -> None: ...


async def write_when_sent(server: WritingServer, count: int, fail_at: int | None = None) -> None:
    """The server's thread: write `count` frames, each once it has been sent, failing the `fail_at`th."""
    for number in range(count):
        while not server.pending:
            await asyncio.sleep(0)
        await asyncio.sleep(0)
        server.write(fail=number == fail_at)


def two_frames_app(events: list[Any], second: str | bytes) -> Vivace:
    """An app sending the text "one" then `second` (text or bytes), noting in `events` when each send returned."""
    app = Vivace()

    @app.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("one")
        events.append(("returned", "one"))
        await (websocket.send_bytes(second) if isinstance(second, bytes) else websocket.send_text(second))
        events.append(("returned", second))

    return app


def lost_frame_app(seen: list[Any]) -> Vivace:
    """An app sending "lost" then "never", recording in `seen` the close code of the disconnect the second send
    raises."""
    app = Vivace()

    @app.websocket("/ws")
    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("lost")
        try:
            await websocket.send_text("never")
        except WebSocketDisconnect as exc:
            seen.append(exc.code)
            raise

    return app
