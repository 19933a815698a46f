"""What the tests of WebSocket sends under a server whose sends return futures share, over ASGI and RSGI: the
server's writing thread, and the apps they serve."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from vivace import Vivace, WebSocket, WebSocketDisconnect


class PendingWrites:
    """The frames a server has taken and not yet written; `write` (its thread, in the tests) settles the oldest."""

    def __init__(self, events: list[Any], failure: Callable[[], Exception]) -> None:
        self.events = events
        self.pending: list[tuple[Any, asyncio.Future[None]]] = []
        self.failure = failure  # what a frame the server could not write fails with (each server's own error)

    def taken(self, data: Any) -> asyncio.Future[None]:
        """The future a send returns for `data`: settled by `write`."""
        future = asyncio.get_running_loop().create_future()
        self.events.append(("send", data))
        self.pending.append((data, future))
        return future

    def write(self, fail: bool = False) -> None:
        """The oldest frame written, or failed because the client is gone."""
        data, future = self.pending.pop(0)
        if fail:
            future.set_exception(self.failure())
        else:
            future.set_result(None)
        self.events.append(("failed" if fail else "written", data))


async def write_when_sent(server: PendingWrites, count: int, fail_at: int | None = None) -> None:
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
