"""Server-Sent Events from generator endpoints, side by side with FastAPI: the bytes of every kind of item, and
what the server sees when the generator raises or the client leaves (before and from ASGI 2.4)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import pytest
from pydantic import BaseModel
from starlette.requests import ClientDisconnect


class Point(BaseModel):
    x: int
    label: str = "p"


def build_mixed_items(fw: Any) -> Any:
    sse = importlib.import_module(f"{fw.name}.sse")
    app = fw.FastAPI()

    @app.get("/typed", response_class=sse.EventSourceResponse)
    async def typed() -> AsyncIterator[Point]:
        for x in range(3):
            yield Point(x=x, label="line\nbreak\r\nand\rreturn")

    @app.get("/untyped", response_class=sse.EventSourceResponse)
    async def untyped() -> AsyncIterator[Any]:
        yield "two\nlines"
        yield {"nan": float("nan"), "text": "é ü \u2028"}
        yield [1, 2.5, None]
        yield sse.ServerSentEvent(raw_data="raw\nlines\r\nhere", event="e", id="7", retry=10, comment="a\nb")
        yield sse.ServerSentEvent(data=Point(x=1), comment="c")
        yield sse.ServerSentEvent(comment="only a comment")

    @app.get("/sync", response_class=sse.EventSourceResponse)
    def sync() -> Iterator[Point]:
        yield Point(x=1)
        yield Point(x=2)

    return app


@pytest.mark.parametrize("req", ["GET /typed", "GET /untyped", "GET /sync"])
def test_event_bytes_match_fastapi(same: Any, req: str) -> None:
    """Typed, untyped and ServerSentEvent items (line breaks inside included) are sent as the same bytes."""
    same(build_mixed_items, req)


def _scope(spec_version: str) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": spec_version}, "http_version": "1.1",
        "method": "GET", "scheme": "http", "path": "/events", "raw_path": b"/events", "root_path": "",
        "query_string": b"", "headers": [(b"host", b"test")], "client": ("c", 1), "server": ("s", 80),
    }  # fmt: skip


def _build(fw: Any, events: list[str], *, fail_after: int | None) -> Any:
    sse = importlib.import_module(f"{fw.name}.sse")
    app = fw.FastAPI()

    async def resource() -> AsyncIterator[None]:
        try:
            yield
        except BaseException as exc:
            events.append(f"dependency saw {type(exc).__name__}")
            raise
        finally:
            events.append("dependency exited")

    @app.get("/events", response_class=sse.EventSourceResponse)
    async def stream(_: None = fw.Depends(resource)) -> AsyncIterator[int]:
        try:
            n = 0
            while True:
                if n == fail_after:
                    raise RuntimeError("generator failed")
                yield n
                n += 1
                await anyio.sleep(0)
        finally:
            events.append("generator closed")

    return app


async def _serve(app: Any, spec_version: str, *, leave_after: int) -> tuple[list[bytes], BaseException | None]:
    """Run the app as a server would; after `leave_after` events the client is gone (a disconnect message before
    ASGI 2.4, an OSError from `send` from 2.4)."""
    bodies: list[bytes] = []
    gone = anyio.Event()
    requested = False

    async def receive() -> dict[str, Any]:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if gone.is_set() and spec_version == "2.4":
            raise OSError("connection lost")
        if message["type"] == "http.response.body" and message.get("body"):
            bodies.append(message["body"])
            if len(bodies) >= leave_after:
                gone.set()

    with anyio.fail_after(10):
        try:
            await app(_scope(spec_version), receive, send)
        except BaseException as exc:  # compared across frameworks
            return bodies, exc
    return bodies, None


def test_leaving_before_asgi_2_4_ends_the_stream_quietly(fw: Any) -> None:
    """A disconnect message stops the stream: the app returns, the generator and the dependency are closed."""
    events: list[str] = []
    bodies, raised = anyio.run(lambda: _serve(_build(fw, events, fail_after=None), "2.3", leave_after=3))
    assert raised is None
    assert bodies[:3] == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert sorted(events) == ["dependency exited", "generator closed"]


def test_leaving_from_asgi_2_4_is_a_client_disconnect(fw: Any) -> None:
    """An OSError from `send` becomes ClientDisconnect, raised in a task group's exception group; the generator is
    closed and the dependency sees the group."""
    events: list[str] = []
    bodies, raised = anyio.run(lambda: _serve(_build(fw, events, fail_after=None), "2.4", leave_after=3))
    assert isinstance(raised, BaseExceptionGroup)
    assert [type(exc) for exc in raised.exceptions] == [ClientDisconnect]
    assert bodies == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"]
    assert sorted(events) == ["dependency exited", "dependency saw ExceptionGroup", "generator closed"]


def test_generator_error_reaches_the_server_in_an_exception_group(fw: Any) -> None:
    """An exception from the generator ends the stream without a final chunk and is raised in an exception group,
    after the generator's `finally`; the dependency sees the group."""
    events: list[str] = []
    bodies, raised = anyio.run(lambda: _serve(_build(fw, events, fail_after=1), "2.3", leave_after=100))
    assert isinstance(raised, BaseExceptionGroup)
    assert [str(exc) for exc in raised.exceptions] == ["generator failed"]
    assert bodies == [b"data: 0\n\n"]
    assert events == ["generator closed", "dependency saw ExceptionGroup", "dependency exited"]
