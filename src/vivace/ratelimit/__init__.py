"""Rate limiting as a dependency: `Depends(RateLimit("10/minute"))` on a route, a router or the app.

Counters live in memory (one process, the default) or in Redis (`vivace.ratelimit.redis`, shared by every
worker). Guide: docs/guide/rate-limiting.md.
"""

from vivace.ratelimit._backend import ConnectedBackend, RateLimitStore
from vivace.ratelimit._keys import client_address, forwarded_for
from vivace.ratelimit._limiter import RateLimit
from vivace.ratelimit._memory import MemoryRateLimitBackend
from vivace.ratelimit._rate import Rate

__all__ = [
    "ConnectedBackend",
    "MemoryRateLimitBackend",
    "Rate",
    "RateLimit",
    "RateLimitStore",
    "client_address",
    "forwarded_for",
]
