"""`@app.middleware("http")`: `async def dispatch(request, call_next) -> Response`, as a pure ASGI middleware.

What it keeps working, where Starlette's `BaseHTTPMiddleware` historically did not:

* streaming: `call_next` returns as soon as the response starts; its body streams through, chunk by chunk;
* background tasks run after the body has been sent, and the request waits for them instead of cancelling them;
* context variables set in the middleware before `call_next` are seen by the endpoint, and those the endpoint
  (or its dependencies) set before the response starts are seen by the middleware after `call_next` returns;
* the request body can be read in the middleware and again by the endpoint;
* an unhandled exception raises from `call_next` (as in FastAPI); if the middleware lets it go, the 500 response
  the application produced for it is passed on, so outer middleware (CORS) still see and decorate it.

The downstream app runs in a task of a task group owned by this middleware for the duration of the request; its
messages reach the middleware through an unbuffered channel, so a slow client slows the endpoint (backpressure).
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from vivace._core.exports import SERVER_ERROR_KEY

__all__ = ["CallNext", "DispatchFunction", "HTTPMiddleware"]

CallNext = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, CallNext], Awaitable[Response]]

_MISSING = object()


class HTTPMiddleware:
    """Wrap every HTTP request with `dispatch(request, call_next)`; other scopes pass straight through."""

    def __init__(self, app: ASGIApp, dispatch: DispatchFunction) -> None:
        self.app = app
        self.dispatch = dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = _DispatchRequest(scope, receive, send)
        downstream = _Downstream(self.app, receive)
        try:
            async with _single_errors(), anyio.create_task_group() as downstream.group:
                try:
                    response = await self.dispatch(request, downstream.call_next)
                except Exception as exc:
                    await downstream.pass_error_response(exc, scope, send)
                    raise
                await response(scope, receive, send)
                downstream.finish()
        finally:
            downstream.close()
        downstream.raise_late_error()


class _DispatchRequest(Request):
    """The Request given to `dispatch`: reading its body (even as a stream or a form) keeps it for the app."""

    async def stream(self) -> AsyncGenerator[bytes, None]:
        yield await self.body()
        yield b""

    async def body(self) -> bytes:
        if not hasattr(self, "_body"):
            chunks = [chunk async for chunk in super().stream()]
            self._body = b"".join(chunks)
        return self._body


class _Downstream:
    """The app behind the middleware, run in the group for each `call_next`, its messages read on demand."""

    group: TaskGroup

    def __init__(self, app: ASGIApp, receive: Receive) -> None:
        self.app = app
        self.receive = receive
        self.calls: list[_Call] = []

    async def call_next(self, request: Request) -> Response:
        call = _Call(self.app, request, self.receive)
        self.calls.append(call)
        base = contextvars.copy_context()
        self.group.start_soon(call.run)
        return await call.response(base)

    async def pass_error_response(self, exc: Exception, scope: Scope, send: Send) -> None:
        """`dispatch` let an unhandled exception go: send on the 500 the app made for it, if it made one."""
        for call in self.calls:
            if call.error is exc and call.error_messages:
                scope[SERVER_ERROR_KEY] = exc
                for message in call.error_messages:
                    await send(message)
                call.error_delivered = True
                return

    def finish(self) -> None:
        """After the response: let apps whose body was sent finish (background tasks); stop the others."""
        if any(not call.drained for call in self.calls):
            self.group.cancel_scope.cancel()

    def close(self) -> None:
        for call in self.calls:
            call.inbox.close()

    def raise_late_error(self) -> None:
        """An error raised after the body was sent (by a background task, say) still reaches the server."""
        for call in self.calls:
            if call.error is not None and not call.error_delivered and call.drained:
                call.error_delivered = True
                raise call.error


class _Call:
    """One run of the downstream app: its messages, its outcome, and the context it ended up with."""

    def __init__(self, app: ASGIApp, request: Request, receive: Receive) -> None:
        self.app = app
        self.request = request
        self.outer_receive = receive
        self.replayed = False
        self.drained = False
        self.error: Exception | None = None
        self.error_delivered = False
        self.error_messages: list[Message] = []
        self.context: contextvars.Context | None = None
        channel: tuple[MemoryObjectSendStream[Message], MemoryObjectReceiveStream[Message]]
        channel = anyio.create_memory_object_stream[Message](0)
        self.outbox, self.inbox = channel

    async def run(self) -> None:
        try:
            async with self.outbox:
                await self.app(self.request.scope, self.receive, self.send)
        except Exception as exc:  # handed over to the middleware, which raises it where FastAPI would
            self.error = exc

    async def receive(self) -> Message:
        body: bytes | None = getattr(self.request, "_body", None)
        if body is not None and not self.replayed:
            self.replayed = True  # the middleware read the body: the app gets it again
            return {"type": "http.request", "body": body, "more_body": False}
        return await self.outer_receive()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.context = contextvars.copy_context()
        with contextlib.suppress(anyio.BrokenResourceError):  # the middleware answered with another response
            await self.outbox.send(message)

    async def response(self, base: contextvars.Context) -> Response:
        """Wait for the response to start; raise what the app raised instead of answering."""
        start = await self._next()
        if start is None:
            self.drained = True
            self.error_delivered = self.error is not None
            raise self.error or RuntimeError("No response returned.")
        if self.context is not None:
            _adopt_changes(base, self.context)
        if self.request.scope.pop(SERVER_ERROR_KEY, None) is not None:
            return await self._raise_instead(start)
        return _PassedResponse(start, self._messages())

    async def _raise_instead(self, start: Message) -> Response:
        """The app's 500 for an unhandled exception: keep it, and raise the exception from `call_next`."""
        self.error_messages = [start]
        while (message := await self._next()) is not None:
            self.error_messages.append(message)
        self.drained = True
        assert self.error is not None, "the application answered a 500 for an exception it did not raise"
        self.error_delivered = True  # from here on, the exception is dispatch's to handle or to let go
        raise self.error

    async def _next(self) -> Message | None:
        try:
            return await self.inbox.receive()
        except anyio.EndOfStream:
            return None

    async def _messages(self) -> AsyncIterator[Message]:
        """The messages after `http.response.start`; an error the app raised mid-body is raised here."""
        async with self.inbox:
            while (message := await self._next()) is not None:
                yield message
            self.drained = True
            if self.error is not None:
                self.error_delivered = True
                raise self.error


class _PassedResponse(StreamingResponse):
    """The downstream response as `call_next` returns it: status and headers may be changed, the body iterated
    or replaced; left alone, the downstream messages are forwarded exactly as they were sent."""

    def __init__(self, start: Message, messages: AsyncIterator[Message]) -> None:
        self._messages = messages
        self._start = start
        super().__init__(self._body_chunks(), status_code=start["status"])
        self._passthrough = self.body_iterator
        self.raw_headers = list(start.get("headers", []))

    async def _body_chunks(self) -> AsyncIterator[bytes]:
        async for message in self._messages:
            if message["type"] == "http.response.body":
                yield message.get("body", b"")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({**self._start, "status": self.status_code, "headers": self.raw_headers})
        if self.body_iterator is self._passthrough:
            # PERF/NOTE: untouched, the downstream messages (trailers included) are forwarded one for one
            async for message in self._messages:
                await send(message)
        else:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes | memoryview) else chunk.encode(self.charset)
                await send({"type": "http.response.body", "body": data, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        if self.background is not None:
            await self.background()


def _adopt_changes(base: contextvars.Context, changed: contextvars.Context) -> None:
    """Set here every context variable the downstream app set (to a new value) before its response started."""
    for var, value in changed.items():
        if base.get(var, _MISSING) is not value:
            var.set(value)


@asynccontextmanager
async def _single_errors() -> AsyncIterator[None]:
    """Raise the one exception of a task group's exception group as itself (what callers of a middleware see)."""
    try:
        yield
    except BaseExceptionGroup as group:
        if len(group.exceptions) != 1:
            raise
        raise group.exceptions[0] from None

