"""Fixtures of the rate-limit tests: the same behaviour checked on the memory backend and on a real Redis."""

from __future__ import annotations

import pytest
from fake_clock import FakeClock
from ratelimit_support import BackendKind


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def kind(request: pytest.FixtureRequest, clock: FakeClock) -> BackendKind:
    """Each test using it runs on a memory backend (with the `clock` fixture) and on a flushed real Redis."""
    if request.param == "memory":
        return BackendKind("memory", clock=clock)
    return BackendKind("redis", redis_url=request.getfixturevalue("redis_url"))
