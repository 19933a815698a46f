"""Helpers of the rate-limit tests: the backend kinds the `kind` fixture hands out, and the headers to read."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fake_clock import FakeClock

from vivace.ratelimit import MemoryRateLimitBackend, RateLimit
from vivace.ratelimit.redis import RedisRateLimitBackend

# The headers a limiter writes, as a client reads them.
LIMIT_HEADERS = ("retry-after", "ratelimit", "ratelimit-policy")


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
