"""Fixtures of the cache tests: the same behaviour checked on the memory backend and on a real Redis."""

from __future__ import annotations

import pytest
from cache_support import BackendKind, memory_kind, redis_kind


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest) -> BackendKind:
    """Each test using it runs on a memory backend and on a Redis one (a flushed real server)."""
    if request.param == "memory":
        return memory_kind()
    return redis_kind(request.getfixturevalue("redis_url"))
