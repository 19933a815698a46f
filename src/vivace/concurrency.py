"""Helpers to run blocking code from async code without blocking the event loop."""

from collections.abc import AsyncIterator
from contextlib import AbstractContextManager
from contextlib import asynccontextmanager as asynccontextmanager
from typing import TypeVar

import anyio.to_thread
from starlette.concurrency import iterate_in_threadpool as iterate_in_threadpool
from starlette.concurrency import run_in_threadpool as run_in_threadpool
from starlette.concurrency import run_until_first_complete as run_until_first_complete

_T = TypeVar("_T")


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
