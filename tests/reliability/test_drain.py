"""The drain in-process (TestClient), step by step: what a stream, a WebSocket session and a new request do once
draining begins, and how the drain attaches to uvicorn's signal handler. The whole sequence on a real uvicorn sent
SIGTERM is in test_graceful_shutdown.py.
"""

import asyncio
import signal
import threading
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterator
from types import FrameType
from typing import Annotated, Any

import pytest
from starlette.websockets import WebSocketDisconnect

from vivace import Depends, FastAPI, WebSocket
from vivace._core import drain, stream
from vivace._core.drain import DRAIN, grace_before
from vivace.responses import StreamingResponse
from vivace.sse import EventSourceResponse
from vivace.testclient import TestClient


@pytest.fixture(autouse=True)
def fresh_drain() -> Iterator[None]:
    """Every test starts serving, and leaves the process serving."""
    DRAIN.reset()
    yield
    DRAIN.reset()


def build(events: list[str], started: threading.Event) -> FastAPI:
    app = FastAPI()

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        finally:
            events.append("dependency teardown")

    @app.get("/plain")
    async def plain() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/events", response_class=EventSourceResponse)
    async def sse(_: Annotated[None, Depends(resource)]) -> AsyncIterable[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                started.set()
                await asyncio.sleep(0.05)
        finally:
            events.append("generator finally")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            try:
                while True:
                    yield b"x"
                    started.set()
                    await asyncio.sleep(0.05)
            finally:
                events.append("stream finally")

        return StreamingResponse(chunks())

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        started.set()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as exc:
            events.append(f"left {exc.code}")

    return app


def begin_when(started: threading.Event, grace: float) -> None:
    """Start draining from another thread once the stream or session is running (as a signal would)."""

    def begin() -> None:
        assert started.wait(10)
        DRAIN.begin(grace)

    threading.Thread(target=begin, daemon=True).start()


def test_sse_stream_ends_cleanly_at_once() -> None:
    """The SSE response ends (a complete body, not an error) right after draining begins, even with a long
    grace; the generator's `finally` and the yield dependency's teardown have run."""
    events: list[str] = []
    started = threading.Event()
    client = TestClient(build(events, started))
    begin_when(started, grace=30)
    began = time.monotonic()
    with client.stream("GET", "/events") as response:
        body = b"".join(response.iter_bytes())
    assert time.monotonic() - began < 10
    assert body.startswith(b"data: 0\n\n")
    assert events == ["generator finally", "dependency teardown"]


def test_other_streams_run_for_the_grace_then_end_cleanly() -> None:
    """A StreamingResponse keeps sending through the grace period, then ends; its generator's `finally` runs."""
    events: list[str] = []
    started = threading.Event()
    client = TestClient(build(events, started))
    grace = 0.6
    begin_when(started, grace=grace)
    with client.stream("GET", "/stream") as response:
        chunks = [(time.monotonic(), chunk) for chunk in response.iter_bytes()]
    assert chunks[-1][0] - chunks[0][0] >= grace * 0.9
    assert events == ["stream finally"]


def test_websocket_is_closed_with_going_away() -> None:
    """An open session receives a close frame with 1001; the endpoint's read sees the disconnect."""
    events: list[str] = []
    started = threading.Event()
    client = TestClient(build(events, started))
    begin_when(started, grace=5)
    with client.websocket_connect("/ws") as websocket, pytest.raises(WebSocketDisconnect) as closed:
        websocket.receive_text()
    assert closed.value.code == 1001


def test_a_stream_started_during_the_drain_ends_too() -> None:
    """A stream that starts after draining began (its request was in flight) is drained at once."""
    events: list[str] = []
    client = TestClient(build(events, threading.Event()))  # NOTE: no lifespan: the app does not refuse requests
    DRAIN.begin(30)
    with client.stream("GET", "/events") as response:
        body = b"".join(response.iter_bytes())
    assert body.count(b"data:") <= 2
    assert "generator finally" in events


def test_new_requests_are_refused_during_the_drain() -> None:
    """Once draining, the app answers new requests 503 with Connection: close, and refuses WebSocket handshakes;
    requests before it are served as usual."""
    app = build([], threading.Event())
    with TestClient(app) as client:
        assert client.get("/plain").status_code == 200
        DRAIN.begin(0)
        refused = client.get("/plain")
        assert (refused.status_code, refused.json()) == (503, {"detail": "Service Unavailable"})
        assert refused.headers["connection"] == "close"
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ws"):
            pass
        assert closed.value.code == 1001


@pytest.mark.parametrize(("deadline", "grace"), [(None, 30.0), (10.0, 8.0), (3.0, 2.0), (1.0, 0.0), (0.0, 0.0)])
def test_grace_leaves_room_before_the_server_deadline(deadline: float | None, grace: float) -> None:
    """Streams get 80 % of uvicorn's deadline (at least one second of margin), 30 s when it has none."""
    assert grace_before(deadline) == pytest.approx(grace)


class FakeServer:
    """Stands in for uvicorn's Server: what the drain looks for is a bound `handle_exit` from a uvicorn module."""

    def __init__(self) -> None:
        self.config = type("Config", (), {"timeout_graceful_shutdown": 5.0})()
        self.signals: list[int] = []

    def handle_exit(self, signum: int, frame: FrameType | None) -> None:
        self.signals.append(signum)


FakeServer.__module__ = "uvicorn.server"


def test_uvicorn_handler_is_chained_then_restored() -> None:
    """Inside uvicorn's handler, the lifespan chains SIGTERM: the signal starts the drain, then reaches uvicorn;
    when the lifespan ends uvicorn's handler is back."""
    server = FakeServer()
    app = build([], threading.Event())
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        for signum in previous:
            signal.signal(signum, server.handle_exit)

        async def lifespan() -> None:
            with drain.watch(app):
                assert signal.getsignal(signal.SIGTERM) != server.handle_exit
                signal.raise_signal(signal.SIGTERM)
                for _ in range(100):
                    if server.signals:
                        break
                    await asyncio.sleep(0.01)
            assert signal.getsignal(signal.SIGTERM) == server.handle_exit

        asyncio.run(lifespan())
        assert DRAIN.started
        assert DRAIN.grace == pytest.approx(4.0)
        assert server.signals == [signal.SIGTERM]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_other_servers_handlers_are_left_alone() -> None:
    """A handler that is not uvicorn's (another server, or none) is not touched."""

    def other(signum: int, frame: Any) -> None: ...

    previous = signal.getsignal(signal.SIGTERM)
    try:
        signal.signal(signal.SIGTERM, other)

        async def lifespan() -> None:
            with drain.watch(build([], threading.Event())):
                assert signal.getsignal(signal.SIGTERM) is other

        asyncio.run(lifespan())
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_granian_workers_loop_handler_is_chained_then_restored(monkeypatch: pytest.MonkeyPatch) -> None:
    """In a granian worker (its loop handles SIGTERM), the lifespan chains the signal: it starts the drain, with a
    grace from GRANIAN_WORKERS_KILL_TIMEOUT, and still reaches granian's loop handler; the handler is back after."""
    import multiprocessing

    import granian  # noqa: F401 - the drain looks for granian among the loaded modules

    monkeypatch.setattr(multiprocessing.current_process(), "name", "granian-worker")
    monkeypatch.setenv(drain.GRANIAN_DEADLINE_ENV, "5")
    previous = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    reached: list[str] = []
    try:

        async def lifespan() -> None:
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGTERM, reached.append, "granian")  # as granian's worker does
            loops_handler = signal.getsignal(signal.SIGTERM)
            with drain.watch(build([], threading.Event())):
                assert signal.getsignal(signal.SIGTERM) is not loops_handler
                signal.raise_signal(signal.SIGTERM)
                for _ in range(100):
                    if reached and DRAIN.started:
                        break
                    await asyncio.sleep(0.01)
            assert signal.getsignal(signal.SIGTERM) is loops_handler
            loop.remove_signal_handler(signal.SIGTERM)

        asyncio.run(lifespan())
        assert DRAIN.started
        assert DRAIN.grace == pytest.approx(4.0)
        assert reached == ["granian"]
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


@pytest.mark.parametrize(("value", "deadline"), [("8", 8.0), ("2.5", 2.5), ("soon", None), (None, None)])
def test_granian_deadline_is_read_from_its_environment_variable(
    monkeypatch: pytest.MonkeyPatch, value: str | None, deadline: float | None
) -> None:
    """granian's kill timeout, given as GRANIAN_WORKERS_KILL_TIMEOUT, is the drain's deadline; else there is none."""
    if value is None:
        monkeypatch.delenv(drain.GRANIAN_DEADLINE_ENV, raising=False)
    else:
        monkeypatch.setenv(drain.GRANIAN_DEADLINE_ENV, value)
    assert drain.granian_deadline() == deadline


def test_a_stream_with_a_declared_length_is_left_to_the_server() -> None:
    """Ending a stream that declared its Content-Length early would break the framing: its body is not wrapped;
    other streaming responses are."""

    async def chunks() -> AsyncIterator[bytes]:
        yield b"abc"

    sized = StreamingResponse(chunks(), headers={"content-length": "3"})
    body = sized.body_iterator
    assert stream.drainable(sized).body_iterator is body
    unsized = StreamingResponse(chunks())
    body = unsized.body_iterator
    assert stream.drainable(unsized).body_iterator is not body
