"""Stage 5, resolve: run the plan's dependency steps in order, then the endpoint.

Steps were de-duplicated at startup (same callable + scopes = one step), so the per-request cache is simply the
list of step results. Exit stacks exist only for plans with `yield` dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import (
    AbstractAsyncContextManager,
    AbstractContextManager,
    AsyncExitStack,
)
from types import TracebackType
from typing import Any

import anyio
from anyio.lowlevel import checkpoint_if_cancelled
from starlette.background import BackgroundTasks
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from vivace._core.app_scope import AppScope
from vivace._core.plan import ArgSource, DepStep
from vivace._core.threads import call_sync, run_sync

__all__ = ["Context", "ShieldedExit", "SyncContextInThreads", "call_step", "flat_call", "run_steps"]


class Context:
    """Per-request state shared by the stages; objects are built only when a step asks for them."""

    __slots__ = (
        "_background",
        "_request",
        "_response",
        "body",
        "cleanup_scope",
        "delivered",
        "function_stack",
        "receive",
        "request_stack",
        "results",
        "scope",
        "send",
        "values",
    )

    # NOTE: set only by a request's first async `yield` dependency (see `_cleanup_scope`), never in __init__
    cleanup_scope: anyio.CancelScope
    # NOTE: set by a `yield` route's runner once the response and its background tasks are done (read with a
    # default: only when a `yield` dependency swallowed an exception), never in __init__
    delivered: bool

    def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.scope = scope
        self.receive = receive
        self.send = send
        self.values: dict[str, Any] = {}
        self.results: list[Any] = []
        self.body: bytes | None = None
        self._request: Request | None = None
        self._response: Response | None = None
        self._background: BackgroundTasks | None = None
        self.request_stack: AsyncExitStack | None = None
        self.function_stack: AsyncExitStack | None = None

    @property
    def request(self) -> Request:
        if self._request is None:
            if self.scope["type"] == "websocket":
                self._request = WebSocket(self.scope, self.receive, self.send)  # type: ignore[assignment]
            else:
                self._request = Request(self.scope, self.receive, self.send)
                if self.body is not None:
                    self._request._body = self.body  # NOTE: the body stream was consumed by the extract stage
        return self._request  # type: ignore[return-value]  # set just above

    @property
    def response(self) -> Response:
        """The `Response` parameter: endpoints and dependencies set status, headers and cookies on it."""
        if self._response is None:
            self._response = _blank_response()
        return self._response

    @property
    def background(self) -> BackgroundTasks:
        if self._background is None:
            self._background = BackgroundTasks()
        return self._background

    @property
    def sub_response(self) -> Response | None:
        return self._response

    @property
    def background_tasks(self) -> BackgroundTasks | None:
        return self._background


def _blank_response() -> Response:
    """A `Response` with no status, no headers and an empty body, for endpoints and dependencies to fill in.

    PERF: the same state as `Response()` followed by removing its `content-length` header and status, built
    without `__init__` (rendering and header set-up): about 0.15 µs instead of 2 µs. That was half of what a
    dependency asking for `response: Response` (a rate limiter setting its headers, say) cost per request.
    """
    response = Response.__new__(Response)
    response.status_code = None  # type: ignore[assignment]  # NOTE: "not set": the route's status applies
    response.background = None
    response.body = b""
    response.raw_headers = []
    return response


class SyncContextInThreads(AbstractAsyncContextManager[Any]):
    """A sync `yield` dependency: its setup and teardown run in worker threads."""

    def __init__(self, cm: AbstractContextManager[Any]) -> None:
        self._cm = cm

    async def __aenter__(self) -> Any:
        return await run_sync(self._cm.__enter__)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        # NOTE: shielded, so a cancelled request still runs the teardown instead of leaving the generator to the
        # garbage collector; a one-thread limiter of its own, so the teardown never waits for a pool thread that
        # may itself be blocked on what this teardown releases (a connection pool, say).
        with anyio.CancelScope(shield=True):
            suppress: bool | None = await anyio.to_thread.run_sync(
                self._cm.__exit__, exc_type, exc, tb, limiter=anyio.CapacityLimiter(1)
            )
        return suppress


class ShieldedExit(AbstractAsyncContextManager[Any]):
    """An async `yield` dependency whose exit code runs to its end even when the request is cancelled.

    All of a request's async `yield` dependencies share one cancel scope (`Context.cleanup_scope`), entered
    before the first of them so that it encloses any scope a dependency opens itself. It is shielded only while
    exit code runs; a cancellation that arrived meanwhile is raised again once that code has finished.
    """

    __slots__ = ("_cm", "_scope")

    def __init__(self, cm: AbstractAsyncContextManager[Any], scope: anyio.CancelScope) -> None:
        self._cm = cm
        self._scope = scope

    async def __aenter__(self) -> Any:
        return await self._cm.__aenter__()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        scope = self._scope
        shielded, scope.shield = scope.shield, True
        try:
            suppress = await self._cm.__aexit__(exc_type, exc, tb)
        finally:
            scope.shield = shielded
        if exc_type is None or suppress:
            # NOTE: nothing propagates from here, but a task group inside the dependency may have swallowed the
            # cancellation while shielded: raise it again
            await checkpoint_if_cancelled()
        return suppress


def _generator_context(step: DepStep, kwargs: dict[str, Any]) -> AbstractAsyncContextManager[Any]:
    assert step.context is not None  # every `yield` dependency step has one
    context: Any = step.context(**kwargs)
    return context if step.is_async_generator else SyncContextInThreads(context)


def _cleanup_scope(ctx: Context) -> anyio.CancelScope:
    # PERF: read with a default instead of initialised in Context.__init__, so requests without async `yield`
    # dependencies do not pay for the slot
    scope: anyio.CancelScope | None = getattr(ctx, "cleanup_scope", None)
    if scope is None:
        assert ctx.request_stack is not None
        # NOTE: entered into the request stack, which outlives both dependency scopes
        scope = ctx.cleanup_scope = ctx.request_stack.enter_context(anyio.CancelScope())
    return scope


async def _enter_generator(step: DepStep, ctx: Context, kwargs: dict[str, Any]) -> Any:
    stack = ctx.function_stack if step.exit_before_response else ctx.request_stack
    assert stack is not None
    cm = _generator_context(step, kwargs)
    if step.is_async_generator:
        cm = ShieldedExit(cm, _cleanup_scope(ctx))
    return await stack.enter_async_context(cm)


async def call_step(step: DepStep, ctx: Context) -> Any:
    if step.app_scoped:
        return await _app_scoped(step, ctx)
    kwargs = step.arguments(ctx)
    if step.limiter is None:
        return await _invoke(step, ctx, kwargs)
    semaphore = step.limiter.get_semaphore()  # NOTE: per event loop, so one app can serve several loops
    if step.is_generator:
        # max_concurrency counts a yield dependency as running until its exit code has finished
        stack = ctx.function_stack if step.exit_before_response else ctx.request_stack
        assert stack is not None
        await semaphore.acquire()
        stack.push_async_callback(_release, semaphore)
        return await _invoke(step, ctx, kwargs)
    async with semaphore:
        return await _invoke(step, ctx, kwargs)


def flat_call(step: DepStep) -> tuple[Callable[..., Any], Callable[[Context], dict[str, Any]], bool, Any]:
    """`(call, arguments, is_async, on_loop)` for a flat runner's step table: the step's own callable, or, for an
    app-scoped or concurrency-limited step, `call_step` on the request's Context (no `yield` dependency with a
    limit: its release runs with the exit stacks of the generic pipeline)."""
    if not step.app_scoped and step.limiter is None:
        reader = _scope_reader(step)
        if reader is not None:
            return reader, _scope_argument, True, None
        return step.call, step.arguments, step.is_async, step.on_loop

    async def managed(ctx: Context) -> Any:
        return await call_step(step, ctx)

    return managed, _context_argument, True, None


def _context_argument(ctx: Context) -> dict[str, Any]:
    return {"ctx": ctx}


_CONNECTION_SOURCES = frozenset({ArgSource.request, ArgSource.websocket, ArgSource.http_connection})


def _scope_reader(step: DepStep) -> Callable[..., Any] | None:
    """For a step awaiting one of vivace's security schemes with the connection alone, the scheme's own reading
    of the scope (`_vivace_scope_reader`, looked up on the class), which gives the same answer without a Request
    object; else None."""
    if len(step.args) != 1 or step.args[0][1] not in _CONNECTION_SOURCES:
        return None
    make = getattr(type(step.call), "_vivace_scope_reader", None)
    return make(step.call) if make is not None else None  # type: ignore[no-any-return]


def _scope_argument(ctx: Context) -> dict[str, Any]:
    return {"scope": ctx.scope}


async def _release(semaphore: anyio.Semaphore) -> None:
    semaphore.release()


async def _app_scoped(step: DepStep, ctx: Context) -> Any:
    """PERF: after the first request an app-scoped dependency costs one dict lookup."""
    scope: AppScope = ctx.scope["app"].app_scope
    found, value = scope.get(step.cache_key)
    if found:
        return value

    async def make() -> Any:
        kwargs = step.arguments(ctx)
        if step.is_generator:
            cm = _generator_context(step, kwargs)
            return await scope.stack.enter_async_context(cm)
        if step.is_async:
            return await step.call(**kwargs)
        return await run_sync(step.call, **kwargs)

    return await scope.create(step.cache_key, make)


async def _invoke(step: DepStep, ctx: Context, kwargs: dict[str, Any]) -> Any:
    if step.is_generator:
        return await _enter_generator(step, ctx, kwargs)
    if step.is_async:
        return await step.call(**kwargs)
    return await call_sync(step.call, step.on_loop, kwargs)


async def run_steps(steps: tuple[DepStep, ...], ctx: Context) -> Any:
    """Run every step; the last one is the endpoint, whose result is returned."""
    results = ctx.results = [None] * len(steps)
    for index, step in enumerate(steps):
        results[index] = await call_step(step, ctx)
    return results[-1]


async def run_steps_skipping(steps: tuple[DepStep, ...], ctx: Context, failed: Callable[[DepStep], bool]) -> None:
    """The error path: run the dependencies whose own inputs are valid (they may raise, e.g. a 401), never the
    endpoint — FastAPI's order of effects when a request has validation errors."""
    results = ctx.results = [None] * len(steps)
    for index, step in enumerate(steps[:-1]):
        if not failed(step):
            results[index] = await call_step(step, ctx)


async def warm_app_scoped(steps: tuple[DepStep, ...], ctx: Context) -> None:
    """Create a plan's app-scoped dependencies now (at startup) instead of on the first request."""
    ctx.results = [None] * len(steps)
    for index, step in enumerate(steps):
        if step.app_scoped:
            ctx.results[index] = await _app_scoped(step, ctx)
