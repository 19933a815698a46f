"""Real server processes for tests of features that span processes: each worker is its own uvicorn process.

`uvicorn_process(source, tmp_path)` writes `source` (a module defining `app`) to a file, serves it with uvicorn
(lifespan on) on a free loopback port in a child process and yields the base URL; the child is stopped with
SIGTERM (graceful: lifespan shutdown runs) when the block ends. Uvicorn listens only after the lifespan startup
finished, so a successful connect means the app is ready.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
START_TIMEOUT = 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class ServerProcess:
    """A running uvicorn child: its URL, its log, and a way to stop it hard (SIGKILL) or gracefully."""

    def __init__(self, process: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.log = log

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {self.process.returncode}:\n{self.output()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"uvicorn did not listen within {START_TIMEOUT} s:\n{self.output()}") from None
                time.sleep(0.05)

    def stop(self, timeout: float = 15) -> int:
        """SIGTERM, then SIGKILL if it does not end in time; returns the exit code."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def start_uvicorn(
    source: str, directory: Path, *, name: str = "app", env: Mapping[str, str] | None = None
) -> ServerProcess:
    """Write `source` as `directory/name.py` and serve `name:app` in a child process (not yet waited for)."""
    (directory / f"{name}.py").write_text(source)
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", f"{name}:app", "--host", "127.0.0.1", "--port", str(port),
        "--lifespan", "on", "--log-level", "warning",
    ]  # fmt: skip
    log = directory / f"{name}-{port}.log"
    python_path = os.pathsep.join([str(directory), str(ROOT / "src"), str(ROOT)])
    child_env = {**os.environ, "PYTHONPATH": python_path, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    return ServerProcess(process, port, log)


@contextmanager
def uvicorn_process(
    source: str, directory: Path, *, name: str = "app", env: Mapping[str, str] | None = None
) -> Iterator[ServerProcess]:
    """A served app for the duration of the block (see the module docstring)."""
    server = start_uvicorn(source, directory, name=name, env=env)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
