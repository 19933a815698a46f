"""Fixtures shared by every test folder: a real redis-server for the multi-process features."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from redis_support import RedisServer, skip_or_fail_without_redis


def _require_marker(request: pytest.FixtureRequest) -> None:
    # NOTE: the marker is how `-m "not redis"` deselects them and how readers see the dependency.
    if request.node.get_closest_marker("redis") is None:
        pytest.fail("a test that uses a Redis server must carry @pytest.mark.redis")


@pytest.fixture(scope="session")
def _shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    binary = skip_or_fail_without_redis()
    server = RedisServer(binary, tmp_path_factory.mktemp("redis"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_server(request: pytest.FixtureRequest, _shared_redis: RedisServer) -> RedisServer:
    """The session's redis-server (one per xdist worker), emptied before the test; restarted if a test killed it."""
    _require_marker(request)
    _shared_redis.start()
    _shared_redis.flush()
    return _shared_redis


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """`redis://127.0.0.1:PORT/0` of an empty server."""
    return redis_server.url


@pytest.fixture
def own_redis_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own, for tests that kill and restart it."""
    _require_marker(request)
    binary = skip_or_fail_without_redis()
    server = RedisServer(binary, tmp_path)
    server.start()
    try:
        yield server
    finally:
        server.stop()
