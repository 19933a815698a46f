"""`RSGIEntry`: a vivace app as granian's RSGI application (`__rsgi_init__`, `__rsgi__`, `__rsgi_del__`).

Per request it builds the ASGI scope from granian's, wraps the protocol object in an exchange (`http.py`,
`websocket.py`) and calls the app, which hands the request to its compiled router as under any ASGI server:
the same matching, plans, exception handlers and limits, with no ASGI server between granian and the plans.
An app with middleware runs them the same way (they see ASGI messages); `vivace run --server granian` still
serves such an app through granian's ASGI interface (see `vivace._cli.servers`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp

from vivace._rsgi.http import HTTPExchange
from vivace._rsgi.lifespan import Lifespan, LifespanFailed
from vivace._rsgi.scope import http_scope, websocket_scope
from vivace._rsgi.websocket import WebSocketExchange

__all__ = ["RSGIEntry", "rsgi_entry"]

_ENTRY_KEY = "_vivace_rsgi_entry"


class RSGIEntry:
    """One app served over RSGI: its lifespan on granian's loop, and the per-request adapter."""

    __slots__ = ("app", "asgi", "lifespan", "root_path")

    def __init__(self, app: Any, root_path: str = "", outer: Callable[[ASGIApp], ASGIApp] | None = None) -> None:
        self.app = app
        # NOTE: granian passes its `url_path_prefix` to ASGI apps only; here it is the entry's own setting
        self.root_path = root_path
        self.lifespan = Lifespan(app)
        # what each request is handed to: the app, or an ASGI layer around it (`vivace run`: forwarded headers)
        self.asgi: ASGIApp = app if outer is None else outer(app)

    def __rsgi_init__(self, loop: asyncio.AbstractEventLoop) -> None:
        try:
            self.lifespan.start(loop)
        except LifespanFailed as exc:
            # NOTE: as granian's ASGI interface does on a failed startup: the worker stops, with the app's error
            raise SystemExit(1) from exc

    def __rsgi_del__(self, loop: asyncio.AbstractEventLoop) -> None:
        # NOTE: a failed shutdown is already logged with the app's traceback; the worker is ending either way
        with contextlib.suppress(LifespanFailed):
            self.lifespan.stop(loop)

    def __rsgi__(self, scope: Any, protocol: Any) -> Awaitable[None]:
        # PERF: returns the app's coroutine; no frame of the entry's own stays on the stack per request
        if self.lifespan.starting is not None:
            return self._after_startup(scope, protocol)
        if scope.proto == "http":
            asgi_scope = http_scope(scope, self.root_path, self.lifespan.state)
            exchange = HTTPExchange(protocol, asgi_scope["headers"])
            return self.asgi(asgi_scope, exchange.receive, exchange.send)  # type: ignore[return-value]
        return _serve_websocket(self.asgi, websocket_scope(scope, self.root_path, self.lifespan.state), protocol)

    async def _after_startup(self, scope: Any, protocol: Any) -> None:
        """A request that arrived while the startup still runs (granian's embedded server): served after it."""
        starting = self.lifespan.starting
        if starting is not None:
            await asyncio.shield(starting)
        await self.__rsgi__(scope, protocol)


async def _serve_websocket(app: ASGIApp, scope: dict[str, Any], protocol: Any) -> None:
    exchange = WebSocketExchange(protocol)
    try:
        await app(scope, exchange.receive, exchange.send)
    finally:
        await exchange.finish()  # NOTE: a handshake the app never answered is refused with 403, as ASGI servers do


def rsgi_entry(app: Any) -> RSGIEntry:
    """The app's RSGI entry, made once and kept on the app (what `Vivace.__rsgi__` and the CLI hand granian)."""
    entry: RSGIEntry | None = app.__dict__.get(_ENTRY_KEY)
    if entry is None:
        entry = RSGIEntry(app)
        setattr(app, _ENTRY_KEY, entry)
    return entry
