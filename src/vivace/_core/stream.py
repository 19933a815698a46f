"""Generator endpoints: JSON Lines by default, Server-Sent Events with `EventSourceResponse`, or raw chunks
handed to an explicit streaming `response_class` — FastAPI 0.165's three streaming modes."""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from contextlib import asynccontextmanager
from typing import Any, get_args, get_origin

import anyio
from starlette.concurrency import iterate_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from vivace import sse
from vivace._core.drain import DRAIN
from vivace.encoders import jsonable_encoder

__all__ = [
    "AFTER_START", "drainable", "item_serializer", "sse_item_serializer", "stream_item_type", "streaming_response"
]

#: the attribute a `send` wrapper that only watches the response's start (`runner.tracked`) may carry: the `send`
#: it wraps, which an event stream calls directly for its events once it has sent the start through the wrapper
AFTER_START = "vivace_after_start"

_STREAM_ORIGINS = (AsyncIterable, AsyncIterator, AsyncGenerator, Iterable, Iterator, Generator)


def stream_item_type(annotation: Any) -> Any:
    """`AsyncIterable[Item]` -> `Item` (Any when unparametrised); None for other annotations."""
    origin = get_origin(annotation)
    if origin is None or origin not in _STREAM_ORIGINS:
        return None
    args = get_args(annotation)
    return args[0] if args else Any


def _finite(data: Any) -> Any:
    """NaN and infinities become null, so every streamed item is valid JSON."""
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_finite(value) for value in data]
    return data


def _plain_item(item: Any) -> bytes:
    # NOTE: FastAPI streams untyped items with json.dumps' default separators (", " and ": ").
    return json.dumps(_finite(jsonable_encoder(item))).encode()


def item_serializer(typed: Callable[[Any], bytes] | None) -> Callable[[Any], bytes]:
    """One streamed item to JSON bytes: through the declared item type when there is one."""
    return typed if typed is not None else _plain_item


_LF, _CR = ord("\n"), ord("\r")
_DATA_LINE = (b"data: ", b"\n\n")


def _reports_own_class(cls: type) -> bool:
    """Whether every instance of `cls` has `cls` as its `__class__` (no class in its MRO redefines it, nor how
    attributes are looked up), so that whether an instance is a `ServerSentEvent` depends on `cls` alone."""
    if cls in _BUILTIN_VALUES:
        return True
    return all("__class__" not in vars(base) and "__getattribute__" not in vars(base) for base in cls.__mro__[:-1])


#: the builtin types of untyped items (their `__getattribute__` is a slot of their own, so the check cannot tell)
_BUILTIN_VALUES = frozenset({dict, list, tuple, str, bytes, int, float, bool, type(None)})


def sse_item_serializer(data: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """One yielded value to an SSE event; `ServerSentEvent` items bypass the item type on purpose."""
    event_class = sse.ServerSentEvent
    # PERF: the last item type found not to be an event: a stream's items are mostly of one type, and an
    # isinstance check that fails on a Pydantic model costs ~1k instructions per event
    plain: type = type(None)  # NOTE: None is never an event either

    def encode(item: Any) -> bytes:
        nonlocal plain
        if type(item) is not plain:
            if isinstance(item, event_class):
                return _event_bytes(item)
            if _reports_own_class(type(item)):
                plain = type(item)
        payload = data(item)
        # PERF: byte values, not b"\n": `bytes in bytes` raises and clears a TypeError first (~300 ns)
        if _LF in payload or _CR in payload:  # NOTE: not from a JSON writer; split into data lines
            return sse.format_sse_event(data_str=payload.decode())
        # PERF: one-line JSON is its own data line: format_sse_event's bytes without the str round trip, made as
        # b"data: " + payload + b"\n\n" in one allocation (the payload joins the two halves)
        return payload.join(_DATA_LINE)

    return encode


def _event_bytes(item: sse.ServerSentEvent) -> bytes:
    if item.raw_data is not None:
        text: str | None = item.raw_data
    elif item.data is None:
        text = None
    elif hasattr(item.data, "model_dump_json"):
        text = item.data.model_dump_json()
    else:
        text = json.dumps(_finite(jsonable_encoder(item.data)))
    return sse.format_sse_event(data_str=text, event=item.event, id=item.id, retry=item.retry, comment=item.comment)


@asynccontextmanager
async def _closing(source: Any) -> AsyncIterator[None]:
    """Close the endpoint's generator on the way out, so its `finally` blocks run even when it is suspended at a
    `yield` (the producer waiting on a full buffer) when the client leaves."""
    try:
        yield
    finally:
        if hasattr(source, "aclose"):
            with anyio.CancelScope(shield=True):
                await source.aclose()
        elif hasattr(source, "close"):
            source.close()


def _aiter(source: Any) -> AsyncIterator[Any]:
    return source.__aiter__() if hasattr(source, "__aiter__") else iterate_in_threadpool(source)


# NOTE: a generator that never awaits, sending to a client that never pushes back, would hold the event loop: a
# checkpoint every this many events lets a disconnect, a drain and other requests in. PERF: a checkpoint is a loop
# iteration, ~23k instructions in-process, as much as the rest of an event; one every 32 events is ~0.7k each.
_CHECKPOINT_EVERY = 32


async def _jsonl(source: Any, encode: Callable[[Any], bytes]) -> AsyncIterator[bytes]:
    countdown = _CHECKPOINT_EVERY
    async for item in _aiter(source):
        yield encode(item) + b"\n"
        countdown -= 1
        if not countdown:  # NOTE: so a disconnect can cancel even a producer that never awaits
            countdown = _CHECKPOINT_EVERY
            await anyio.lowlevel.checkpoint()


def _jsonl_sync(source: Iterator[Any], encode: Callable[[Any], bytes]) -> Iterator[bytes]:
    for item in source:
        yield encode(item) + b"\n"


class _Pacing:
    """What an event stream's sending loop and its keep-alive timer share."""

    __slots__ = ("last", "pinging", "sending", "stopping")

    def __init__(self) -> None:
        self.last = time.monotonic()  # when something was last sent (or the stream began)
        self.sending = False  # the loop is inside `send` for an event: no ping may be sent now
        self.pinging: anyio.Event | None = None  # set while a ping is being sent; the loop waits for it
        self.stopping = False  # the drain came while the loop was sending: stop after this event


async def _encoded(source: Any, encode: Callable[[Any], bytes]) -> AsyncIterator[bytes]:
    """The events as bytes, for code that reads an event stream's `body_iterator` instead of sending it."""
    async with _closing(source):
        async for item in _aiter(source):
            yield encode(item)


def _has_send_errors(scope: Scope) -> bool:
    """Whether the server reports a client that left by raising OSError from `send` (ASGI spec 2.4)."""
    version = scope.get("asgi", {}).get("spec_version", "2.0")
    return tuple(int(part) for part in version.split(".")) >= (2, 4)


class _EventStream(StreamingResponse):
    """A Server-Sent Events response that sends each event from the generator straight to the client.

    PERF: no buffer and no producer task between the generator and `send` (each event crossed a memory stream
    and two task switches): bench/app.py's /events went from 86.7k to 20.9k instructions per event in-process,
    ~17k of which are the generator, the item's serializer and `send` themselves.

    Beside the sending loop, one task sends a keep-alive comment once nothing was sent for the ping interval
    (never while an event is being sent, so the two never interleave), and before ASGI 2.4 one waits for the
    client to leave. A slow client holds the generator back at `send`; the generator is closed (its `finally`
    runs) when the response ends, however it ends; a drain ends the stream at once, with the final empty chunk.
    """

    def __init__(self, source: Any, encode: Callable[[Any], bytes], **options: Any) -> None:
        self._source = source
        self._encode = encode
        self._events = _encoded(source, encode)
        super().__init__(self._events, media_type="text/event-stream", **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.body_iterator is not self._events:  # NOTE: replaced (by a custom route handler): sent as it is
            await super().__call__(scope, receive, send)
            return
        async with _closing(self._source):
            await self._stream(send, None if _has_send_errors(scope) else receive)
        if self.background is not None:
            await self.background()

    async def _stream(self, send: Send, receive: Receive | None) -> None:
        """Start, events, end; `receive` is watched for the client leaving unless the server raises on `send`."""
        pacing = _Pacing()
        async with anyio.create_task_group() as group:
            if receive is not None:
                group.start_soon(_cancel_on_disconnect, receive, group.cancel_scope)
            group.start_soon(_keep_alive, send, pacing, receive is None)
            try:
                await self._send_all(send, pacing)
            except OSError as exc:
                if receive is not None or not pacing.sending:
                    raise  # NOTE: before ASGI 2.4, or raised by the generator: not a client that left
                raise ClientDisconnect() from exc
            group.cancel_scope.cancel()

    async def _send_all(self, send: Send, pacing: _Pacing) -> None:
        pacing.sending = True
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        pacing.sending = False
        # PERF: the events skip a wrapper that had only the start to watch (~1.5k instructions per event)
        await _until_drained_at_once(self._source, self._encode, getattr(send, AFTER_START, send), pacing)
        while pacing.pinging is not None:
            await pacing.pinging.wait()
        pacing.sending = True
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _until_drained_at_once(source: Any, encode: Callable[[Any], bytes], send: Send, pacing: _Pacing) -> None:
    """The sending loop, ended cleanly by a drain: at once while it waits for the generator (the cancellation
    goes through the generator's own code), else after the event being sent."""
    events = anyio.CancelScope()

    async def on_drain(grace: float) -> None:
        if pacing.sending:
            pacing.stopping = True
        else:
            events.cancel()

    with DRAIN.track(on_drain), events:
        await _send_events(source, encode, send, pacing)


async def _send_events(source: Any, encode: Callable[[Any], bytes], send: Send, pacing: _Pacing) -> None:
    next_item = _aiter(source).__anext__
    monotonic = time.monotonic
    countdown = _CHECKPOINT_EVERY
    while not pacing.stopping:
        try:
            item = await next_item()
        except StopAsyncIteration:
            return
        body = encode(item)
        while pacing.pinging is not None:
            await pacing.pinging.wait()
        pacing.sending = True
        await send({"type": "http.response.body", "body": body, "more_body": True})
        pacing.sending = False
        pacing.last = monotonic()
        countdown -= 1
        if not countdown:
            countdown = _CHECKPOINT_EVERY
            await anyio.lowlevel.checkpoint()


async def _keep_alive(send: Send, pacing: _Pacing, send_errors: bool) -> None:
    """A `: ping` comment whenever nothing was sent for the ping interval, and the loop is not sending."""
    while True:
        interval = sse._PING_INTERVAL
        idle = time.monotonic() - pacing.last
        if pacing.sending or idle < interval:
            await anyio.sleep(interval if pacing.sending else interval - idle)
            continue
        pinging = pacing.pinging = anyio.Event()
        try:
            await send({"type": "http.response.body", "body": sse.KEEPALIVE_COMMENT, "more_body": True})
        except OSError as exc:
            if not send_errors:
                raise
            raise ClientDisconnect() from exc
        finally:
            pacing.pinging = None
            pinging.set()
        pacing.last = time.monotonic()


async def _cancel_on_disconnect(receive: Receive, scope: anyio.CancelScope) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
    scope.cancel()


class _SourceClosingResponse(StreamingResponse):
    """A stream that closes the endpoint's generator once the response is over, sent or abandoned by the client.

    NOTE: without it, a sync generator left behind by a client that went away (Starlette iterates it in worker
    threads) is closed only when the garbage collector finds it, so its `finally` may never run in time.
    """

    def __init__(self, source: Any, content: Any, **options: Any) -> None:
        super().__init__(content, **options)
        self._source = source

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async with _closing(self._source):
            await super().__call__(scope, receive, send)


async def streaming_response(
    mode: str,
    source: Any,
    encode: Callable[[Any], bytes],
    response_class: Any,
    status: dict[str, Any],
    extra: Response | None,
) -> Response:
    """The response for a generator endpoint's result, `source` (a generator or async generator)."""
    response: Response
    if mode == "sse":
        response = _EventStream(source, encode, **status)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"  # NOTE: stops nginx from buffering the event stream
    elif mode == "jsonl":
        body = _jsonl(source, encode) if hasattr(source, "__aiter__") else _jsonl_sync(source, encode)
        response = _SourceClosingResponse(source, body, **status, media_type="application/jsonl")
    else:
        response = response_class(content=_raw(source), **status)
    if extra is not None:
        response.raw_headers.extend(extra.raw_headers)
    return drainable(response)


def _raw(source: Any) -> Any:
    if not hasattr(source, "__aiter__"):
        return source

    async def chunks() -> AsyncIterator[Any]:
        countdown = _CHECKPOINT_EVERY
        async for chunk in source:
            yield chunk
            countdown -= 1
            if not countdown:  # NOTE: as for JSON Lines
                countdown = _CHECKPOINT_EVERY
                await anyio.lowlevel.checkpoint()

    return chunks()


def drainable(response: Response) -> Response:
    """`response`, whose body, if it streams, ends cleanly when the process drains (see _core/drain.py): an event
    stream at once, any other stream once the drain's grace has run out.

    NOTE: the body iterator is swapped rather than the response wrapped, so the object stays the one the endpoint
    returned (custom route handlers inspect it). Only streaming responses pay: two flag checks per chunk.
    """
    if isinstance(response, _EventStream):
        return response  # NOTE: an event stream of a generator endpoint drains itself
    # NOTE: a stream with a declared length cannot end early without breaking the framing: left to the server
    if isinstance(response, StreamingResponse) and "content-length" not in response.headers:
        at_once = (response.media_type or response.headers.get("content-type", "")).startswith("text/event-stream")
        response.body_iterator = _until_drained(response.body_iterator, at_once=at_once)
    return response


async def _until_drained(source: AsyncIterable[Any], *, at_once: bool) -> AsyncIterator[Any]:
    """`source`'s chunks until it ends or the drain stops it; then it is closed, its `finally` blocks run.

    A drain that comes while the source is awaited cancels that await (the cancellation goes through the
    generator's own code, so its clean-up runs) and is taken back here: the response then ends normally, with the
    final empty chunk, instead of being cut off.
    """
    chunks = source.__aiter__()
    try:
        asyncio.get_running_loop()
    except RuntimeError:  # NOTE: not asyncio (trio through anyio): nothing drains there, the chunks go through
        async for chunk in chunks:
            yield chunk
        return
    waiting: asyncio.Task[Any] | None = None
    stopping = False

    def stop() -> None:
        nonlocal stopping
        stopping = True
        if waiting is not None:
            waiting.cancel()

    async def on_drain(grace: float) -> None:
        asyncio.get_running_loop().call_later(0 if at_once else grace, stop)

    try:
        with DRAIN.track(on_drain):
            while not stopping:
                waiting = asyncio.current_task()
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    return
                except asyncio.CancelledError:
                    if not stopping or waiting is None:
                        raise
                    waiting.uncancel()  # NOTE: the drain's own cancellation: end the stream, not the task
                    return
                finally:
                    waiting = None
                yield chunk
    finally:
        closing = chunks if hasattr(chunks, "aclose") else source
        if hasattr(closing, "aclose"):
            with anyio.CancelScope(shield=True):
                await closing.aclose()
