"""Channels plugged into endpoints, in-process: WebSocket relays and SSE streams with Last-Event-ID replay,
on both backends; what a client sees when it is too slow or asks for something invalid; clean-up on leave."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest
from channels_support import BackendFactory, load_app_module, other_tasks, serving, sse_events, wait_until

from vivace.channels import Channels
from vivace.testclient import TestClient
from vivace.websockets import WebSocketDisconnect


def app_with(channels: Channels) -> Any:
    return load_app_module()["build_app"](channels)


def served(app: Any, scenario: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        async with serving(app):
            await scenario()

    anyio.run(main)


def wait_for_subscribers(client: TestClient, count: int) -> None:
    anyio.run(wait_until, lambda: client.get("/stats").json()["subscribers"] == count)


def test_websocket_clients_receive_published_messages_and_publish_back(make_backend: BackendFactory) -> None:
    """A message posted over HTTP reaches every WebSocket of the channel as an envelope; what a client sends is
    published (by the endpoint's on_receive) to all of them."""
    with TestClient(app_with(Channels(make_backend()))) as client:
        with client.websocket_connect("/ws/lobby") as ada, client.websocket_connect("/ws/lobby") as bob:
            wait_for_subscribers(client, 2)
            message_id = client.post("/publish/lobby", json={"text": "hello"}).json()["id"]
            expected = {"channel": "lobby", "id": message_id, "data": {"text": "hello"}}
            assert ada.receive_json() == expected
            assert bob.receive_json() == expected
            ada.send_text("hi from ada")
            assert bob.receive_json()["data"] == {"echo": "hi from ada"}
            assert ada.receive_json()["data"] == {"echo": "hi from ada"}
        wait_for_subscribers(client, 0)


def test_websocket_bytes_are_binary_frames(make_backend: BackendFactory) -> None:
    """A bytes message is sent to a WebSocket as one binary frame with the published bytes."""
    channels = Channels(make_backend())
    app = app_with(channels)

    @app.post("/blob/{channel}")
    async def blob(channel: str) -> None:
        await channels.publish(channel, b"\x01\x02")

    with TestClient(app) as client, client.websocket_connect("/ws/files") as websocket:
        wait_for_subscribers(client, 1)
        client.post("/blob/files")
        assert websocket.receive_bytes() == b"\x01\x02"


def test_websocket_resumes_from_last_id(make_backend: BackendFactory) -> None:
    """A WebSocket that connects with ?last_id= first receives the messages it missed, in order."""
    with TestClient(app_with(Channels(make_backend()))) as client:
        published = client.post("/burst/news", params={"count": 5}).json()
        with client.websocket_connect(f"/ws/news?last_id={published[1]}") as websocket:
            assert [websocket.receive_json()["id"] for _ in range(3)] == published[2:]


def test_too_slow_websocket_is_closed_with_1008() -> None:
    """Under the disconnect policy a WebSocket whose queue fills up is closed with 1008 (policy violation)."""
    with TestClient(app_with(Channels())) as client:
        with client.websocket_connect("/ws/fast?queue_size=2&overflow=disconnect") as websocket:
            wait_for_subscribers(client, 1)
            client.post("/burst/fast", params={"count": 10})  # the memory backend delivers within the call
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    websocket.receive_json()
            assert closed.value.code == 1008
        wait_for_subscribers(client, 0)


def test_invalid_last_id_closes_the_websocket_with_1008(make_backend: BackendFactory) -> None:
    """A WebSocket asking to resume from a malformed id is closed with 1008 and a reason."""
    with TestClient(app_with(Channels(make_backend()))) as client, client.websocket_connect("/ws/x?last_id=nope") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert (closed.value.code, closed.value.reason) == (1008, "invalid channel name or message id")
        assert client.get("/stats").json()["subscribers"] == 0


def test_sse_events_carry_message_ids_and_replay_after_last_event_id(make_backend: BackendFactory) -> None:
    """Each SSE event's id is its message id; reconnecting with Last-Event-ID gets exactly the missed events
    and then live ones."""
    channels = Channels(make_backend())
    app = app_with(channels)

    async def scenario() -> None:
        published = [await channels.publish("feed", {"n": n}) for n in range(6)]
        events = await sse_events(app, "/events/feed", count=4, last_event_id=published[1])
        assert events == [{"data": f'{{"n":{n}}}', "id": published[n]} for n in range(2, 6)]
        async with anyio.create_task_group() as group:
            live: list[dict[str, str]] = []

            async def listen() -> None:
                live.extend(await sse_events(app, "/events/feed", count=2, last_event_id=published[-1]))

            group.start_soon(listen)
            await wait_until(lambda: channels.subscriber_count() == 1)
            later = [await channels.publish("feed", "later"), await channels.publish("feed", "last")]
        assert [event["id"] for event in live] == later

    served(app, scenario)


def test_sse_gap_event_when_history_is_gone(make_backend: BackendFactory) -> None:
    """A Last-Event-ID older than the retained history gets a `gap` event (no id) before what is retained."""
    channels = Channels(make_backend(history=3))
    app = app_with(channels)

    async def scenario() -> None:
        published = [await channels.publish("short", n) for n in range(6)]
        gap, *rest = await sse_events(app, "/events/short", count=4, last_event_id=published[0])
        assert gap["event"] == "gap" and "id" not in gap
        assert json.loads(gap["data"])["reason"] == "history"
        assert [event["id"] for event in rest] == published[3:]

    served(app, scenario)


def test_sse_with_a_malformed_last_event_id_is_a_400(make_backend: BackendFactory) -> None:
    """A Last-Event-ID that is not an id of the backend is refused with a JSON 400, before the stream starts."""
    app = app_with(Channels(make_backend()))

    async def scenario() -> None:
        [answer] = await sse_events(app, "/events/feed", count=1, last_event_id="not-an-id")
        assert answer["status"] == "400"
        assert json.loads(answer["body"]) == {"detail": "Invalid message id: 'not-an-id'"}

    served(app, scenario)


def test_sse_client_leaving_ends_its_subscription_and_tasks(make_backend: BackendFactory) -> None:
    """When SSE clients go away their subscriptions end and no task is left behind, even at shutdown."""
    channels = Channels(make_backend())
    app = app_with(channels)

    async def main() -> None:
        before = other_tasks()
        async with serving(app):
            during = other_tasks()
            published = [await channels.publish("bye", n) for n in range(3)]
            for _ in range(5):
                await sse_events(app, "/events/bye", count=2, last_event_id=published[0])
            assert channels.subscriber_count() == 0
            assert other_tasks() == during
        assert other_tasks() == before

    anyio.run(main)
