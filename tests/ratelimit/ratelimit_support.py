"""Helpers of the rate-limit tests: a clock moved by hand and the backend kinds the `kind` fixture hands out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend

# The headers a limiter writes, as a client reads them.
LIMIT_HEADERS = ("retry-after", "ratelimit", "ratelimit-policy")


class FakeClock:
    """A monotonic clock that tests move by hand, so refills need no sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class BackendKind:
    """Makes limiters on one kind of backend; `clock` is None for Redis, whose time is the server's."""

    name: str
    redis_url: str | None = None
    clock: FakeClock | None = None

    def backend(self, **options: Any) -> MemoryRateLimitBackend | RedisRateLimitBackend:
        if self.redis_url is not None:
            return RedisRateLimitBackend(self.redis_url, **options)
        return MemoryRateLimitBackend(clock=self.clock or FakeClock(), **options)

    def limit(self, rate: str | None = None, **options: Any) -> RateLimit:
        """A limiter on a fresh backend of this kind (unless `backend=` is given)."""
        options.setdefault("backend", self.backend())
        return RateLimit(rate, **options)


def limit_headers(response: Any) -> dict[str, str]:
    """The rate-limit headers of a response, by lower-case name."""
    return {name: response.headers[name] for name in LIMIT_HEADERS if name in response.headers}
