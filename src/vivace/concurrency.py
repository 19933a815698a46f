"""Helpers to run blocking code from async code without blocking the event loop."""

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from contextlib import asynccontextmanager as asynccontextmanager
from typing import TypeVar
from weakref import WeakKeyDictionary

import anyio.to_thread
from anyio.lowlevel import RunVar
from starlette.concurrency import iterate_in_threadpool as iterate_in_threadpool
from starlette.concurrency import run_in_threadpool as run_in_threadpool
from starlette.concurrency import run_until_first_complete as run_until_first_complete

_T = TypeVar("_T")

# NOTE: one semaphore per limit per event loop (a semaphore belongs to the loop that made it); weak keys, so a
# discarded `Depends(...)` takes its semaphores with it
_semaphores: RunVar[WeakKeyDictionary["_DependencyConcurrency", anyio.Semaphore]] = RunVar(
    "vivace_dependency_semaphores"
)


class _DependencyConcurrency:
    """The shared limit of one `Depends(..., max_concurrency=N)`: every route using the declaration counts
    against the same semaphore, one per running event loop."""

    __slots__ = ("__weakref__", "max_concurrency")

    def __init__(self, max_concurrency: int) -> None:
        self.max_concurrency = max_concurrency

    def __repr__(self) -> str:
        return f"_DependencyConcurrency(max_concurrency={self.max_concurrency})"

    def get_semaphore(self) -> anyio.Semaphore:
        """The semaphore this limit uses in the running event loop (created on first use)."""
        by_limit = _semaphores.get(None)
        if by_limit is None:
            by_limit = WeakKeyDictionary()
            _semaphores.set(by_limit)
        semaphore = by_limit.get(self)
        if semaphore is None:
            # NOTE: a semaphore, not a CapacityLimiter: one request may hold it twice (use_cache=False, nested uses)
            semaphore = by_limit[self] = anyio.Semaphore(self.max_concurrency)
        return semaphore


@asynccontextmanager
async def contextmanager_in_threadpool(cm: AbstractContextManager[_T]) -> AsyncIterator[_T]:
    """Use a synchronous context manager from async code, entering and exiting it in worker threads."""
    value = await run_in_threadpool(cm.__enter__)
    # NOTE: __exit__ gets a private one-thread limiter instead of the shared pool: if every
    # pooled thread is blocked waiting for a resource that this __exit__ releases (a database
    # pool, say), waiting for a free pooled thread would deadlock.
    exit_limiter = anyio.CapacityLimiter(1)
    try:
        yield value
    except BaseException as exc:
        # Shielded so that cancellation cannot skip the cleanup.
        with anyio.CancelScope(shield=True):
            suppress = await anyio.to_thread.run_sync(
                cm.__exit__, type(exc), exc, exc.__traceback__, limiter=exit_limiter
            )
        if not suppress:
            raise
    else:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(cm.__exit__, None, None, None, limiter=exit_limiter)
