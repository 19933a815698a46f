"""The channels guide's sample (docs/examples/channels_chat.py): a chat room for WebSocket and SSE clients,
in one process (memory) and across two uvicorn workers sharing Redis."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from process_support import start_uvicorn
from samples import SAMPLES, load

from vivace.testclient import TestClient
from vivace.websockets import WebSocketDisconnect

TIMEOUT = 10.0


@pytest.fixture
def chat(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.delenv("REDIS_URL", raising=False)
    return load("channels_chat")


def wait_for_subscribers(module: Any, count: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while module.channels.subscriber_count() != count:
        assert time.monotonic() < deadline
        time.sleep(0.01)


async def sse_events(app: Any, path: str, last_event_id: str, count: int) -> list[dict[str, str]]:
    """Events of an SSE endpoint called in-process with a Last-Event-ID, until `count` arrived."""
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"last-event-id", last_event_id.encode())], "client": ("127.0.0.1", 1), "server": ("t", 80),
    }  # fmt: skip
    events: list[dict[str, str]] = []
    gone = anyio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            lines = message["body"].decode().strip().splitlines()
            events.append(dict(line.split(": ", 1) for line in lines))
            if len(events) == count:
                gone.set()

    with anyio.fail_after(TIMEOUT):
        await app(scope, receive, send)
    return events


def test_chat_over_websockets(chat: Any) -> None:
    """Posts reach the chat's WebSockets as envelopes; what a member types is posted under their name; the
    texts feed sends just the text; a WebSocket without a name is refused."""
    with TestClient(chat.app) as client:
        with client.websocket_connect("/rooms/lobby/chat?name=ada") as ada, client.websocket_connect(
            "/rooms/lobby/texts"
        ) as reader:  # fmt: skip
            wait_for_subscribers(chat, 2)
            posted = client.post("/rooms/lobby/posts", json={"author": "bob", "text": "hi all"})
            assert posted.status_code == 201
            message_id = posted.json()["id"]
            assert ada.receive_json() == {
                "channel": "room:lobby", "id": message_id, "data": {"author": "bob", "text": "hi all"},
            }  # fmt: skip
            assert reader.receive_json() == {"id": message_id, "text": "hi all"}
            ada.send_text("hello bob")
            assert ada.receive_json()["data"] == {"author": "ada", "text": "hello bob"}
            assert reader.receive_json()["text"] == "hello bob"
        wait_for_subscribers(chat, 0)
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/rooms/lobby/chat"):
            pass  # pragma: no cover - the connection is refused before the block
        assert closed.value.code == 1008


def test_sse_feed_replays_after_last_event_id(chat: Any) -> None:
    """The SSE feed resumes after the client's Last-Event-ID with the posts it missed, ids included."""
    with TestClient(chat.app) as client:
        posts = [client.post("/rooms/r/posts", json={"author": "ada", "text": text}) for text in ["one", "two", "3"]]
    ids = [post.json()["id"] for post in posts]
    events = anyio.run(sse_events, chat.app, "/rooms/r/events", ids[0], 2)
    assert [event["id"] for event in events] == ids[1:]
    assert json.loads(events[0]["data"]) == {"author": "ada", "text": "two"}
    answer = TestClient(chat.app).get("/rooms/r/events", headers={"Last-Event-ID": "x"})
    assert (answer.status_code, answer.json()) == (400, {"detail": "Invalid message id: 'x'"})


@pytest.mark.redis
def test_chat_across_two_workers(tmp_path: Path, redis_url: str) -> None:
    """Served by two uvicorn workers with REDIS_URL set, a post to one worker reaches an SSE client of the
    other, which also replays what it missed after its Last-Event-ID."""
    source = (SAMPLES / "channels_chat.py").read_text()
    servers = [start_uvicorn(source, tmp_path, name=f"chat_{n}", env={"REDIS_URL": redis_url}) for n in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        a, b = servers
        posts = [httpx.post(f"{a.url}/rooms/x/posts", json={"author": "ada", "text": str(n)}) for n in range(3)]
        ids = [post.json()["id"] for post in posts]
        received: list[str] = []
        headers = {"Last-Event-ID": ids[0]}
        with httpx.stream("GET", f"{b.url}/rooms/x/events", headers=headers, timeout=TIMEOUT) as stream:
            for line in stream.iter_lines():
                if line.startswith("id: "):
                    received.append(line.removeprefix("id: "))
                if line.startswith("id: ") and len(received) == 2:  # caught up: what comes next is live
                    live = httpx.post(f"{a.url}/rooms/x/posts", json={"author": "bob", "text": "live"})
                    ids.append(live.json()["id"])
                if len(received) == 3:
                    break
        assert received == ids[1:]
    finally:
        for server in servers:
            server.stop()
