"""`MemoryCacheBackend`: entries in this process, bounded by count and bytes, least recently used evicted first."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

from vivace.cache._backend import Claim
from vivace.cache._entry import Entry

__all__ = ["MemoryCacheBackend"]

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024
# How many recent tag invalidations are remembered to void computations in flight (see `_fresh`).
REMEMBERED_INVALIDATIONS = 10_000


class MemoryCacheBackend:
    """The zero-setup store for one process. Each worker process has its own; see `vivace.cache.redis` to share.

    `max_entries` and `max_bytes` (body and headers) bound it; None lifts a bound. `clock` (seconds, monotonic
    by default) measures time to live; tests pass a fake one.
    """

    lifespan: Callable[[], AsyncIterator[Any]] | None = None  # nothing to open or close

    def __init__(
        self,
        *,
        max_entries: int | None = DEFAULT_MAX_ENTRIES,
        max_bytes: int | None = DEFAULT_MAX_BYTES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        for name, bound in (("max_entries", max_entries), ("max_bytes", max_bytes)):
            if bound is not None and bound < 1:
                raise ValueError(f"MemoryCacheBackend: {name} must be at least 1 (or None for no bound)")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._clock = clock
        # PERF: the clock itself rather than a method calling it: `now()` is read on every hit
        self.now = clock
        self._entries: OrderedDict[str, tuple[Entry, tuple[str, ...]]] = OrderedDict()
        self._tagged: dict[str, set[str]] = {}
        self._bytes = 0
        # NOTE: invalidations are stamped with a counter; a claim remembers the counter, and a store is refused
        # if one of its tags was stamped later (or if that stamp was forgotten: the bound errs on not storing)
        self._stamp = 0
        self._invalidated: OrderedDict[str, int] = OrderedDict()
        self._forgotten = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stored_bytes(self) -> int:
        """Bytes held by the stored entries, as counted against `max_bytes`."""
        return self._bytes

    async def get(self, key: str) -> Entry | None:
        return self.peek(key)

    def peek(self, key: str) -> Entry | None:
        """`get` without a coroutine: what `Cache` calls on this backend (a hit is answered without awaiting)."""
        item = self._entries.get(key)
        if item is None:
            return None
        entry = item[0]
        if entry.expires <= self._clock():
            self._drop(key)
            return None
        self._entries.move_to_end(key)
        return entry

    async def claim(self, key: str, tags: Sequence[str]) -> Claim:
        # NOTE: no lock: within one process the cache already lets one request per key compute
        return Claim(await self.get(key), None, self._stamp)

    async def store(self, key: str, entry: Entry, ttl: float, tags: Sequence[str], claim: Claim) -> bool:
        if not self._fresh(tags, claim.generation):
            return False
        if self.max_bytes is not None and entry.size > self.max_bytes:
            return False
        if key in self._entries:
            self._drop(key)
        self._entries[key] = (entry, tuple(tags))
        self._bytes += entry.size
        for tag in tags:
            self._tagged.setdefault(tag, set()).add(key)
        self._evict()
        return True

    async def release(self, key: str, claim: Claim) -> None:
        return None

    async def delete(self, keys: Sequence[str]) -> int:
        found = [key for key in keys if key in self._entries]
        for key in found:
            self._drop(key)
        return len(found)

    async def invalidate_tags(self, tags: Sequence[str]) -> int:
        self._stamp += 1
        removed = 0
        for tag in tags:
            self._remember(tag)
            for key in self._tagged.pop(tag, set()):
                if key in self._entries:
                    self._drop(key)
                    removed += 1
        return removed

    def _fresh(self, tags: Sequence[str], seen: int) -> bool:
        """No tag was invalidated after the claim that `seen` was taken at."""
        if self._forgotten > seen:
            return False
        invalidated = self._invalidated
        return all(invalidated.get(tag, 0) <= seen for tag in tags)

    def _remember(self, tag: str) -> None:
        self._invalidated[tag] = self._stamp
        self._invalidated.move_to_end(tag)
        if len(self._invalidated) > REMEMBERED_INVALIDATIONS:
            _, stamp = self._invalidated.popitem(last=False)
            self._forgotten = max(self._forgotten, stamp)

    def _evict(self) -> None:
        """Least recently used first, until both bounds hold."""
        entries = self._entries
        while (self.max_entries is not None and len(entries) > self.max_entries) or (
            self.max_bytes is not None and self._bytes > self.max_bytes
        ):
            self._drop(next(iter(entries)))

    def _drop(self, key: str) -> None:
        entry, tags = self._entries.pop(key)
        self._bytes -= entry.size
        for tag in tags:
            keys = self._tagged.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._tagged[tag]
