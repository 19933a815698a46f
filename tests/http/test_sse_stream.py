"""Server-Sent Events from generator endpoints: ordering, keep-alive pings, and clean-up when the client leaves."""

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio
import pytest

from vivace import FastAPI, sse
from vivace.sse import EventSourceResponse, ServerSentEvent


async def read_stream(app: Any, path: str, *, chunks_wanted: int, deadline: float = 5.0) -> list[bytes]:
    """Call the app as a server would and collect body chunks until `chunks_wanted`, then disconnect."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"accept", b"text/event-stream")], "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }
    chunks: list[bytes] = []
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            chunks.append(message["body"])
            if len(chunks) >= chunks_wanted:
                gone.set()

    with anyio.fail_after(deadline):
        await app(scope, receive, send)
    return chunks


def test_events_arrive_in_order_with_ids() -> None:
    """Every yielded item becomes one event, in order; ServerSentEvent fields are rendered."""
    app = FastAPI()

    @app.get("/events", response_class=EventSourceResponse)
    async def events() -> AsyncIterator[ServerSentEvent]:
        for number in range(50):
            yield ServerSentEvent(data={"n": number}, id=str(number), event="tick")

    chunks = anyio.run(partial(read_stream, app, "/events", chunks_wanted=50))
    assert chunks[0] == b'event: tick\ndata: {"n": 0}\nid: 0\n\n'
    assert [c.split(b"\nid: ")[1] for c in chunks] == [f"{n}\n\n".encode() for n in range(50)]


def test_idle_stream_sends_keepalive_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """When the generator is silent for the ping interval, a comment keeps the connection alive."""
    monkeypatch.setattr(sse, "_PING_INTERVAL", 0.05)
    app = FastAPI()

    @app.get("/slow", response_class=EventSourceResponse)
    async def slow() -> AsyncIterator[str]:
        yield "first"
        await anyio.sleep(0.3)
        yield "second"

    chunks = anyio.run(partial(read_stream, app, "/slow", chunks_wanted=4))
    assert chunks[0] == b'data: "first"\n\n'
    assert chunks[1:4] == [sse.KEEPALIVE_COMMENT] * 3


def test_busy_stream_sends_no_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pings only fill silence: a generator that keeps producing gets none in between its events."""
    monkeypatch.setattr(sse, "_PING_INTERVAL", 0.2)
    app = FastAPI()

    @app.get("/busy", response_class=EventSourceResponse)
    async def busy() -> AsyncIterator[int]:
        for number in range(20):
            await anyio.sleep(0.01)
            yield number

    chunks = anyio.run(partial(read_stream, app, "/busy", chunks_wanted=20))
    assert sse.KEEPALIVE_COMMENT not in chunks


def test_disconnect_closes_the_generator_without_errors() -> None:
    """A client leaving mid-stream ends the generator (its `finally` runs) and the app returns normally."""
    closed = anyio.Event()
    app = FastAPI()

    @app.get("/forever", response_class=EventSourceResponse)
    async def forever() -> AsyncIterator[int]:
        number = 0
        try:
            while True:
                yield number
                number += 1
                await anyio.sleep(0)
        finally:
            closed.set()

    async def scenario() -> list[bytes]:
        chunks = await read_stream(app, "/forever", chunks_wanted=5)
        with anyio.fail_after(2):
            await closed.wait()
        return chunks

    assert len(anyio.run(scenario)) >= 5
