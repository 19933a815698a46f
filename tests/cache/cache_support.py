"""Helpers of the cache tests: the backend kinds the `kind` fixture hands out (memory on a hand-moved clock)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from fake_clock import FakeClock

from vivace.cache import CacheBackend, MemoryCacheBackend


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
