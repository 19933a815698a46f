"""Helpers for the channels tests: collect items from a subscription, wait for a condition, both bounded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import anyio

from vivace.channels import ChannelBackend, Gap, Message, Subscription

BackendFactory = Callable[..., ChannelBackend]

Item = Message | Gap
TIMEOUT = 10.0  # generous: the machine is shared and loaded


async def take(subscription: Subscription, count: int, timeout: float = TIMEOUT) -> list[Item]:
    """The next `count` items of `subscription` (fails if they do not come in time)."""
    items: list[Item] = []
    with anyio.fail_after(timeout):
        async for item in subscription:
            items.append(item)
            if len(items) == count:
                break
    return items


async def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.005)


def ids(items: list[Item]) -> list[str]:
    return [item.id for item in items if isinstance(item, Message)]


def other_tasks() -> set[asyncio.Task[object]]:
    """The event loop's tasks besides the one asking."""
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]


# -- an application that uses channels, served in-process or by real uvicorn workers ---------------------

APP_SOURCE = """
import asyncio
import os
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from vivace import Body, Depends, FastAPI, Header, WebSocket
from vivace.channels import Channels, Subscription
from vivace.sse import EventSourceResponse, ServerSentEvent


def channels_from_env() -> Channels:
    url = os.environ.get("CHANNELS_REDIS_URL")
    if not url:
        return Channels()
    from vivace.channels.redis import RedisChannelBackend

    resume = os.environ.get("CHANNELS_RESUME_WITHIN", "30")
    backend = RedisChannelBackend(url, history=int(os.environ.get("CHANNELS_HISTORY", "1000")), approximate=False,
                                  resume_within=float(resume), block=0.5)
    return Channels(backend)


def build_app(channels: Channels) -> FastAPI:
    ChannelsDep = Annotated[Channels, Depends(channels.connect, scope="app")]
    app = FastAPI()

    @app.post("/publish/{channel}")
    async def publish(channel: str, channels: ChannelsDep, data: Annotated[Any, Body()] = None) -> dict[str, str]:
        return {"id": await channels.publish(channel, data)}

    @app.post("/burst/{channel}")
    async def burst(channel: str, count: int, channels: ChannelsDep) -> list[str]:
        return [await channels.publish(channel, {"n": n}) for n in range(count)]

    @app.websocket("/ws/{channel}")
    async def socket(websocket: WebSocket, channel: str, channels: ChannelsDep, last_id: str | None = None,
                     queue_size: int = 100, overflow: Literal["drop_oldest", "disconnect"] = "drop_oldest") -> None:
        async def echo(data: str | bytes) -> None:
            await channels.publish(channel, {"echo": data})

        await channels.relay(websocket, channel, on_receive=echo, last_id=last_id, queue_size=queue_size,
                             overflow=overflow)

    async def feed(channel: str, channels: ChannelsDep,
                   last_event_id: Annotated[str | None, Header()] = None) -> AsyncIterator[Subscription]:
        async with channels.subscribe(channel, last_id=last_event_id) as subscription:
            yield subscription

    @app.get("/events/{channel}", response_class=EventSourceResponse)
    async def events(subscription: Annotated[Subscription, Depends(feed)]) -> AsyncIterator[ServerSentEvent]:
        async for item in subscription:
            yield item.event()

    @app.get("/stats")
    async def stats(channels: ChannelsDep) -> dict[str, int]:
        return {"subscribers": channels.subscriber_count(), "tasks": len(asyncio.all_tasks())}

    return app


app = build_app(channels_from_env())
"""


def load_app_module() -> dict[str, Any]:
    """The namespace of APP_SOURCE, for building apps in-process with `build_app(channels)`."""
    namespace: dict[str, Any] = {"__name__": "channels_test_app"}
    exec(compile(APP_SOURCE, "<channels test app>", "exec", dont_inherit=True), namespace)
    return namespace


def parse_sse(body: bytes) -> list[dict[str, str]]:
    """The events of an SSE body, as dicts of their fields (comments dropped)."""
    events = []
    for block in body.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if fields:
            events.append(fields)
    return events


async def sse_events(app: Any, path: str, *, count: int, last_event_id: str | None = None) -> list[dict[str, str]]:
    """Call `app` as a server would for an SSE `path`, collect `count` events, then disconnect."""
    headers = [(b"accept", b"text/event-stream")]
    if last_event_id is not None:
        headers.append((b"last-event-id", last_event_id.encode()))
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "", "headers": headers,
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    body = b""
    status: list[int] = []
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        nonlocal body
        if message["type"] == "http.response.start":
            status.append(message["status"])
        if message["type"] == "http.response.body":
            body += message.get("body", b"")
            if len(parse_sse(body)) >= count or not message.get("more_body", False):
                gone.set()

    with anyio.fail_after(TIMEOUT):
        await app(scope, receive, send)
    events = parse_sse(body)
    if status != [200]:
        return [{"status": str(status[0]), "body": body.decode()}]
    return events


@asynccontextmanager
async def serving(app: Any) -> AsyncIterator[None]:
    """Run `app`'s lifespan around the block, as a server does (startup before, shutdown after)."""
    to_app: list[dict[str, Any]] = [{"type": "lifespan.startup"}]
    started, stopped, wanted = anyio.Event(), anyio.Event(), anyio.Event()
    failures: list[str] = []

    async def receive() -> dict[str, Any]:
        if not to_app:
            await wanted.wait()
            to_app.append({"type": "lifespan.shutdown"})
        return to_app.pop(0)

    async def send(message: dict[str, Any]) -> None:
        if message["type"].endswith(".failed"):
            failures.append(message.get("message", ""))
        (started if "startup" in message["type"] else stopped).set()

    async with anyio.create_task_group() as group:
        group.start_soon(app, {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
        with anyio.fail_after(TIMEOUT):
            await started.wait()
        if failures:
            raise RuntimeError(failures[0])
        try:
            yield
        finally:
            wanted.set()
            with anyio.fail_after(TIMEOUT):
                await stopped.wait()
