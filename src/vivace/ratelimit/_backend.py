"""What a rate limiter needs from the place its counters live.

A *store* answers one question per request: may `key` spend `interval` more microseconds of budget without
owing more than `capacity`? It keeps one number per key (GCRA's "theoretical arrival time") and applies the
check and the update atomically. The memory backend is a store itself; a backend that needs a connection
(Redis) instead offers `connect`, which the limiter declares as an app-scoped dependency, so the connection
opens when the application starts and closes when it stops.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Protocol, runtime_checkable

__all__ = ["ConnectedBackend", "RateLimitStore"]


@runtime_checkable
class RateLimitStore(Protocol):
    """Counters that a limiter can use as they are (the memory backend)."""

    async def hit(self, key: str, interval: int, capacity: int) -> int:
        """Spend `interval` of `key`'s budget if that leaves at most `capacity` owed; returns the debt.

        The debt is how many microseconds of budget `key` owes with this request counted: the request is
        admitted (and recorded) when it is at most `capacity`, refused (and not recorded) otherwise. A store
        that lost its backing service raises `vivace._backends.BackendUnavailable`.
        """
        ...


@runtime_checkable
class ConnectedBackend(Protocol):
    """Counters behind a connection (Redis): opened at startup, closed at shutdown."""

    def connect(self) -> AsyncIterator[RateLimitStore]:
        """An async generator dependency (used with `scope="app"`) that yields a connected store."""
        ...
