"""Overload protection: a cap on the HTTP requests one process serves at once, answered with 503 past it.

Without a cap, every request a server accepts is started at once, and under a burst they all slow down together
until clients time out (work done for nobody) and memory grows with the backlog. With
`app.add_middleware(ConcurrencyLimitMiddleware, max_requests=64)`, the 65th concurrent request is answered at once
with `503 Service Unavailable`, a `Retry-After` header and a JSON body, and costs the process almost nothing.

A request counts from the moment it enters the middleware until the application returns, so a streamed response
(Server-Sent Events, a generator endpoint, a file) holds its place for the whole stream. WebSocket sessions and
lifespan events are not counted. The count is per process: with several workers, each has its own cap.
"""

from __future__ import annotations

from collections.abc import Collection

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["ConcurrencyLimitMiddleware"]

_BODY = b'{"detail":"Service Unavailable"}'


class ConcurrencyLimitMiddleware:
    """Serve at most `max_requests` HTTP requests at a time; answer the others 503 with `Retry-After`.

    `retry_after` is the number of seconds clients are told to wait. Paths in `exempt_paths` (a health check, a
    metrics scrape) are always served and never counted. Add it last, so that it is the outermost layer and a
    refused request costs no other middleware's work.
    """

    def __init__(
        self, app: ASGIApp, max_requests: int, retry_after: int = 1, exempt_paths: Collection[str] = ()
    ) -> None:
        if max_requests < 1:
            raise ValueError(f"max_requests must be at least 1, not {max_requests!r}")
        if retry_after < 0:
            raise ValueError(f"retry_after must be a number of seconds (0 or more), not {retry_after!r}")
        self.app = app
        self.max_requests = max_requests
        self.retry_after = retry_after
        self.exempt_paths = frozenset(exempt_paths)
        self._retry_after = str(retry_after).encode()
        self._active = 0
        self._refused = 0

    @property
    def active(self) -> int:
        """How many requests are being served now."""
        return self._active

    @property
    def refused(self) -> int:
        """How many requests were answered 503 since the process started."""
        return self._refused

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.exempt_paths:
            await self.app(scope, receive, send)
            return
        if self._active >= self.max_requests:
            self._refused += 1
            await self._refuse(send)
            return
        # NOTE: one event loop per process and no await between the check and the increment: no lock needed
        self._active += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self._active -= 1

    async def _refuse(self, send: Send) -> None:
        headers = [
            (b"content-length", str(len(_BODY)).encode()),
            (b"content-type", b"application/json"),
            (b"retry-after", self._retry_after),
        ]
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": _BODY})
