"""A real `redis-server` for tests: started on a free loopback port, stoppable and restartable mid-test.

The binary is Debian's `redis-server` (installed by .ci/run). Without it, tests that need a server are skipped,
unless `VIVACE_REQUIRE_REDIS=1` is set (CI sets it), which turns a missing server into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

REQUIRE_REDIS = "VIVACE_REQUIRE_REDIS"
MISSING = "needs redis-server on PATH (apt: redis-server)"
START_TIMEOUT = 10.0


def redis_binary() -> str | None:
    return shutil.which("redis-server")


def skip_or_fail_without_redis() -> str:
    """The binary's path; skips the test, or fails it when REQUIRE_REDIS is set, if there is none."""
    binary = redis_binary()
    if binary is not None:
        return binary
    if os.environ.get(REQUIRE_REDIS):
        pytest.fail(f"{REQUIRE_REDIS} is set but {MISSING}")
    pytest.skip(f"{MISSING}; set {REQUIRE_REDIS}=1 to make this a failure")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _ping(port: int) -> bool:
    """One inline-protocol PING; True when the server answers PONG."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


class RedisServer:
    """One redis-server process on a fixed port, so a client keeps its URL across `kill()` and `start()`."""

    def __init__(self, binary: str, workdir: Path) -> None:
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def start(self) -> None:
        """Start (or restart) the server on the same port; returns once it answers PING."""
        if self.running:
            return
        log = (self.workdir / "redis.log").open("ab")
        command = [
            self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(self.workdir), "--protected-mode", "no",
        ]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not _ping(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{(self.workdir / 'redis.log').read_text()}")
            time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: the server disappears without a goodbye, as in a crash."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def flush(self) -> None:
        """Empty every database, so tests sharing a server start from nothing."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=2) as sock:
            sock.sendall(b"FLUSHALL\r\n")
            assert sock.recv(64).startswith(b"+OK")
