"""The app's lifespan on granian's RSGI worker: started by `__rsgi_init__`, ended by `__rsgi_del__`.

RSGI has no lifespan messages; granian calls `__rsgi_init__(loop)` before the worker takes requests and
`__rsgi_del__(loop)` after it stopped, both outside the running loop. The app's own ASGI lifespan (the same code
uvicorn drives: lifespans, startup and shutdown handlers, compiling the routes, warming app-scoped dependencies,
telemetry) runs as one task on that loop, fed through two queues, so it enters and exits its context managers in
the same task, as under an ASGI server. Its state reaches every request's scope as a shallow copy, as ASGI says.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import ASGIApp, Message

from vivace._rsgi.scope import ASGI_VERSION
from vivace.logger import logger

__all__ = ["Lifespan", "LifespanFailed"]


class LifespanFailed(RuntimeError):
    """The app's lifespan reported a failed startup or shutdown (its message holds the traceback)."""


class Lifespan:
    """The running lifespan task of one app on one event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.state: dict[str, Any] = {}
        self._task: asyncio.Future[None] | None = None
        self._inbox: asyncio.Queue[Message] | None = None
        self._replies: asyncio.Queue[Message] | None = None
        #: the startup, while it runs as a task (granian's embedded server); requests wait for it
        self.starting: asyncio.Task[None] | None = None
        self._stopping: asyncio.Task[None] | None = None  # NOTE: referenced, so the task is not collected

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the startup to its end on `loop`; raises LifespanFailed when it failed.

        granian's embedded server calls this from inside its running loop, where nothing can be waited for: the
        startup then runs as a task, and `starting` holds it until it is over, for requests to wait on.
        """
        if not loop.is_running():
            loop.run_until_complete(self._start())
            return
        starting = self.starting = loop.create_task(self._start())
        starting.add_done_callback(self._started)

    def _started(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is None:
            self.starting = None  # NOTE: on failure it stays, so every request fails with the startup's error

    def stop(self, loop: asyncio.AbstractEventLoop) -> None:
        """Run the shutdown to its end on `loop`; raises LifespanFailed when it failed (inside a running loop,
        as in granian's embedded server, the shutdown is started and left to run)."""
        if self._task is None or self._task.done():
            return
        if not loop.is_running():
            loop.run_until_complete(self._stop())
            return
        self._stopping = loop.create_task(self._stop())

    async def _start(self) -> None:
        self._inbox = asyncio.Queue()
        self._replies = asyncio.Queue()
        scope = {"type": "lifespan", "asgi": ASGI_VERSION, "state": self.state}
        self._task = asyncio.ensure_future(self.app(scope, self._inbox.get, self._replies.put))
        await self._exchange("lifespan.startup")

    async def _stop(self) -> None:
        await self._exchange("lifespan.shutdown")
        assert self._task is not None
        await asyncio.wait({self._task})

    async def _exchange(self, event: str) -> None:
        """Send `event` and wait for the app's answer (or for the lifespan task to end without one)."""
        assert self._inbox is not None and self._replies is not None and self._task is not None
        await self._inbox.put({"type": event})
        reply: asyncio.Future[Any] = asyncio.ensure_future(self._replies.get())
        task: asyncio.Future[Any] = self._task
        await asyncio.wait({reply, task}, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():
            reply.cancel()
            error = self._task.exception()
            raise LifespanFailed(f"{event} ended without an answer: {error!r}") from error
        answer = reply.result()
        if answer["type"] != f"{event}.complete":
            message = answer.get("message") or answer["type"]
            logger.error("%s failed:\n%s", event, message)
            await asyncio.wait({self._task})
            if not self._task.cancelled():
                self._task.exception()  # NOTE: retrieved: the message above already shows it
            raise LifespanFailed(f"{event} failed")
