"""The memory task store: idempotency keys, completions, attempt counts and dead letters in bounded dicts.

One process only (the memory backend's tasks run in the process that enqueued them). Every map holds at most
`max_keys` entries, the oldest dropped first, and entries expire after `ttl` seconds.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable
from typing import Any

from vivace.tasks._backend import DeadLetter

__all__ = ["MemoryTaskStore"]

DEFAULT_TTL = 24 * 3600.0


class _ExpiringMap:
    """An insertion-ordered map with a size bound and a time to live per entry."""

    def __init__(self, max_size: int, ttl: float, clock: Callable[[], float]) -> None:
        self._items: OrderedDict[str, tuple[float, Any]] = OrderedDict()
        self._max_size = max_size
        self._ttl = ttl
        self._clock = clock

    def get(self, key: str) -> tuple[bool, Any]:
        found = self._items.get(key)
        if found is None:
            return False, None
        if found[0] <= self._clock():
            del self._items[key]
            return False, None
        return True, found[1]

    def set(self, key: str, value: Any) -> None:
        self._items.pop(key, None)
        self._items[key] = (self._clock() + self._ttl, value)
        while len(self._items) > self._max_size:
            self._items.popitem(last=False)

    def pop(self, key: str) -> None:
        self._items.pop(key, None)

    def __len__(self) -> int:
        return len(self._items)


class MemoryTaskStore:
    """`TaskStore` in memory; no await ever suspends inside a method, so each one is atomic on the event loop."""

    def __init__(
        self,
        *,
        max_keys: int = 100_000,
        max_dead_letters: int = 1_000,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._keys = _ExpiringMap(max_keys, ttl, clock)
        self._done = _ExpiringMap(max_keys, ttl, clock)
        self._attempts = _ExpiringMap(max_keys, ttl, clock)
        self._dead: deque[DeadLetter] = deque(maxlen=max_dead_letters)

    async def reserve(self, key: str, task_id: str) -> str | None:
        found, holder = self._keys.get(key)
        if found:
            return str(holder)
        self._keys.set(key, task_id)
        return None

    async def release(self, key: str, task_id: str) -> None:
        found, holder = self._keys.get(key)
        if found and holder == task_id:
            self._keys.pop(key)

    async def completion(self, key: str) -> tuple[bool, Any]:
        return self._done.get(key)

    async def begin_attempt(self, key: str) -> tuple[int, int]:
        _, counts = self._attempts.get(key)
        begun, failed = counts or (0, 0)
        self._attempts.set(key, (begun + 1, failed))
        return begun + 1, failed

    async def fail_attempt(self, key: str) -> None:
        _, counts = self._attempts.get(key)
        begun, failed = counts or (0, 0)
        self._attempts.set(key, (begun, failed + 1))

    async def complete(self, key: str, value: Any) -> None:
        self._done.set(key, value)
        self._attempts.pop(key)

    async def bury(self, letter: DeadLetter) -> None:
        self._dead.appendleft(letter)

    async def dead_letters(self, limit: int) -> list[DeadLetter]:
        return list(self._dead)[:limit]

    def sizes(self) -> dict[str, int]:
        """How many entries each map holds (for tests of the bounds)."""
        return {"keys": len(self._keys), "done": len(self._done), "attempts": len(self._attempts),
                "dead": len(self._dead)}  # fmt: skip
