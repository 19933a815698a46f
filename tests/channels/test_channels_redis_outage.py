"""Redis going away and coming back under a running application: startup refuses to start without it,
publishing answers a JSON 503, subscribers wait and resume (or are closed with 1011 after `resume_within`),
and everything works again once Redis is back, without a restart."""

from __future__ import annotations

import time
from typing import Any

import pytest
from channels_support import TIMEOUT, load_app_module
from redis_support import RedisServer

from vivace.channels import Channels
from vivace.channels.redis import RedisChannelBackend
from vivace.testclient import TestClient
from vivace.websockets import WebSocketDisconnect

pytestmark = pytest.mark.redis


def app_for(server: RedisServer, **options: Any) -> Any:
    backend = RedisChannelBackend(server.url, block=0.5, **options)
    return load_app_module()["build_app"](Channels(backend))


def publish_until_accepted(client: TestClient, channel: str, data: Any) -> str:
    """POST until the app answers 200 again (Redis restarted); bounded by TIMEOUT."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        response = client.post(f"/publish/{channel}", json=data)
        if response.status_code == 200 or time.monotonic() > deadline:
            assert response.status_code == 200, response.text
            message_id: str = response.json()["id"]
            return message_id
        time.sleep(0.05)


def test_startup_fails_clearly_when_redis_is_down(own_redis_server: RedisServer) -> None:
    """With Redis unreachable at startup, the application does not start and says why."""
    own_redis_server.kill()
    client = TestClient(app_for(own_redis_server))
    with pytest.raises(RuntimeError, match=rf"channels: cannot reach Redis at {own_redis_server.url}"):
        client.__enter__()


def test_publishing_without_redis_answers_503_then_recovers(own_redis_server: RedisServer) -> None:
    """While Redis is down a publish gets 503 with a JSON detail and Retry-After; afterwards it works again."""
    with TestClient(app_for(own_redis_server)) as client:
        assert client.post("/publish/news", json=1).status_code == 200
        own_redis_server.kill()
        response = client.post("/publish/news", json=2)
        assert response.status_code == 503
        assert response.json() == {"detail": "channels is temporarily unavailable"}
        assert response.headers["retry-after"] == "1"
        own_redis_server.start()
        publish_until_accepted(client, "news", 3)


def test_subscribers_resume_after_a_short_outage(own_redis_server: RedisServer) -> None:
    """A WebSocket stays open through a Redis restart and receives what is published once it is back."""
    with TestClient(app_for(own_redis_server, resume_within=30)) as client, client.websocket_connect("/ws/room") as ws:
        first = publish_until_accepted(client, "room", "before")
        assert ws.receive_json()["id"] == first
        own_redis_server.kill()
        assert client.post("/publish/room", json="lost").status_code == 503
        own_redis_server.start()
        after = publish_until_accepted(client, "room", "after")
        received = ws.receive_json()
        assert (received["id"], received["data"]) == (after, "after")
        assert client.get("/stats").json()["subscribers"] == 1


def test_subscribers_are_closed_with_1011_after_resume_within(own_redis_server: RedisServer) -> None:
    """When Redis stays away longer than resume_within, WebSockets are closed with 1011; new ones work as
    soon as Redis is back."""
    with TestClient(app_for(own_redis_server, resume_within=0.2)) as client:
        with client.websocket_connect("/ws/room") as websocket:
            own_redis_server.kill()
            with pytest.raises(WebSocketDisconnect) as closed:
                websocket.receive_json()
            assert (closed.value.code, closed.value.reason) == (1011, "channels unavailable")
        assert client.get("/stats").json()["subscribers"] == 0
        with client.websocket_connect("/ws/room") as websocket:
            with pytest.raises(WebSocketDisconnect) as refused:
                websocket.receive_json()  # subscribing needs Redis while it is still down
            assert refused.value.code == 1011
        own_redis_server.start()
        publish_until_accepted(client, "room", "warm-up")
        with client.websocket_connect("/ws/room") as websocket:
            deadline = time.monotonic() + TIMEOUT
            while client.get("/stats").json()["subscribers"] != 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            message_id = publish_until_accepted(client, "room", "back")
            assert websocket.receive_json()["id"] == message_id
