"""ConcurrencyLimitMiddleware: past `max_requests` requests in flight, a 503 with Retry-After and a JSON body at
once, instead of an unbounded backlog; exempt paths and WebSockets are never refused; the count always unwinds.

Against a real uvicorn with concurrent slow requests, and in process for the counting rules.
"""

from __future__ import annotations

import asyncio
import textwrap
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from process_support import ServerProcess, uvicorn_process
from wire import Answer, Connection, get

from vivace import FastAPI, WebSocket
from vivace.middleware.overload import ConcurrencyLimitMiddleware
from vivace.testclient import TestClient

APP = textwrap.dedent(
    """
    import asyncio

    from vivace import FastAPI
    from vivace.middleware.overload import ConcurrencyLimitMiddleware

    app = FastAPI()
    release = asyncio.Event()
    waiting = 0

    @app.get("/health")
    async def health():
        return {"ok": True, "waiting": waiting}

    @app.post("/release")
    async def open_gate():
        release.set()
        return {"released": True}

    @app.get("/slow")
    async def slow():
        global waiting
        waiting += 1
        try:
            await release.wait()
        finally:
            waiting -= 1
        return {"done": True}

    @app.get("/fast")
    async def fast():
        return {"fast": True}

    app.add_middleware(ConcurrencyLimitMiddleware, max_requests=3, retry_after=7, exempt_paths=["/health", "/release"])
    """
)

REFUSED = b'{"detail":"Service Unavailable"}'


@pytest.fixture
def server(tmp_path: Any) -> Iterator[ServerProcess]:
    with uvicorn_process(APP, tmp_path) as process:
        yield process


def waiting(port: int) -> int:
    answer = get(port, "/health")
    assert answer is not None and answer.status == 200
    count: int = answer.json()["waiting"]
    return count


def test_requests_past_the_cap_get_503_at_once(server: ServerProcess) -> None:
    """Three slow requests hold every place: the next ones are refused within a second, /health still answers,
    and once the slow ones finish the server takes requests again."""
    port = server.port
    results: list[Answer | None] = []
    slow = [threading.Thread(target=lambda: results.append(get(port, "/slow"))) for _ in range(3)]
    for thread in slow:
        thread.start()
    deadline = time.monotonic() + 20
    while waiting(port) < 3:
        assert time.monotonic() < deadline, "the slow requests never started"
        time.sleep(0.02)
    for path in ("/fast", "/slow"):
        started = time.monotonic()
        answer = get(port, path)
        assert answer is not None
        assert (answer.status, answer.body) == (503, REFUSED)
        assert answer.header("retry-after") == "7"
        assert answer.header("content-type") == "application/json"
        assert time.monotonic() - started < 5  # answered, not queued behind the slow requests
    with Connection(port) as connection:
        released = connection.request("POST", "/release")
    assert released is not None and released.status == 200
    for thread in slow:
        thread.join(timeout=30)
    assert [(r.status, r.body) for r in results if r is not None] == [(200, b'{"done":true}')] * 3
    fast = get(port, "/fast")
    assert fast is not None and fast.status == 200


def test_burst_of_fifty_never_runs_more_than_the_cap(server: ServerProcess) -> None:
    """Fifty requests at once: exactly three are served (and wait), the other 47 are refused, none is lost."""
    port = server.port
    results: list[Answer | None] = []
    lock = threading.Lock()

    def one() -> None:
        answer = get(port, "/slow")
        with lock:
            results.append(answer)

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while len(results) < 47:
        assert time.monotonic() < deadline, f"only {len(results)} answers"
        time.sleep(0.02)
    assert waiting(port) == 3
    with Connection(port) as connection:
        connection.request("POST", "/release")
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(answer.status for answer in results if answer is not None)
    assert statuses == [200] * 3 + [503] * 47


# -- in process --------------------------------------------------------------------------------------------


def plain_app() -> tuple[FastAPI, asyncio.Event]:
    app = FastAPI()
    gate = asyncio.Event()

    @app.get("/wait")
    async def wait() -> dict[str, bool]:
        await gate.wait()
        return {"ok": True}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    @app.websocket("/ws")
    async def ws(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi")
        await websocket.close()

    return app, gate


def limited_app(**options: Any) -> tuple[FastAPI, asyncio.Event]:
    app, gate = plain_app()
    app.add_middleware(ConcurrencyLimitMiddleware, **options)
    return app, gate


def test_the_count_unwinds_after_errors() -> None:
    """A request whose endpoint raises frees its place: the cap of 1 still admits the next request."""
    app, _ = limited_app(max_requests=1)
    client = TestClient(app, raise_server_exceptions=False)
    for _ in range(3):
        assert client.get("/boom").status_code == 500
    assert client.get("/nothing-here").status_code == 404


def test_websockets_are_not_counted() -> None:
    """WebSocket sessions pass through the middleware untouched, whatever the count."""
    app, _ = limited_app(max_requests=1)
    with TestClient(app).websocket_connect("/ws") as websocket:
        assert websocket.receive_text() == "hi"


def test_counts_in_process() -> None:
    """`active` follows the requests in flight and `refused` the 503s, over plain ASGI calls."""

    async def scenario() -> tuple[list[int], int, int, int]:
        app, gate = plain_app()
        layer = ConcurrencyLimitMiddleware(app, max_requests=2)
        statuses: list[int] = []

        async def call(path: str) -> None:
            scope = {"type": "http", "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b""}
            scope |= {"headers": [], "root_path": "", "scheme": "http", "server": ("t", 80), "http_version": "1.1"}

            async def receive() -> dict[str, Any]:
                await asyncio.Event().wait()  # never: the client stays connected
                return {}

            async def send(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            await layer(scope, receive, send)

        tasks = [asyncio.create_task(call("/wait")) for _ in range(2)]
        while layer.active < 2:
            await asyncio.sleep(0.01)
        active_during = layer.active
        await call("/wait")
        gate.set()
        await asyncio.gather(*tasks)
        return statuses, active_during, layer.active, layer.refused

    statuses, active_during, active_after, refused = asyncio.run(scenario())
    assert sorted(statuses) == [200, 200, 503]
    assert (active_during, active_after, refused) == (2, 0, 1)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_requests": 0}, "max_requests must be at least 1, not 0"),
        ({"max_requests": 5, "retry_after": -1}, "retry_after must be a number of seconds (0 or more), not -1"),
    ],
)
def test_bad_settings_are_refused_at_startup(options: dict[str, int], message: str) -> None:
    """Nonsense limits raise when the middleware is built, not on the first request."""
    with pytest.raises(ValueError) as caught:
        ConcurrencyLimitMiddleware(FastAPI(), **options)
    assert str(caught.value) == message
