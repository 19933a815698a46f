"""What the cache needs from a store: the `CacheBackend` protocol and the `Claim` a computation holds."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from vivace.cache._entry import Entry

__all__ = ["CacheBackend", "Claim"]


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of asking to compute a key: the entry someone else stored meanwhile, or the right to compute.

    `token` is the cross-process lock's token when this worker holds the lock (None when it gave up waiting and
    computes anyway); `generation` is what the tags looked like before computing, so an answer computed across
    an invalidation of one of its tags is not stored.
    """

    entry: Entry | None
    token: str | None
    generation: Any


class CacheBackend(Protocol):
    """A store of entries with expiry, tag sets and a per-key computation lock.

    Every method may raise `vivace._backends.BackendUnavailable` when the store is unreachable; the memory
    backend never does.
    """

    @property
    def lifespan(self) -> Callable[[], AsyncIterator[Any]] | None:
        """An async generator function the cache declares as `Depends(..., scope="app")`, so the store opens at
        application startup and closes at shutdown; None when there is nothing to open."""
        # NOTE: read-only in the protocol, so a backend may narrow the type (mypy checks attributes invariantly)

    def now(self) -> float:
        """The clock entries' `expires` are measured on (seconds)."""
        ...

    async def get(self, key: str) -> Entry | None:
        """The live entry under `key`, or None."""
        ...

    async def claim(self, key: str, tags: Sequence[str]) -> Claim:
        """Before computing `key`: its entry if one appeared, else the lock (waiting a bounded time for it)."""
        ...

    async def store(self, key: str, entry: Entry, ttl: float, tags: Sequence[str], claim: Claim) -> bool:
        """Store `entry` for `ttl` seconds under `key` and `tags`, unless a tag was invalidated since `claim`;
        release the claim's lock either way. True when stored."""
        ...

    async def release(self, key: str, claim: Claim) -> None:
        """Give the lock back without storing (the answer was not cacheable, or computing it failed)."""
        ...

    async def delete(self, keys: Sequence[str]) -> int:
        """Remove these entries; returns how many existed."""
        ...

    async def invalidate_tags(self, tags: Sequence[str]) -> int:
        """Remove every entry stored under any of `tags` and void computations in flight for them."""
        ...
