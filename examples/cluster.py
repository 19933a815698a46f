"""`make run-cluster`: the example app as several uvicorn workers sharing a throwaway redis-server.

    python -m examples.cluster [--port 8000] [--workers 2] [--redis-port 0]

It starts redis-server on a local port (a free one unless `--redis-port` says which) with a temporary
directory and no persistence, creates the database if needed, then serves `examples.app:app` with
`uvicorn --workers N` on one port, as a deployment would: every worker process accepts connections on it, and
they share the live feed, the login counters and the notes cache through Redis (`VIVACE_EXAMPLE_REDIS_URL`).
Ctrl-C (or SIGTERM) stops the workers, then Redis, and removes the temporary directory.

Every other `VIVACE_EXAMPLE_*` setting is passed on. Without `VIVACE_EXAMPLE_SECRET_KEY`, one key is made for
this run and given to every worker, so that they accept each other's tokens.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import FrameType

from .database import get_engine
from .settings import ENV_PREFIX, Settings

__all__ = ["main"]

HOST = "127.0.0.1"
READY_TIMEOUT = 10.0
STOP_TIMEOUT = 15.0
# NOTE: open event streams would hold a worker's shutdown forever; their browsers reconnect to another worker.
GRACEFUL_SHUTDOWN_S = 5


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m examples.cluster", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default=HOST, help=f"the workers' address ({HOST})")
    parser.add_argument("--port", type=int, default=8000, help="the port every worker accepts on (8000)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes (2)")
    parser.add_argument("--redis-port", type=int, default=0, help="redis-server's port on 127.0.0.1 (0: a free one)")
    return parser


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_ping(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _stop(process: subprocess.Popen[bytes], sig: signal.Signals = signal.SIGTERM) -> None:
    """Signal `process` unless it ended, and wait for it (SIGKILL if it does not end in time)."""
    if process.poll() is None:
        process.send_signal(sig)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def redis_server(binary: str, port: int, directory: Path) -> Iterator[str]:
    """A redis-server for the block, keeping nothing on disk; yields its URL."""
    command = [
        binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
        "--dir", str(directory), "--logfile", str(directory / "redis.log"),
    ]  # fmt: skip
    # NOTE: a session of its own, so Ctrl-C reaches the workers only: Redis is stopped after them, not with them
    process = subprocess.Popen(command, start_new_session=True)
    try:
        deadline = time.monotonic() + READY_TIMEOUT
        while not _answers_ping(port):
            if process.poll() is not None or time.monotonic() > deadline:
                log = directory / "redis.log"
                raise SystemExit(f"redis-server did not start:\n{log.read_text() if log.exists() else ''}")
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        _stop(process)


def prepare_database(settings: Settings) -> None:
    """Create and seed the database once, here, so that the workers do not race to do it at their start."""

    async def open_and_close() -> None:
        async with asynccontextmanager(get_engine)(settings):
            pass

    asyncio.run(open_and_close())


def serve(command: list[str], env: dict[str, str]) -> int:
    """Run the workers until they stop; Ctrl-C and SIGTERM stop them gracefully. Returns their exit code."""
    workers = subprocess.Popen(command, env=env)

    def forward(signum: int, frame: FrameType | None) -> None:
        if workers.poll() is None:
            workers.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    try:
        return workers.wait()
    except KeyboardInterrupt:
        # NOTE: Ctrl-C in a terminal reaches the workers too, and they are stopping already; a second SIGINT
        # would make uvicorn skip its graceful shutdown, so they are only waited for (then stopped if stuck)
        try:
            workers.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            _stop(workers)
        return 0
    finally:
        _stop(workers)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("redis-server is not installed (Debian/Ubuntu: apt-get install redis-server)")
    settings = Settings.from_env()
    env = {**os.environ, f"{ENV_PREFIX}SECRET_KEY": settings.secret_key}
    with tempfile.TemporaryDirectory(prefix="vivace-cluster-") as directory:
        redis_port = args.redis_port or free_port()
        with redis_server(binary, redis_port, Path(directory)) as redis_url:
            env[f"{ENV_PREFIX}REDIS_URL"] = redis_url
            prepare_database(settings)
            command = [
                sys.executable, "-m", "uvicorn", "examples.app:app", "--host", args.host, "--port", str(args.port),
                "--workers", str(args.workers), "--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_S),
            ]  # fmt: skip
            print(
                f"vivace example app: {args.workers} workers on http://{args.host}:{args.port} (API docs: /docs), "
                f"sharing Redis at {redis_url}; Ctrl-C stops everything",
                flush=True,
            )
            return serve(command, env)


if __name__ == "__main__":
    sys.exit(main())
