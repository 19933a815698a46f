"""JSON Lines and raw chunk streams from generator endpoints: a generator that never awaits, sending to a client
that never pushes back, still lets the client's leaving in (the stream checkpoints every few items), and the
generator's `finally` runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from starlette.types import Message

from vivace import FastAPI
from vivace.responses import StreamingResponse

SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
    "path": "/stream", "raw_path": b"/stream", "query_string": b"", "root_path": "", "headers": [],
    "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
}  # fmt: skip


def endless_app(closed: list[str], response_class: Any) -> FastAPI:
    app = FastAPI()
    options = {} if response_class is None else {"response_class": response_class}

    @app.get("/stream", **options)
    async def endless() -> AsyncIterator[Any]:
        try:
            while True:
                yield b"chunk" if response_class is not None else {"n": 1}
        finally:
            closed.append("closed")

    return app


@pytest.mark.parametrize("response_class", [None, StreamingResponse], ids=["jsonl", "raw"])
def test_a_generator_that_never_awaits_stops_when_the_client_leaves(response_class: Any) -> None:
    """The disconnect reaches the stream within a few checkpoints: the app returns, the generator is closed."""
    closed: list[str] = []
    gone = anyio.Event()
    chunks: list[bytes] = []

    async def receive() -> Message:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message["body"])
            if len(chunks) == 5:
                gone.set()

    async def main() -> None:
        with anyio.fail_after(10):
            await endless_app(closed, response_class)(SCOPE, receive, send)

    anyio.run(main)
    assert closed == ["closed"]
    assert 5 <= len(chunks) < 200
