"""The memory backend: exact within one process, bounded, and the default.

GCRA (the generic cell rate algorithm) keeps a single number per key, the *theoretical arrival time* (TAT):
the moment at which the key's budget would be whole again. A request adds one interval to it; the request is
admitted while the TAT stays within `capacity` of now. A TAT in the past means a full budget, so such a key
can be forgotten without changing any answer: that is how expired keys are pruned.

Every check runs on the event loop without awaiting, so the read-modify-write cannot interleave with another
request's: the count is exact for one process (one event loop).

The table counts in nanoseconds of the monotonic clock (rates are whole microseconds, see `_rate.py`, so every
answer is the one the microsecond arithmetic of the Redis script gives, up to the clock's finer resolution).
PERF: `monotonic_ns()` taken as it is costs ~400 instructions less than converted to microseconds per request.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from time import monotonic_ns
from typing import Any, TypeVar

from vivace.ratelimit._keys import UNKNOWN_CLIENT
from vivace.ratelimit._rate import MICROSECONDS

__all__ = ["DEFAULT_MAX_KEYS", "MemoryRateLimitBackend"]

DEFAULT_MAX_KEYS = 100_000
_NANOSECONDS_PER_MICROSECOND = 1000
# How many clients' whole keys a limiter keeps made (see `gate`); past that, it starts again.
_KEYS_REMEMBERED = 1024

T = TypeVar("T")


# How many of the least recently used keys a new key looks at for expiry: enough to keep the table at the
# number of live keys when traffic moves on, small enough to keep each request O(1).
_PRUNE_PER_NEW_KEY = 2


class MemoryRateLimitBackend:
    """Counters in this process's memory, at most `max_keys` of them.

    Keys whose budget is whole again are dropped as new keys arrive; past `max_keys`, the least recently
    used key is evicted (its client starts again with a full budget). `clock` returns seconds on a monotonic
    scale (`time.monotonic` when None); tests pass a fake one to move time without sleeping.
    """

    def __init__(self, *, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] | None = None) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self.max_keys = max_keys
        #: settable, so a test can freeze or move the time of an app's limiters after they were built
        self.clock = clock
        # key -> [TAT in nanoseconds]; the order is least recently used first. PERF: each TAT in a one-item list,
        # updated in place: ~340 instructions a request less than storing it into the table again
        self._tats: OrderedDict[str, list[int]] = OrderedDict()
        self._spenders: dict[tuple[int, int], Callable[[str], int]] = {}  # for `check`, by (interval, capacity)

    def __len__(self) -> int:
        """How many keys are tracked now."""
        return len(self._tats)

    def __repr__(self) -> str:
        return f"MemoryRateLimitBackend(max_keys={self.max_keys}, keys={len(self._tats)})"

    async def hit(self, key: str, interval: int, capacity: int) -> int:
        return self.check(key, interval, capacity)

    def check(self, key: str, interval: int, capacity: int) -> int:
        """`hit` without a coroutine: what `RateLimit` calls on this backend (in microseconds, as `hit`)."""
        spend = self._spenders.get((interval, capacity))
        if spend is None:
            spend = self._spenders[interval, capacity] = self.spender(interval, capacity)
        debt = spend(key)
        # NOTE: rounded up, so a debt within the capacity in nanoseconds is within it in microseconds, and beyond
        return -(-debt // _NANOSECONDS_PER_MICROSECOND)

    def spender(self, interval: int, capacity: int) -> Callable[[str], int]:
        """`check` for one `interval` and `capacity` (microseconds), as a function of the key alone that returns the
        debt in nanoseconds."""
        return self.gate(interval, capacity, "", whole=interval * _NANOSECONDS_PER_MICROSECOND, owing=_debt)

    def gate(
        self, interval: int, capacity: int, prefix: str, *, whole: T, owing: Callable[[int], T], by_peer: bool = False
    ) -> Callable[[Any], T]:
        """One limiter's whole check, built at startup: a function of the key (after `prefix`), or with `by_peer` of
        the request scope, keyed by the peer address, that spends one `interval` of the key's budget (microseconds).

        It answers `whole` when the key's budget was whole (the usual answer, which the limiter has ready), else
        `owing(debt)`, with the debt in nanoseconds (recorded when it is at most `capacity`).
        """
        interval *= _NANOSECONDS_PER_MICROSECOND
        capacity *= _NANOSECONDS_PER_MICROSECOND
        tats = self._tats
        # PERF: the table's methods bound once; the table object lives as long as the backend
        known, to_end = tats.get, tats.move_to_end
        # PERF: the whole keys of recent clients, made (and hashed) once: ~800 instructions a request less
        keys: dict[str, str] = {}

        # PERF: one function for the check (a memory RateLimit's native step): each call saved is ~600 instructions
        def spend(key_or_scope: Any) -> T:
            if by_peer:
                client = key_or_scope.get("client")
                key_or_scope = client[0] if client else UNKNOWN_CLIENT
            key = keys.get(key_or_scope)
            if key is None:
                if len(keys) >= _KEYS_REMEMBERED:
                    keys.clear()
                key = keys[key_or_scope] = prefix + key_or_scope
            clock = self.clock
            now = monotonic_ns() if clock is None else int(clock() * MICROSECONDS) * _NANOSECONDS_PER_MICROSECOND
            cell = known(key)
            if cell is None:
                self._make_room(now)
                tats[key] = [now + interval]
                return whole
            to_end(key)
            tat = cell[0]
            if tat > now:
                debt = tat + interval - now
                if debt <= capacity:
                    cell[0] = tat + interval
                # NOTE: else refused, and the TAT stays: only a known key can be (a new one owes one interval)
                return owing(debt)
            cell[0] = now + interval
            return whole

        return spend

    def _make_room(self, now: int) -> None:
        """Before a new key: forget the oldest keys whose budget is whole again, then evict down to the bound."""
        tats = self._tats
        for _ in range(_PRUNE_PER_NEW_KEY):
            oldest = next(iter(tats), None)
            if oldest is None or tats[oldest][0] > now:
                break
            del tats[oldest]
        while len(tats) >= self.max_keys:
            tats.popitem(last=False)


def _debt(debt: int) -> int:
    """The debt as it is: the answer of a `spender` for a key that still owes."""
    return debt
