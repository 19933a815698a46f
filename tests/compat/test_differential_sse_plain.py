"""Server-Sent Events from routes without a `yield` dependency, side by side with FastAPI: what the server is
sent and when, against the generator's `finally`, the background tasks, a plain dependency, a client that leaves
(before and from ASGI 2.4) and an exception raised mid-stream. These routes run outside any exit stack, and
their events are sent straight to the server's `send` once the response has started.

NOTE: no `from __future__ import annotations`: the endpoints' annotations name each framework's classes.
"""

import functools
import importlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio
import pytest
from pydantic import BaseModel

Transcript = list[str]


def _scope(spec_version: str, query: bytes = b"") -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": spec_version}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/events", "raw_path": b"/events", "root_path": "",
        "query_string": query, "headers": [(b"host", b"test")], "client": ("c", 1), "server": ("s", 80),
    }  # fmt: skip


def _describe(exc: BaseException | None) -> str:
    """An exception as the server would log it, comparable across frameworks (groups by their members)."""
    if exc is None:
        return "returned"
    if isinstance(exc, BaseExceptionGroup):
        return "group[" + ", ".join(sorted(_describe(inner) for inner in exc.exceptions)) + "]"
    return f"{type(exc).__name__}({exc})"


async def _serve(app: Any, spec_version: str, transcript: Transcript, *, leave_after: int, query: bytes) -> None:
    """Run the app as a server would, writing each message it is sent into `transcript`; after `leave_after`
    events the client is gone (a disconnect message before ASGI 2.4, an OSError from `send` from 2.4)."""
    gone = anyio.Event()
    requested = False
    events = 0

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal events
        if gone.is_set() and spec_version == "2.4":
            transcript.append("send refused")
            raise OSError("connection lost")
        if message["type"] == "http.response.start":
            headers = [(name.decode(), value.decode()) for name, value in message.get("headers", [])]
            transcript.append(f"start {message['status']} {headers}")
            return
        more = "more" if message.get("more_body", False) else "end"
        transcript.append(f"body {message.get('body', b'')!r} {more}")
        if message.get("body"):
            events += 1
            if events >= leave_after:
                gone.set()

    raised: BaseException | None = None
    with anyio.fail_after(20):
        try:
            await app(_scope(spec_version, query), receive, send)
        except BaseException as exc:  # compared across frameworks
            raised = exc
    transcript.append(_describe(raised))


Build = Callable[[Any, Transcript], Any]


def _run(both: dict[str, Any], build: Build, spec_version: str = "2.3", *, leave_after: int = 1000,
         query: bytes = b"") -> dict[str, Transcript]:  # fmt: skip
    """Each framework's transcript of one request; the messages the server is sent must be the same."""
    transcripts = {}
    for name, fw in both.items():
        transcript: Transcript = []
        serve = functools.partial(_serve, build(fw, transcript), spec_version, transcript, leave_after=leave_after)
        anyio.run(functools.partial(serve, query=query))
        transcripts[name] = transcript
    assert _messages(transcripts["vivace"]) == _messages(transcripts["fastapi"])
    return transcripts


def _messages(transcript: Transcript) -> Transcript:
    return [line for line in transcript if line.startswith(("start ", "body ", "send refused"))]


def _app_events(transcript: Transcript) -> Transcript:
    return [line for line in transcript if not line.startswith(("start ", "body ", "send refused"))]


def _sse(fw: Any) -> Any:
    return importlib.import_module(f"{fw.name}.sse")


def build_plain(fw: Any, transcript: Transcript) -> Any:
    """A stream with background tasks, a plain dependency and the injected Response's header and status."""
    app = fw.FastAPI()

    def plain(n: int = 3) -> int:
        transcript.append("dependency called")
        return n

    @app.get("/events", response_class=_sse(fw).EventSourceResponse)
    async def stream(
        tasks: fw.BackgroundTasks, response: fw.Response, n: int = fw.Depends(plain)
    ) -> AsyncIterator[int]:
        response.headers["x-extra"] = "1"
        response.status_code = 201
        tasks.add_task(transcript.append, "background ran")
        try:
            for number in range(n):
                yield number
                await anyio.sleep(0)
        finally:
            transcript.append("generator closed")

    return app


def build_sync(fw: Any, transcript: Transcript) -> Any:
    """A sync generator (iterated in worker threads) with a background task."""
    app = fw.FastAPI()

    @app.get("/events", response_class=_sse(fw).EventSourceResponse)
    def stream(tasks: fw.BackgroundTasks) -> Iterator[dict[str, int]]:
        tasks.add_task(transcript.append, "background ran")
        try:
            yield {"a": 1}
            yield {"a": 2}
        finally:
            transcript.append("generator closed")

    return app


def build_endless(fw: Any, transcript: Transcript) -> Any:
    """A stream that ends only when the client leaves; it takes the Request (so the scope's exit stacks)."""
    app = fw.FastAPI()

    @app.get("/events", response_class=_sse(fw).EventSourceResponse)
    async def stream(request: fw.Request, tasks: fw.BackgroundTasks) -> AsyncIterator[int]:
        tasks.add_task(transcript.append, "background ran")
        try:
            number = 0
            while True:
                yield number
                number += 1
                await anyio.sleep(0)
        finally:
            transcript.append("generator closed")

    return app


def build_failing(fw: Any, transcript: Transcript) -> Any:
    """Generators that raise after their first event: a plain error, and an HTTPException (a handled type)."""
    app = fw.FastAPI()

    @app.get("/events", response_class=_sse(fw).EventSourceResponse)
    async def stream(tasks: fw.BackgroundTasks, kind: str = "plain") -> AsyncIterator[int]:
        tasks.add_task(transcript.append, "background ran")
        try:
            yield 0
            await anyio.sleep(0)
            if kind == "http":
                raise fw.HTTPException(status_code=409, detail="late")
            raise RuntimeError("generator failed")
        finally:
            transcript.append("generator closed")

    return app


_START = (
    "start 200 [('content-type', 'text/event-stream; charset=utf-8'), ('cache-control', 'no-cache'), "
    "('x-accel-buffering', 'no')]"
)

# NOTE: FastAPI runs one item ahead of the client (docs/differences.md, "Streams"), so its generator's `finally`
# comes one event earlier among the messages; the messages themselves and the other steps' order are the same,
# and vivace's whole transcript is pinned.


def test_a_stream_ends_then_its_generator_closes_then_background_tasks_run(both: dict[str, Any]) -> None:
    """One chunk per event, the generator's `finally`, the final empty chunk, then the background tasks."""
    transcripts = _run(both, build_plain)
    assert transcripts["vivace"] == [
        "dependency called", _START, "body b'data: 0\\n\\n' more", "body b'data: 1\\n\\n' more",
        "body b'data: 2\\n\\n' more", "generator closed", "body b'' end", "background ran", "returned",
    ]  # fmt: skip
    assert _app_events(transcripts["fastapi"]) == _app_events(transcripts["vivace"])


def test_a_sync_generator_stream_keeps_fastapis_order(both: dict[str, Any]) -> None:
    """A `def` generator's events, its `finally`, the final chunk and the background task, in that order."""
    transcripts = _run(both, build_sync)
    assert transcripts["vivace"] == [
        _START, "body b'data: {\"a\":1}\\n\\n' more", "body b'data: {\"a\":2}\\n\\n' more", "generator closed",
        "body b'' end", "background ran", "returned",
    ]  # fmt: skip
    assert _app_events(transcripts["fastapi"]) == _app_events(transcripts["vivace"])


def test_a_client_leaving_before_asgi_2_4_ends_the_stream_quietly(both: dict[str, Any]) -> None:
    """A disconnect message after two events: the generator is closed, the background tasks still run, and the
    app returns (FastAPI raises anyio's BrokenResourceError in a group there, after its background tasks)."""
    transcripts = _run(both, build_endless, "2.3", leave_after=2)
    assert _app_events(transcripts["vivace"]) == ["generator closed", "background ran", "returned"]
    assert _app_events(transcripts["fastapi"]) == ["background ran", "group[BrokenResourceError()]", "generator closed"]


def test_a_client_leaving_from_asgi_2_4_is_a_client_disconnect(both: dict[str, Any]) -> None:
    """A send refused with OSError after two events: the generator is closed, no background task runs, and the
    server gets ClientDisconnect in a group, as from FastAPI."""
    transcripts = _run(both, build_endless, "2.4", leave_after=2)
    assert transcripts["vivace"][-3:] == ["send refused", "generator closed", "group[ClientDisconnect()]"]
    assert transcripts["fastapi"] == transcripts["vivace"]


@pytest.mark.parametrize(("query", "raised"), [
    (b"kind=plain", "group[RuntimeError(generator failed)]"), (b"kind=http", "group[HTTPException(409: late)]"),
])  # fmt: skip
def test_an_exception_mid_stream_reaches_the_server_like_fastapis(
    both: dict[str, Any], query: bytes, raised: str
) -> None:
    """An exception raised by the generator after the response started is not answered again: the generator's
    `finally` runs, then the exception goes to the server in a group, with no final chunk and no background task."""
    transcripts = _run(both, build_failing, query=query)
    assert transcripts["vivace"] == [_START, "body b'data: 0\\n\\n' more", "generator closed", raised]
    assert _app_events(transcripts["fastapi"]) == _app_events(transcripts["vivace"])


def build_rejecting(fw: Any) -> Any:
    """SSE routes whose request is refused before the stream starts: by validation, or by a plain dependency."""
    app = fw.FastAPI()
    sse = _sse(fw)

    def token(x_token: str = fw.Header()) -> str:
        if x_token != "ok":
            raise fw.HTTPException(status_code=401, detail="bad token")
        return x_token

    def page(size: int = 10) -> int:
        return size

    @app.get("/events", response_class=sse.EventSourceResponse)
    async def stream(n: int, t: str = fw.Depends(token), size: int = fw.Depends(page)) -> AsyncIterator[int]:
        for number in range(n):
            yield number

    return app


@pytest.mark.parametrize(
    "req",
    [
        ("GET /events?n=2", {"headers": {"x-token": "ok"}}),
        ("GET /events?n=x&size=y", {"headers": {"x-token": "ok"}}),
        ("GET /events?n=2", {"headers": {"x-token": "no"}}),
        "GET /events?n=2",
    ],
)
def test_a_stream_refused_before_it_starts_is_answered_like_fastapi(same: Any, req: Any) -> None:
    """Validation errors and a dependency's HTTPException on an SSE route get FastAPI's status, headers, body."""
    same(build_rejecting, req)


def build_alternating(fw: Any) -> Any:
    """Untyped streams that switch between plain values, events and an event subclass from one item to the next."""
    app = fw.FastAPI()
    sse = _sse(fw)

    class Point(BaseModel):
        x: int

    class Tagged(sse.ServerSentEvent):
        pass

    @app.get("/events", response_class=sse.EventSourceResponse)
    async def stream() -> AsyncIterator[Any]:
        yield Point(x=1)
        yield Point(x=2)
        yield sse.ServerSentEvent(data=Point(x=3), event="e")
        yield Point(x=4)
        yield Tagged(raw_data="tagged", id="5")
        yield {"a": 6}
        yield {"a": 7}
        yield sse.ServerSentEvent(comment="c")
        yield "eight"
        yield Tagged(data=9)
        yield None

    return app


def test_items_switching_between_values_and_events_are_encoded_like_fastapi(same: Any) -> None:
    """Each item is an event or a plain value on its own, whatever the items before it were."""
    same(build_alternating, "GET /events")
