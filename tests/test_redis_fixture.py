"""The Redis fixtures start a real server that can be killed and restarted on the same port."""

from __future__ import annotations

import socket

import pytest
from redis_support import RedisServer


def _command(port: int, line: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(line + b"\r\n")
        return sock.recv(256)


@pytest.mark.redis
def test_shared_server_starts_empty(redis_server: RedisServer) -> None:
    """A key written by an earlier test is gone: every test gets a flushed server."""
    assert _command(redis_server.port, b"DBSIZE") == b":0\r\n"
    assert _command(redis_server.port, b"SET k v") == b"+OK\r\n"


@pytest.mark.redis
def test_own_server_survives_kill_and_restart(own_redis_server: RedisServer) -> None:
    """kill() drops connections like a crash; start() brings the server back on the same URL."""
    url = own_redis_server.url
    own_redis_server.kill()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", own_redis_server.port), timeout=1).close()
    own_redis_server.start()
    assert own_redis_server.url == url
    assert _command(own_redis_server.port, b"PING") == b"+PONG\r\n"
