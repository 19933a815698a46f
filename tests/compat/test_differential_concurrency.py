"""`Depends(max_concurrency=N)` and client disconnects behave alike on vivace and FastAPI."""

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Annotated, Any

import anyio
import httpx
import pytest

LIMIT = 2
REQUESTS = 6


class Gauge:
    """How many holders are inside at once, and the most there ever were."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0

    def enter(self) -> None:
        self.now += 1
        self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        self.now -= 1

    def hold_for(self, seconds: float) -> Callable[[], Awaitable[str]]:
        """An async dependency that stays inside the gauge for `seconds`."""

        async def limited() -> str:
            self.enter()
            await anyio.sleep(seconds)
            self.leave()
            return "ok"

        return limited


async def hammer(app: Any, path: str) -> list[int]:
    """Send REQUESTS concurrent GETs through the ASGI interface and return their statuses."""
    statuses: list[int] = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

        async def one() -> None:
            statuses.append((await client.get(path)).status_code)

        async with anyio.create_task_group() as group:
            for _ in range(REQUESTS):
                group.start_soon(one)
    return statuses


def test_max_concurrency_caps_a_dependency(fw: Any) -> None:
    """At most N executions of a limited dependency run at once; the others wait and then succeed."""
    gauge = Gauge()
    app = fw.FastAPI()
    limited = gauge.hold_for(0.02)

    @app.get("/limited")
    async def endpoint(value: Annotated[str, fw.Depends(limited, max_concurrency=LIMIT)]) -> str:
        return value

    assert anyio.run(hammer, app, "/limited") == [200] * REQUESTS
    assert gauge.peak == LIMIT


def test_max_concurrency_holds_a_yield_dependency_until_its_exit(fw: Any) -> None:
    """A limited yield dependency counts as running until its exit code has finished."""
    gauge = Gauge()
    app = fw.FastAPI()

    async def session() -> AsyncIterator[str]:
        gauge.enter()
        yield "session"
        await anyio.sleep(0.02)
        gauge.leave()

    @app.get("/session")
    async def endpoint(value: Annotated[str, fw.Depends(session, max_concurrency=LIMIT)]) -> str:
        return value

    assert anyio.run(hammer, app, "/session") == [200] * REQUESTS
    assert gauge.peak == LIMIT


def test_max_concurrency_rejects_non_positive(fw: Any) -> None:
    """A limit below 1 is a programming error reported when the dependency is declared."""
    with pytest.raises(ValueError, match="max_concurrency"):
        fw.Depends(lambda: None, max_concurrency=0)


async def stream_until_disconnect(app: Any, path: str) -> int:
    """Call the app as a server would, with a client that goes away after the first body chunk."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }
    chunks = 0
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal chunks
        if message["type"] == "http.response.body" and message.get("body"):
            chunks += 1
            if chunks > 1:
                gone.set()
                raise OSError("client disconnected")  # NOTE: what servers raise when writing to a closed socket

    with pytest.raises(OSError, match="client disconnected"):
        await app(scope, receive, send)
    return chunks


def test_client_disconnect_runs_every_exit(fw: Any) -> None:
    """When the client leaves mid-stream, the exit code of every yield dependency still runs, innermost first."""
    events: list[str] = []
    app = fw.FastAPI()

    def outer() -> Iterator[str]:
        try:
            yield "outer"
        finally:
            events.append("outer exit")

    async def inner(up: Annotated[str, fw.Depends(outer)]) -> AsyncIterator[str]:
        try:
            yield "inner"
        finally:
            events.append("inner exit")

    @app.get("/stream")
    async def endpoint(value: Annotated[str, fw.Depends(inner)]) -> Any:
        async def body() -> AsyncIterator[bytes]:
            for number in range(1000):
                yield f"{value} {number}\n".encode()
                await anyio.sleep(0)

        return fw.responses.StreamingResponse(body())

    assert anyio.run(stream_until_disconnect, app, "/stream") == 2
    assert events == ["inner exit", "outer exit"]


def test_max_concurrency_is_shared_by_every_use_of_one_declaration(fw: Any) -> None:
    """One `Depends(..., max_concurrency=N)` declaration used by two routes limits both together."""
    gauge = Gauge()
    app = fw.FastAPI()
    limited = gauge.hold_for(0.02)

    shared = fw.Depends(limited, max_concurrency=1)

    @app.get("/one")
    async def one(value: Annotated[str, shared]) -> str:
        return value

    @app.get("/two")
    async def two(value: Annotated[str, shared]) -> str:
        return value

    async def both() -> list[int]:
        async with anyio.create_task_group() as group:
            results: list[list[int]] = []

            async def run(path: str) -> None:
                results.append(await hammer(app, path))

            group.start_soon(run, "/one")
            group.start_soon(run, "/two")
        return [status for statuses in results for status in statuses]

    assert anyio.run(both) == [200] * (2 * REQUESTS)
    assert gauge.peak == 1
