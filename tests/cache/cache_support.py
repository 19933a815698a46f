"""Helpers of the cache tests: a clock moved by hand, and backend kinds the `kind` fixture hands out."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from vivace.cache import CacheBackend, MemoryCacheBackend


class FakeClock:
    """A clock tests move by hand, for the memory backend's time to live."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class BackendKind:
    """How to make a fresh backend of one kind; `expire(seconds)` lets `seconds` of entry lifetime pass."""

    name: str
    make: Callable[[], CacheBackend]
    expire: Callable[[float], None]


def memory_kind() -> BackendKind:
    clock = FakeClock()
    return BackendKind("memory", lambda: MemoryCacheBackend(clock=clock), clock.advance)


def redis_kind(url: str) -> BackendKind:
    from vivace.cache.redis import RedisCacheBackend  # NOTE: only Redis tests need the optional package

    return BackendKind("redis", lambda: RedisCacheBackend(url, poll_interval=0.01), time.sleep)
