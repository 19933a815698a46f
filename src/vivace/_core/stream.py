"""Generator endpoints: JSON Lines by default, Server-Sent Events with `EventSourceResponse`, or raw chunks
handed to an explicit streaming `response_class` — FastAPI 0.165's three streaming modes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Generator, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, get_args, get_origin

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream
from starlette.concurrency import iterate_in_threadpool
from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from vivace import sse
from vivace._core.drain import DRAIN
from vivace.encoders import jsonable_encoder

__all__ = ["drainable", "item_serializer", "sse_item_serializer", "stream_item_type", "streaming_response"]

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


def sse_item_serializer(data: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """One yielded value to an SSE event; `ServerSentEvent` items bypass the item type on purpose."""

    def encode(item: Any) -> bytes:
        if not isinstance(item, sse.ServerSentEvent):
            return sse.format_sse_event(data_str=data(item).decode())
        if item.raw_data is not None:
            payload: str | None = item.raw_data
        elif item.data is None:
            payload = None
        elif hasattr(item.data, "model_dump_json"):
            payload = item.data.model_dump_json()
        else:
            payload = json.dumps(_finite(jsonable_encoder(item.data)))
        return sse.format_sse_event(
            data_str=payload, event=item.event, id=item.id, retry=item.retry, comment=item.comment
        )

    return encode


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


async def _jsonl(source: Any, encode: Callable[[Any], bytes]) -> AsyncIterator[bytes]:
    async for item in _aiter(source):
        yield encode(item) + b"\n"
        await anyio.sleep(0)  # NOTE: a checkpoint, so a disconnect can cancel even a producer that never awaits


def _jsonl_sync(source: Iterator[Any], encode: Callable[[Any], bytes]) -> Iterator[bytes]:
    for item in source:
        yield encode(item) + b"\n"


# PERF: the producer may run this many events ahead of the socket, so the response takes events as they are
# ready; a slow client still holds the generator back once the buffer is full.
_SSE_BUFFER = 32


@asynccontextmanager
async def _sse_events(source: Any, encode: Callable[[Any], bytes]) -> AsyncIterator[MemoryObjectReceiveStream[bytes]]:
    """A producer task pulls events from the generator into a bounded buffer that the response drains; a pinger
    task adds a keep-alive comment whenever nothing was sent for the ping interval.

    PERF: the ping is a timer beside the stream, not a timeout around every receive (which cost a cancel scope
    per event). NOTE: entered on the request's exit stack, so the task group is torn down by structured exit
    after the response, never by a GeneratorExit thrown into a suspended async generator.
    """
    events_in, events_out = anyio.create_memory_object_stream[bytes](max_buffer_size=_SSE_BUFFER)
    pings_in = events_in.clone()
    pinger = anyio.CancelScope()
    last_sent = time.monotonic()

    async def produce() -> None:
        nonlocal last_sent
        try:
            async with events_in, _closing(source):
                async for item in _aiter(source):
                    await events_in.send(encode(item))
                    last_sent = time.monotonic()
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            return  # NOTE: the client went away and the response stopped reading; nothing is left to do
        finally:
            pinger.cancel()  # the stream ends once the pinger's sender is closed too

    async def ping() -> None:
        nonlocal last_sent
        with pinger, contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
            async with pings_in:
                while True:
                    idle = time.monotonic() - last_sent
                    if idle < sse._PING_INTERVAL:
                        await anyio.sleep(sse._PING_INTERVAL - idle)
                        continue
                    await pings_in.send(sse.KEEPALIVE_COMMENT)
                    last_sent = time.monotonic()

    async with anyio.create_task_group() as group:
        group.start_soon(produce)
        group.start_soon(ping)
        yield events_out
        group.cancel_scope.cancel()


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
    stack: AsyncExitStack | None,
    status: dict[str, Any],
    extra: Response | None,
) -> Response:
    """The response for a generator endpoint's result, `source` (a generator or async generator)."""
    response: Response
    if mode == "sse":
        assert stack is not None  # SSE plans always run inside exit stacks
        stream = await stack.enter_async_context(_sse_events(source, encode))
        stack.push_async_callback(stream.aclose)
        response = StreamingResponse(stream, **status, media_type="text/event-stream")
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
        async for chunk in source:
            yield chunk
            await anyio.sleep(0)

    return chunks()


def drainable(response: Response) -> Response:
    """`response`, whose body, if it streams, ends cleanly when the process drains (see _core/drain.py): an event
    stream at once, any other stream once the drain's grace has run out.

    NOTE: the body iterator is swapped rather than the response wrapped, so the object stays the one the endpoint
    returned (custom route handlers inspect it). Only streaming responses pay: two flag checks per chunk.
    """
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
