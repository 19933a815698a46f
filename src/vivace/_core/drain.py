"""Graceful shutdown: once the process is told to stop, what is still running ends cleanly before the server gives
up on it.

A server stopping gracefully stops accepting connections, lets the requests in flight finish, then runs the
lifespan shutdown. What never finishes by itself — a Server-Sent Events stream, an endless streaming response, a
WebSocket session — would hold it until its deadline, when uvicorn cancels the tasks left and no longer waits for
them: the generator's `finally` and the `yield` dependencies' teardown may never run.

The drain is the step before: the streams and sessions in flight register here (only they pay for it), and when
draining begins each is told how long it has left, in its own event loop:

- an SSE stream ends at once with a clean end of stream (its generator closed), as EventSource clients reconnect;
- another stream may run for the grace period, then ends the same way;
- a WebSocket is closed with 1001 (going away) at once; a session still running after the grace is cancelled;
- a new request to a watched application is answered 503 with `Connection: close`.

Draining begins with `begin()` (from any thread), or on SIGTERM/SIGINT under uvicorn and granian: `watch(app)`,
entered by the application's lifespan, chains the server's signal handler. uvicorn's gets the signal once the
drain's immediate steps are done; granian's (its worker's event loop reacts to the signal itself) starts its own
shutdown at the same time as the drain: it stops accepting connections and waits for those in flight, which the
drain ends, before `__rsgi_del__` or the ASGI lifespan shutdown runs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import signal
import sys
import threading
import weakref
from collections.abc import Awaitable, Callable, Iterator
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = [
    "DEFAULT_GRACE",
    "DRAIN",
    "GRANIAN_DEADLINE_ENV",
    "Drain",
    "OnDrain",
    "grace_before",
    "granian_deadline",
    "watch",
]

#: seconds a stream may run after draining began, when the server gives no deadline of its own
DEFAULT_GRACE = 30.0
#: seconds the signal waits for the immediate steps (WebSocket close frames) before uvicorn's shutdown starts
_IMMEDIATE_STEPS = 2.0
#: granian's setting (its `--workers-kill-timeout` as an environment variable): the deadline of a worker's shutdown
GRANIAN_DEADLINE_ENV = "GRANIAN_WORKERS_KILL_TIMEOUT"

OnDrain = Callable[[float], Awaitable[None]]

_REFUSED_BODY = b'{"detail":"Service Unavailable"}'
_REFUSED_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_REFUSED_BODY)).encode()),
    (b"connection", b"close"),
]


def grace_before(deadline: float | None) -> float:
    """The time streams get from a server deadline: enough margin left for their clean-up to finish before it."""
    if deadline is None:
        return DEFAULT_GRACE
    return max(0.0, deadline - max(1.0, deadline * 0.2))


class Drain:
    """The process's drain: registered streams and sessions, and the applications that refuse new requests."""

    def __init__(self) -> None:
        self.started = False
        self.grace = DEFAULT_GRACE
        self._entries: dict[object, tuple[asyncio.AbstractEventLoop, OnDrain]] = {}
        self._apps: weakref.WeakSet[Any] = weakref.WeakSet()

    @contextlib.contextmanager
    def track(self, on_drain: OnDrain) -> Iterator[None]:
        """Register a stream or session for the block; `on_drain(grace)` runs in this loop when draining begins
        (at once, if it already has)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # NOTE: not asyncio (trio through anyio): no server vivace drains runs there
            yield
            return
        key = object()
        self._entries[key] = (loop, on_drain)
        if self.started:
            late = loop.create_task(_step(on_drain, self.grace))
            _LATE.add(late)  # NOTE: the loop holds tasks weakly; this keeps the step alive until it is done
            late.add_done_callback(_LATE.discard)
        try:
            yield
        finally:
            del self._entries[key]

    def begin(self, grace: float | None = None) -> list[concurrent.futures.Future[None]]:
        """Start draining (once): new requests are refused, and every registered entry runs its step in its own
        loop. Returns the futures of those steps. Safe from any thread, not from a signal handler."""
        if self.started:
            return []
        self.started = True
        self.grace = DEFAULT_GRACE if grace is None else grace
        for app in list(self._apps):
            _refuse_new_requests(app)
        return [
            asyncio.run_coroutine_threadsafe(_step(on_drain, self.grace), loop)
            for loop, on_drain in tuple(self._entries.values())
        ]

    def reset(self) -> None:
        """Back to serving (tests run several drains in one process)."""
        self.started = False
        self.grace = DEFAULT_GRACE


#: steps of streams that started after draining began, while they run
_LATE: set[asyncio.Task[None]] = set()


async def _step(on_drain: OnDrain, grace: float) -> None:
    await on_drain(grace)


#: the process's drain (signals are per process too)
DRAIN = Drain()


# -- refusing new requests ------------------------------------------------------------------------------------


class _Refusing:
    """The application's entry while it drains: new HTTP requests get 503 with `Connection: close`, new WebSocket
    handshakes are refused, the lifespan goes on as before."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 503, "headers": list(_REFUSED_HEADERS)})
            await send({"type": "http.response.body", "body": _REFUSED_BODY})
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1001})
        else:
            await self.app(scope, receive, send)


def _refuse_new_requests(app: Any) -> None:
    # NOTE: the entry is swapped rather than checked per request, so serving costs nothing until a drain starts
    stack = app.middleware_stack if app.middleware_stack is not None else app.build_middleware_stack()
    if not isinstance(stack, _Refusing):
        app.middleware_stack = _Refusing(stack)


# -- uvicorn's signals ----------------------------------------------------------------------------------------

_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)


def _uvicorn_server(handler: object) -> Any:
    """The uvicorn Server whose `handle_exit` is `handler`, else None (another server, or no handler)."""
    server = getattr(handler, "__self__", None)
    if getattr(handler, "__name__", None) != "handle_exit" or not type(server).__module__.startswith("uvicorn."):
        return None
    return server


@contextlib.contextmanager
def watch(app: Any) -> Iterator[None]:
    """For the application's lifespan: refuse new requests once draining begins, and under uvicorn or granian (main
    thread) begin draining on their shutdown signals."""
    DRAIN._apps.add(app)
    chained = _chain_server_signals() if threading.current_thread() is threading.main_thread() else None
    try:
        yield
    finally:
        DRAIN._apps.discard(app)
        if chained is not None:
            for signum, (ours, theirs) in chained.items():
                if signal.getsignal(signum) is ours:
                    signal.signal(signum, theirs)


def _chain_server_signals() -> dict[int, tuple[Any, Any]] | None:
    chained = _chain_uvicorn_signals()
    if chained is None and _in_granian_worker():
        chained = _chain_granian_signals()
    return chained


def _chain_uvicorn_signals() -> dict[int, tuple[Any, Any]] | None:
    current: dict[int, Any] = {signum: signal.getsignal(signum) for signum in _SIGNALS}
    server = _uvicorn_server(current[signal.SIGTERM])
    if server is None:
        return None  # NOTE: not uvicorn, or another application of this process chained it already
    loop = asyncio.get_running_loop()
    grace = grace_before(server.config.timeout_graceful_shutdown)
    tasks: set[asyncio.Task[None]] = set()

    async def drain_then_stop(signum: int) -> None:
        try:
            steps = [asyncio.wrap_future(step) for step in DRAIN.begin(grace)]
            if steps:
                await asyncio.wait(steps, timeout=_IMMEDIATE_STEPS)
        finally:
            current[signum](signum, None)  # uvicorn's own shutdown: stop listening, wait for what runs, lifespan

    def start(signum: int) -> None:
        task = loop.create_task(drain_then_stop(signum))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if DRAIN.started:
            current[signum](signum, frame)  # a second Ctrl+C: uvicorn's forced exit
            return
        # NOTE: a signal handler may run between any two bytecodes of the loop: it only schedules the drain
        loop.call_soon_threadsafe(start, signum)

    chained: dict[int, tuple[Any, Any]] = {}
    for signum in _SIGNALS:
        if _uvicorn_server(current[signum]) is server:
            signal.signal(signum, on_signal)
            chained[signum] = (on_signal, current[signum])
    return chained


# -- granian's signals ----------------------------------------------------------------------------------------


def _in_granian_worker() -> bool:
    """Whether this process is one of granian's workers (which handle SIGTERM/SIGINT in their event loop)."""
    if "granian" not in sys.modules:
        return False  # PERF: multiprocessing is not imported for other servers
    import multiprocessing  # noqa: PLC0415 - only in a process that imported granian

    return multiprocessing.current_process().name == "granian-worker"


def granian_deadline() -> float | None:
    """granian's `--workers-kill-timeout` when it is given as its environment variable, else None (no deadline)."""
    try:
        return float(os.environ[GRANIAN_DEADLINE_ENV])
    except (KeyError, ValueError):
        return None


def _chain_granian_signals() -> dict[int, tuple[Any, Any]] | None:
    """Begin draining on granian's shutdown signals, alongside granian's own handling of them.

    NOTE: a granian worker's loop is woken by the signal (the wakeup file descriptor) and runs granian's handler
    whatever Python-level handler is installed; that Python-level handler (the loop's) is what is chained here, so
    both run. granian then waits for the connections in flight, which the drain ends.
    """
    loop = asyncio.get_running_loop()
    grace = grace_before(granian_deadline())
    chained: dict[int, tuple[Any, Any]] = {}
    for signum in _SIGNALS:
        theirs = signal.getsignal(signum)
        if not callable(theirs) or theirs is signal.default_int_handler:
            continue  # NOTE: no loop handler: granian did not take this signal over

        def on_signal(number: int, frame: FrameType | None, theirs: Callable[..., Any] = theirs) -> None:
            if not DRAIN.started:
                loop.call_soon_threadsafe(DRAIN.begin, grace)
            theirs(number, frame)

        signal.signal(signum, on_signal)
        chained[signum] = (on_signal, theirs)
    return chained or None
