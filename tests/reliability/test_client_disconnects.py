"""A client that goes away in the middle of a streamed response stops the work behind it: the generator's
`finally` runs, the route's `yield` dependencies exit, and nothing is logged — checked against a real uvicorn for
StreamingResponse, generator endpoints (JSON Lines) and Server-Sent Events, async and sync.

FastAPI leaves a sync generator behind an SSE response running after the client left (shown below).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from process_support import ServerProcess
from reliability_support import app_source, recorded, served_by_both
from wire import get, healthy

APP = app_source(
    """
    import asyncio
    import time
    from collections.abc import AsyncIterable, AsyncIterator, Iterable
    from typing import Annotated

    from fastapi import Depends, FastAPI
    from fastapi.responses import StreamingResponse
    from fastapi.sse import EventSourceResponse
    """,
    """
    @app.get("/sync-health")
    def sync_health():
        return {"ok": True}

    async def resource() -> AsyncIterator[None]:
        events.append("dependency entered")
        try:
            yield
        finally:
            events.append("dependency exited")

    Resource = Annotated[None, Depends(resource)]

    def forever(name):
        async def chunks():
            try:
                while True:
                    yield b"x" * 100
                    await asyncio.sleep(0.01)
            finally:
                events.append(f"{name} stopped")
        return chunks()

    @app.get("/streaming")
    async def streaming(_: Resource):
        return StreamingResponse(forever("streaming"))

    @app.get("/jsonl")
    async def jsonl(_: Resource) -> AsyncIterable[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                await asyncio.sleep(0.01)
        finally:
            events.append("jsonl stopped")

    @app.get("/jsonl-sync")
    def jsonl_sync() -> Iterable[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                time.sleep(0.01)
        finally:
            events.append("jsonl-sync stopped")

    @app.get("/sse", response_class=EventSourceResponse)
    async def sse(_: Resource) -> AsyncIterable[dict]:
        try:
            n = 0
            while True:
                yield {"n": n}
                n += 1
                await asyncio.sleep(0.01)
        finally:
            events.append("sse stopped")

    @app.get("/sse-idle", response_class=EventSourceResponse)
    async def sse_idle(_: Resource) -> AsyncIterable[dict]:
        try:
            yield {"n": 0}
            await asyncio.sleep(3600)
        finally:
            events.append("sse-idle stopped")

    @app.get("/sse-sync", response_class=EventSourceResponse)
    def sse_sync() -> Iterable[dict]:
        try:
            n = 0
            while True:
                yield {"n": n}
                n += 1
                time.sleep(0.01)
        finally:
            events.append("sse-sync stopped")
    """,
)

#: route -> whether it has a `yield` dependency
STREAMS = {
    "/streaming": True,
    "/jsonl": True,
    "/jsonl-sync": False,
    "/sse": True,
    "/sse-idle": True,
    "/sse-sync": False,
}


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, ServerProcess]]:
    with served_by_both(APP, tmp_path_factory) as both:
        yield both


def read_then_leave(port: int, path: str) -> None:
    """Start the stream, read its first bytes, and close the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nhost: test\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200")


def wait_until(port: int, done: object, timeout: float = 10) -> list[str]:
    deadline = time.monotonic() + timeout
    while True:
        seen = recorded(port)
        if callable(done) and done(seen):
            return seen
        if time.monotonic() > deadline:
            return seen
        time.sleep(0.05)


@pytest.mark.parametrize("path", STREAMS)
def test_leaving_mid_stream_stops_the_generator(servers: dict[str, ServerProcess], path: str) -> None:
    """The generator's `finally` runs, the `yield` dependency exits, no exception reaches the server's log."""
    server = servers["vivace"]
    name = path.strip("/")
    log_before = len(server.output())
    before = recorded(server.port)
    read_then_leave(server.port, path)

    def finished(seen: list[str]) -> bool:
        new = seen[len(before) :]
        return f"{name} stopped" in new and (not STREAMS[path] or "dependency exited" in new)

    seen = wait_until(server.port, finished)
    assert finished(seen), seen[len(before) :]
    new = seen[len(before) :]
    assert new.count("dependency entered") == new.count("dependency exited")
    assert "Exception in ASGI application" not in server.output()[log_before:]
    assert healthy(server.port)


def test_many_abandoned_sync_streams_do_not_exhaust_the_thread_pool(servers: dict[str, ServerProcess]) -> None:
    """Sync generators run in worker threads (40 by default): 60 abandoned sync streams leave every thread free,
    so a plain `def` route still answers at once."""
    port = servers["vivace"].port
    before = recorded(port)
    clients = [threading.Thread(target=read_then_leave, args=(port, "/sse-sync")) for _ in range(30)]
    clients += [threading.Thread(target=read_then_leave, args=(port, "/jsonl-sync")) for _ in range(30)]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=30)
    seen = wait_until(port, lambda seen: len(seen) - len(before) >= 60, timeout=20)
    assert sorted(set(seen[len(before) :])) == ["jsonl-sync stopped", "sse-sync stopped"]
    assert len(seen) - len(before) == 60
    started = time.monotonic()
    answer = get(port, "/sync-health")
    assert answer is not None and answer.status == 200
    assert time.monotonic() - started < 5


def test_fastapi_keeps_a_sync_sse_generator_running(servers: dict[str, ServerProcess]) -> None:
    """The differential: under FastAPI the abandoned sync SSE generator is not stopped (within 3 s here)."""
    port = servers["fastapi"].port
    before = recorded(port)
    read_then_leave(port, "/sse-sync")
    seen = wait_until(port, lambda seen: "sse-sync stopped" in seen[len(before) :], timeout=3)
    assert "sse-sync stopped" not in seen[len(before) :]
