"""Running `def` endpoints and dependencies in worker threads, with less hand-off cost than anyio's.

`anyio.to_thread.run_sync` yields to the event loop twice and builds cancel scopes around every job; on one
core that doubles the round trip of the hand-off itself. On asyncio, vivace hands jobs straight to its own worker
threads while keeping everything code may rely on:

- capacity: a job borrows a token of `anyio.to_thread.current_default_thread_limiter()`, so `total_tokens`
  still caps how many run at once and `borrowed_tokens` counts them; with no token free the job waits in anyio;
- the workers are anyio worker threads: `anyio.from_thread.run()` / `run_sync()` work inside a job;
- the caller's context variables are copied into the job;
- the job runs under the caller's anyio cancel scope: `anyio.from_thread.check_cancelled()` sees it, and calls
  made with `anyio.from_thread.run()` are cancelled with the caller;
- a caller cancelled through its cancel scope waits until the job has finished (a thread cannot be interrupted),
  as with anyio; one cancelled by plain `Task.cancel()` outside any scope leaves the thread to finish alone.

Under another event loop library (trio), or an anyio whose internals differ from what this module expects, every
job goes through `anyio.to_thread.run_sync` unchanged.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import queue
import threading
import time
import weakref
from typing import Any, TypeVar

import anyio.to_thread
from anyio import WouldBlock

#: anyio's asyncio backend (`_task_states`, `AsyncIOBackend`) and event-loop internals (`claim_worker_thread`...):
#: what makes a thread an anyio worker thread. Loaded by `_supported()` on first use: absent in other anyio
#: versions -> the plain anyio path.
_backend: Any = None
_eventloop: Any = None
_SUPPORTED: bool | None = None  # None: not looked up yet


def _supported() -> bool:
    """Whether anyio's internals are the ones this module drives (looked up once).

    PERF: imported on the first job rather than with vivace: anyio's asyncio backend pulls in its socket,
    stream and TLS modules, which an application serving only `async def` routes never needs.
    """
    global _backend, _eventloop, _SUPPORTED
    if _SUPPORTED is None:
        try:
            import anyio._backends._asyncio as backend  # noqa: PLC0415 - on first use (see PERF)
            import anyio._core._eventloop as eventloop  # noqa: PLC0415

            for name in ("claim_worker_thread", "set_current_async_library", "threadlocals"):
                getattr(eventloop, name)
            backend.AsyncIOBackend, backend._task_states  # noqa: B018 - an AttributeError means another anyio
        except (ImportError, AttributeError):  # pragma: no cover - depends on the installed anyio
            _SUPPORTED = False
        else:
            _backend, _eventloop, _SUPPORTED = backend, eventloop, True
    return _SUPPORTED


__all__ = ["anyio_may_cancel", "cache_hit_probe", "call_sync", "run_sync"]

T = TypeVar("T")

_IDLE_SECONDS = 10.0  # an idle worker exits after this long, like anyio's
_POLL_SECONDS = 1.0  # how often an idle worker checks whether its event loop has closed


async def run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
    """`await run_sync(func, *args, **kwargs)`: `func(*args, **kwargs)` in a worker thread."""
    if _SUPPORTED or (_SUPPORTED is None and _supported()):
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            pass  # not asyncio (trio): anyio below
        else:
            pool = _pool_for(loop)
            if pool is not None:
                return await pool.run(func, args, kwargs)
    return await _in_anyio_thread(func, args, kwargs)


async def call_sync(call: Any, on_loop: Any, kwargs: dict[str, Any]) -> Any:
    """A sync dependency or endpoint: on the loop when `on_loop` (see `cache_hit_probe`) says a cache hit is
    certain, else in a worker thread."""
    if on_loop is not None and on_loop():
        return call(**kwargs)
    return await run_sync(call, **kwargs)


def cache_hit_probe(call: Any, takes_arguments: bool) -> Any:
    """For a sync dependency memoised by `functools.lru_cache` / `functools.cache` and called without arguments:
    a function telling whether the next call is a cache hit, and may so run on the event loop; else None.

    A hit runs none of the application's code (the wrapper returns the stored value), so it cannot block the loop
    and sees no context-variable difference. With no arguments the cache holds at most that one entry, so a
    non-empty cache means a hit. A `cache_clear()` from another thread between the check and the call makes that
    one call run on the loop, which is then the only cost: the value is still computed once and correctly.
    A cached function taking arguments (a hit cannot be known before hashing them) keeps the thread hop, as does
    every other sync dependency, whose body may block.
    """
    if takes_arguments or not isinstance(call, _LRU_WRAPPER):
        return None
    info = call.cache_info

    def is_hit() -> bool:
        return bool(info().currsize)

    return is_hit


_LRU_WRAPPER: Any = type(functools.lru_cache(maxsize=None)(int))  # functools._lru_cache_wrapper (C or Python)


def anyio_may_cancel() -> bool:
    """Whether an anyio cancel scope encloses the running task and may cancel it.

    PERF: entering an anyio cancel scope costs a few microseconds (task state bookkeeping, weak references); the
    shield that keeps `yield` dependency teardown running under cancellation is needed only where a scope could
    cancel. A task that neither entered a scope nor was started by a task group has none (a server's request
    task, as uvicorn and granian create them); a scope entered later is nested inside the code that entered it.
    Anything this module cannot inspect (trio, another anyio) answers True.
    """
    if not (_SUPPORTED or (_SUPPORTED is None and _supported())):
        return True
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return True
    if task is None:
        return True
    states = _backend._task_states
    if not states.data:  # PERF: no task holds anyio state (a server's request tasks): no weak reference made
        return False
    state = states.get(task)
    return state is not None and state.cancel_scope is not None


async def _in_anyio_thread(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return await anyio.to_thread.run_sync(functools.partial(func, *args, **kwargs))


_last: tuple[asyncio.AbstractEventLoop | None, _Pool | None] = (None, None)


def _pool_for(loop: asyncio.AbstractEventLoop) -> _Pool | None:
    global _last
    cached_loop, pool = _last
    if cached_loop is loop:
        return pool
    # NOTE: one pool per loop: its workers are claimed for that loop, and the default limiter is per loop too
    pool = _pools.get(loop)
    if pool is None:
        pool = _pools[loop] = _Pool(loop, anyio.to_thread.current_default_thread_limiter())
    _last = (loop, pool)
    return pool


# NOTE: weak keys, so a closed and dropped loop takes its pool along
_pools: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Pool] = weakref.WeakKeyDictionary()


class _Job:
    __slots__ = ("args", "cancel_scope", "context", "finished", "func", "future", "kwargs", "waiter")

    def __init__(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], future: asyncio.Future[Any]) -> None:
        self.func = func
        self.args = args
        self.kwargs = kwargs
        self.context = contextvars.copy_context()
        self.future = future
        self.finished = False
        self.waiter: asyncio.Future[None] | None = None
        task = asyncio.current_task()
        state = _backend._task_states.get(task) if task is not None else None
        # NOTE: the caller's anyio cancel scope, which anyio's worker threads run under too (see module docstring)
        self.cancel_scope: Any = state.cancel_scope if state is not None else None


class _Pool:
    """The worker threads of one event loop; touched only from that loop's thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, limiter: Any) -> None:
        self.loop = loop
        self.limiter = limiter
        self.idle: list[_Worker] = []

    async def run(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        future = self.loop.create_future()
        try:
            # NOTE: the future stands in for the borrower: unique per job, whatever task is calling
            self.limiter.acquire_on_behalf_of_nowait(future)
        except WouldBlock:
            return await _in_anyio_thread(func, args, kwargs)
        try:
            job = _Job(func, args, kwargs, future)
            worker = self.idle.pop() if self.idle else _Worker(self)
        except BaseException:  # no thread could be started: give the token back before failing
            self.limiter.release_on_behalf_of(future)
            raise
        worker.jobs.put(job)
        try:
            return await future
        except asyncio.CancelledError:
            if job.cancel_scope is not None:
                await self._outlive(job)
            raise

    async def _outlive(self, job: _Job) -> None:
        """A cancelled caller still waits for its job: the thread keeps running and may hold resources."""
        while not job.finished:
            job.waiter = self.loop.create_future()
            try:
                await job.waiter
            except asyncio.CancelledError:
                continue  # cancelled again (a cancel scope repeats itself): keep waiting

    def finish(self, worker: _Worker, job: _Job, result: Any, error: BaseException | None) -> None:
        """Called on the loop thread when `worker` has run `job`."""
        job.finished = True
        self.limiter.release_on_behalf_of(job.future)
        self.idle.append(worker)
        future = job.future
        if not future.done():
            if error is None:
                future.set_result(result)
            elif isinstance(error, StopIteration):
                # NOTE: a future cannot carry StopIteration (anyio converts it the same way)
                wrapped = RuntimeError("coroutine raised StopIteration")
                wrapped.__cause__ = error
                future.set_exception(wrapped)
            else:
                future.set_exception(error)
        if job.waiter is not None and not job.waiter.done():
            job.waiter.set_result(None)

    def retire(self, worker: _Worker) -> None:
        """Called on the loop thread when an idle worker has waited long enough for work."""
        if worker in self.idle:
            self.idle.remove(worker)
            worker.jobs.put(None)


class _Worker(threading.Thread):
    def __init__(self, pool: _Pool) -> None:
        super().__init__(name="vivace worker thread", daemon=True)
        self.pool = pool
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self.start()

    def run(self) -> None:
        loop = self.pool.loop
        with _eventloop.claim_worker_thread(_backend.AsyncIOBackend, loop):
            idle_since = time.monotonic()
            while True:
                try:
                    job = self.jobs.get(timeout=_POLL_SECONDS)
                except queue.Empty:
                    if loop.is_closed():
                        return
                    if time.monotonic() - idle_since >= _IDLE_SECONDS and not self._report(self.pool.retire, self):
                        return
                    continue
                if job is None:
                    return
                self._run(job)
                idle_since = time.monotonic()

    def _run(self, job: _Job) -> None:
        result: Any = None
        error: BaseException | None = None
        if not job.future.cancelled():
            # NOTE: sniffio must not report asyncio in here
            job.context.run(_eventloop.set_current_async_library, None)
            _eventloop.threadlocals.current_cancel_scope = job.cancel_scope
            try:
                result = job.context.run(job.func, *job.args, **job.kwargs)
            except BaseException as exc:
                error = exc
            finally:
                del _eventloop.threadlocals.current_cancel_scope
        self._report(self.pool.finish, self, job, result, error)

    def _report(self, callback: Any, *args: Any) -> bool:
        try:
            self.pool.loop.call_soon_threadsafe(callback, *args)
        except RuntimeError:  # the loop has closed: nobody is waiting any more
            return False
        return True
