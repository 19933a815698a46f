"""How an SSE stream meets the client: events go straight from the generator to `send`, so a slow client holds
the generator back, keep-alive pings never interleave with an event, a generator that never awaits still stops
when the client leaves, and a drain that comes while an event is being sent ends the stream after it."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest
from starlette.types import Message

from vivace import FastAPI, sse
from vivace._core.drain import DRAIN
from vivace.sse import EventSourceResponse

SCOPE = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
    "path": "/events", "raw_path": b"/events", "query_string": b"", "root_path": "", "headers": [],
    "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
}  # fmt: skip


class Client:
    """A client as the server presents it: records the body chunks, can be slow, can leave."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.ended = False
        self.gone = anyio.Event()
        self.in_send = 0
        self.overlapped = False

    async def receive(self) -> Message:
        await self.gone.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        self.in_send += 1
        self.overlapped |= self.in_send > 1
        try:
            await self.on_send(message)
        finally:
            self.in_send -= 1
        if message["type"] == "http.response.body":
            if message.get("body"):
                self.chunks.append(message["body"])
            self.ended = not message.get("more_body", False)

    async def on_send(self, message: Message) -> None:
        """What the transport does with a message before it is taken (nothing: a fast client)."""


def events_app(generator: Any) -> FastAPI:
    app = FastAPI()
    app.get("/events", response_class=EventSourceResponse)(generator)
    return app


@pytest.fixture(autouse=True)
def serving() -> Iterator[None]:
    """The process is serving before and after each test (one of them drains)."""
    DRAIN.reset()
    yield
    DRAIN.reset()


def test_a_slow_client_holds_the_generator_back() -> None:
    """No buffer between the generator and the client: it is never more than one event ahead of what was taken."""
    produced: list[int] = []
    ahead: list[int] = []

    async def counting() -> AsyncIterator[int]:
        for number in range(10):
            produced.append(number)
            yield number

    class SlowClient(Client):
        async def on_send(self, message: Message) -> None:
            ahead.append(len(produced) - len(self.chunks))
            await anyio.sleep(0.01)

    client = SlowClient()

    async def main() -> None:
        with anyio.fail_after(10):
            await events_app(counting)(SCOPE, client.receive, client.send)

    anyio.run(main)
    assert len(client.chunks) == 10 and client.ended
    assert max(ahead) == 1


def test_a_ping_never_overlaps_an_event_being_sent(monkeypatch: pytest.MonkeyPatch) -> None:
    """While an event's `send` is slower than the ping interval no ping is sent beside it; pings fill the silences
    of the generator only."""
    monkeypatch.setattr(sse, "_PING_INTERVAL", 0.02)

    async def bursts() -> AsyncIterator[int]:
        for number in range(3):
            yield number
            await anyio.sleep(0.1)  # silent: pings are due

    class SlowClient(Client):
        async def on_send(self, message: Message) -> None:
            if message.get("body", b"").startswith(b"data:"):
                await anyio.sleep(0.1)  # five ping intervals inside one event's send

    client = SlowClient()

    async def main() -> None:
        with anyio.fail_after(10):
            await events_app(bursts)(SCOPE, client.receive, client.send)

    anyio.run(main)
    assert not client.overlapped
    assert [chunk for chunk in client.chunks if chunk != sse.KEEPALIVE_COMMENT] == [
        b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"
    ]
    assert sse.KEEPALIVE_COMMENT in client.chunks


def test_a_sync_generator_blocked_in_its_thread_still_gets_pings(monkeypatch: pytest.MonkeyPatch) -> None:
    """The pings come from the event loop, so a `def` generator waiting in its worker thread does not stop them."""
    monkeypatch.setattr(sse, "_PING_INTERVAL", 0.02)
    release = threading.Event()

    def blocking() -> Iterator[str]:
        yield "first"
        assert release.wait(10)
        yield "second"

    class Client2(Client):
        async def on_send(self, message: Message) -> None:
            if self.chunks.count(sse.KEEPALIVE_COMMENT) >= 2:
                release.set()

    client = Client2()

    async def main() -> None:
        with anyio.fail_after(10):
            await events_app(blocking)(SCOPE, client.receive, client.send)

    anyio.run(main)
    # NOTE: a ping may also come after "second", while the thread finds the generator exhausted (a loaded machine)
    events = [chunk for chunk in client.chunks if chunk != sse.KEEPALIVE_COMMENT]
    assert events == [b'data: "first"\n\n', b'data: "second"\n\n']
    assert client.chunks[1 : client.chunks.index(events[1])].count(sse.KEEPALIVE_COMMENT) >= 2
    assert client.ended


def counting(closed: list[bool], *, awaits: bool) -> Callable[[], AsyncIterator[int]]:
    """An endless event generator yielding 0, 1, 2...; with `awaits`, a checkpoint after each; `closed` records
    its `finally`."""

    async def endless() -> AsyncIterator[int]:
        try:
            number = 0
            while True:
                yield number
                number += 1
                if awaits:
                    await anyio.sleep(0)
        finally:
            closed.append(True)

    return endless


def test_a_generator_that_never_awaits_stops_when_the_client_leaves() -> None:
    """An endless generator without an `await`, sending into a client that never pushes back: the disconnect
    still gets in, and the generator's `finally` runs."""
    closed: list[bool] = []
    endless = counting(closed, awaits=False)

    class LeavingClient(Client):
        async def on_send(self, message: Message) -> None:
            if len(self.chunks) == 5:
                self.gone.set()

    client = LeavingClient()

    async def main() -> None:
        with anyio.fail_after(10):
            await events_app(endless)(SCOPE, client.receive, client.send)

    anyio.run(main)
    assert closed == [True]
    assert not client.ended
    assert len(client.chunks) < 200  # NOTE: stopped within a few checkpoints, not after the client's timeout


def test_a_drain_during_an_event_send_ends_the_stream_after_that_event() -> None:
    """Draining begins while an event is being sent: that event completes, then the stream ends cleanly with
    the final empty chunk, and the generator is closed."""
    closed: list[bool] = []
    endless = counting(closed, awaits=True)

    class DrainingClient(Client):
        async def on_send(self, message: Message) -> None:
            if message.get("body") == b"data: 2\n\n":
                DRAIN.begin(30)
                await anyio.sleep(0.05)  # the drain's step runs while this event is still being sent

    client = DrainingClient()

    async def main() -> None:
        with anyio.fail_after(10):
            await events_app(endless)(SCOPE, client.receive, client.send)

    started = time.monotonic()
    anyio.run(main)
    assert time.monotonic() - started < 5
    assert client.chunks == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert client.ended
    assert closed == [True]
