"""Fixtures for the channels tests: the same behaviour checked on the memory backend and on a real Redis."""

from __future__ import annotations

from typing import Any

import pytest
from channels_support import BackendFactory

from vivace.channels import ChannelBackend, MemoryChannelBackend


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def backend_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def make_backend(request: pytest.FixtureRequest, backend_kind: str) -> BackendFactory:
    """Builds a fresh backend of the parametrised kind; Redis trims exactly so history bounds are exact."""
    if backend_kind == "memory":
        return MemoryChannelBackend
    from vivace.channels.redis import RedisChannelBackend

    url: str = request.getfixturevalue("redis_url")

    def make(**options: Any) -> ChannelBackend:
        return RedisChannelBackend(url, approximate=False, block=0.5, **options)

    return make
