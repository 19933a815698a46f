"""Real server processes for the server-level tests: uvicorn, granian's ASGI interface and granian's RSGI interface.

`served(kind, source, directory)` writes `source` (a module defining `app`) and serves it in a child process on a
free loopback port until the block ends, then stops it with SIGTERM (graceful: the lifespan shutdown runs).
granian binds its socket before its worker has run the app's startup, so readiness is an HTTP answer from
`ready_path`, not a connect.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
from process_support import ROOT, START_TIMEOUT, ServerProcess, free_port

__all__ = ["KINDS", "served", "start"]

#: every way the tests serve an app: uvicorn, granian over ASGI, granian over RSGI (vivace's native entry)
KINDS = ("uvicorn", "granian-asgi", "granian-rsgi")


def _command(kind: str, name: str, port: int) -> list[str]:
    if kind == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", f"{name}:app", "--host", "127.0.0.1", "--port", str(port),
            "--lifespan", "on", "--log-level", "warning",
        ]  # fmt: skip
    interface = kind.removeprefix("granian-")
    return [
        sys.executable, "-m", "granian", "--interface", interface, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", f"{name}:app",
    ]  # fmt: skip


def _wait_answering(server: ServerProcess, path: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited with {server.process.returncode}:\n{server.output()}")
        try:
            httpx.get(server.url + path, timeout=2.0)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no answer within {START_TIMEOUT} s:\n{server.output()}") from None
            time.sleep(0.1)


def start(
    kind: str, source: str, directory: Path, *, name: str = "app", env: Mapping[str, str] | None = None
) -> ServerProcess:
    """Write `source` as `directory/name.py` and serve it with `kind` in a child process (not waited for)."""
    (directory / f"{name}.py").write_text(source)
    port = free_port()
    log = directory / f"{name}-{kind}-{port}.log"
    python_path = os.pathsep.join([str(directory), str(ROOT / "src"), str(ROOT)])
    child_env = {**os.environ, "PYTHONPATH": python_path, **(env or {})}
    with log.open("wb") as out:
        process = subprocess.Popen(
            _command(kind, name, port), cwd=directory, env=child_env, stdout=out, stderr=subprocess.STDOUT
        )
    return ServerProcess(process, port, log)


@contextmanager
def served(
    kind: str,
    source: str,
    directory: Path,
    *,
    name: str = "app",
    env: Mapping[str, str] | None = None,
    ready_path: str = "/",
) -> Iterator[ServerProcess]:
    """`source` served by `kind` (one of KINDS) for the duration of the block."""
    server = start(kind, source, directory, name=name, env=env)
    try:
        _wait_answering(server, ready_path)
        yield server
    finally:
        server.stop()
