"""Channels across real uvicorn worker processes sharing one Redis: a message published through one worker
reaches WebSocket and SSE clients of another, an SSE client resumes on the other worker with Last-Event-ID,
Redis can be killed and restarted under them, and nothing (connections, tasks) is left when they stop."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from channels_support import APP_SOURCE, TIMEOUT
from process_support import ServerProcess, start_uvicorn
from redis_support import RedisServer
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

pytestmark = pytest.mark.redis


@contextmanager
def two_workers(tmp_path: Path, redis_url: str, **env: str) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Workers A and B of the same app, started together, stopped gracefully (SIGTERM) at the end."""
    child_env = {"CHANNELS_REDIS_URL": redis_url, **env}
    servers = [start_uvicorn(APP_SOURCE, tmp_path, name=f"worker_{n}", env=child_env) for n in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        yield servers[0], servers[1]
    finally:
        for server in servers:
            server.stop()


def stats(server: ServerProcess) -> dict[str, int]:
    result: dict[str, int] = httpx.get(f"{server.url}/stats", timeout=TIMEOUT).json()
    return result


def wait_for(server: ServerProcess, subscribers: int) -> None:
    deadline = time.monotonic() + TIMEOUT
    while stats(server)["subscribers"] != subscribers:
        assert time.monotonic() < deadline, f"{server.url} never had {subscribers} subscribers"
        time.sleep(0.02)


def publish(server: ServerProcess, channel: str, data: Any) -> httpx.Response:
    return httpx.post(f"{server.url}/publish/{channel}", json=data, timeout=TIMEOUT)


def websocket(server: ServerProcess, path: str) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}{path}", open_timeout=TIMEOUT)


class SSEClient:
    """An SSE connection read event by event (httpx streaming), with the Last-Event-ID it was opened with."""

    def __init__(self, stack: ExitStack, server: ServerProcess, channel: str, last_event_id: str | None = None):
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        client = stack.enter_context(httpx.Client(timeout=TIMEOUT))
        self.response = stack.enter_context(client.stream("GET", f"{server.url}/events/{channel}", headers=headers))
        assert self.response.status_code == 200, self.response.read()
        self.lines = self.response.iter_lines()

    def next_event(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for line in self.lines:
            if not line:
                if fields:
                    return fields
                continue
            if not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        raise AssertionError("the stream ended")


def test_a_message_published_on_one_worker_reaches_clients_of_the_other(tmp_path: Path, redis_url: str) -> None:
    """POST to worker A; a WebSocket client and an SSE client connected to worker B both receive it."""
    with two_workers(tmp_path, redis_url) as (a, b), ExitStack() as stack:
        ws = stack.enter_context(websocket(b, "/ws/lobby"))
        sse = SSEClient(stack, b, "lobby")
        wait_for(b, 2)
        response = publish(a, "lobby", {"text": "hello from A"})
        assert response.status_code == 200
        message_id = response.json()["id"]
        assert json.loads(ws.recv(timeout=TIMEOUT)) == {
            "channel": "lobby", "id": message_id, "data": {"text": "hello from A"},
        }  # fmt: skip
        assert sse.next_event() == {"data": '{"text":"hello from A"}', "id": message_id}
        ws.send("and hello from B")  # published by worker B, seen by its own subscribers too
        echoed = json.loads(ws.recv(timeout=TIMEOUT))
        assert echoed["data"] == {"echo": "and hello from B"}
        assert sse.next_event()["id"] == echoed["id"]


def test_sse_reconnecting_to_the_other_worker_replays_exactly_what_it_missed(tmp_path: Path, redis_url: str) -> None:
    """An SSE client reads two events from worker A, leaves, and reconnects to worker B with Last-Event-ID:
    it gets the three messages published meanwhile, in order and once each, then live ones."""
    with two_workers(tmp_path, redis_url) as (a, b):
        with ExitStack() as stack:
            first = SSEClient(stack, a, "feed")
            wait_for(a, 1)
            seen = [publish(a, "feed", n).json()["id"] for n in range(2)]
            assert [first.next_event()["id"] for _ in range(2)] == seen
        wait_for(a, 0)
        missed = [publish(b if n % 2 else a, "feed", 10 + n).json()["id"] for n in range(3)]
        with ExitStack() as stack:
            resumed = SSEClient(stack, b, "feed", last_event_id=seen[-1])
            replayed = [resumed.next_event() for _ in range(3)]
            assert [event["id"] for event in replayed] == missed
            assert [event["data"] for event in replayed] == ["10", "11", "12"]
            live = publish(a, "feed", "live").json()["id"]
            assert resumed.next_event() == {"data": '"live"', "id": live}


def test_subscribers_on_workers_survive_a_redis_restart(tmp_path: Path, own_redis_server: RedisServer) -> None:
    """Redis is killed under two workers: publishing answers a JSON 503, subscribers stay connected, and once
    Redis is restarted messages flow again from worker A to clients of worker B, with no restart."""
    with two_workers(tmp_path, own_redis_server.url) as (a, b), ExitStack() as stack:
        ws = stack.enter_context(websocket(b, "/ws/room"))
        sse = SSEClient(stack, b, "room")
        wait_for(b, 2)
        own_redis_server.kill()
        refused = publish(a, "room", "during")
        assert (refused.status_code, refused.json()) == (503, {"detail": "channels is temporarily unavailable"})
        assert refused.headers["retry-after"] == "1"
        own_redis_server.start()
        deadline = time.monotonic() + TIMEOUT
        while (response := publish(a, "room", "after")).status_code != 200:
            assert time.monotonic() < deadline, response.text
            time.sleep(0.05)
        message_id = response.json()["id"]
        assert json.loads(ws.recv(timeout=TIMEOUT))["id"] == message_id
        assert sse.next_event()["id"] == message_id
        assert stats(b)["subscribers"] == 2


def test_workers_close_websockets_with_1011_when_redis_stays_away(
    tmp_path: Path, own_redis_server: RedisServer
) -> None:
    """With resume_within=0.5, a worker closes its WebSockets with 1011 and ends its SSE streams when Redis
    stays down; after Redis is back, clients reconnect and receive messages again."""
    with two_workers(tmp_path, own_redis_server.url, CHANNELS_RESUME_WITHIN="0.5") as (a, b), ExitStack() as stack:
        ws = stack.enter_context(websocket(b, "/ws/room"))
        sse = SSEClient(stack, b, "room")
        wait_for(b, 2)
        own_redis_server.kill()
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=TIMEOUT)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1011
        with pytest.raises(AssertionError, match="the stream ended"):
            sse.next_event()
        own_redis_server.start()
        deadline = time.monotonic() + TIMEOUT
        while publish(a, "room", "warm-up").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        again = stack.enter_context(websocket(b, "/ws/room"))
        wait_for(b, 1)
        message_id = publish(a, "room", "back").json()["id"]
        assert json.loads(again.recv(timeout=TIMEOUT))["id"] == message_id


def test_nothing_is_left_behind_when_clients_leave_and_workers_stop(tmp_path: Path, redis_server: RedisServer) -> None:
    """Clients leaving end their subscriptions and tasks; stopped workers leave no Redis connection open."""
    probe = redis.Redis.from_url(redis_server.url)
    try:
        with two_workers(tmp_path, redis_server.url) as (a, b):
            baseline = {server.port: stats(server)["tasks"] for server in (a, b)}
            for _ in range(3):
                with ExitStack() as stack:
                    sockets = [stack.enter_context(websocket(server, "/ws/churn")) for server in (a, b)]
                    streams = [SSEClient(stack, server, "churn") for server in (a, b)]
                    wait_for(a, 2)
                    wait_for(b, 2)
                    message_id = publish(a, "churn", "x").json()["id"]
                    assert all(json.loads(ws.recv(timeout=TIMEOUT))["id"] == message_id for ws in sockets)
                    assert all(sse.next_event()["id"] == message_id for sse in streams)
            for server in (a, b):
                wait_for(server, 0)
                deadline = time.monotonic() + TIMEOUT
                while stats(server)["tasks"] > baseline[server.port]:
                    assert time.monotonic() < deadline, f"tasks left on {server.url}: {stats(server)}"
                    time.sleep(0.05)
            assert len(probe.client_list()) > 1  # the workers' pools are open while they serve
        for server in (a, b):
            # NOTE: uvicorn re-raises the SIGTERM it handled once shutdown is complete; -9 would mean it hung
            assert server.process.returncode in (0, -signal.SIGTERM), server.output()
            assert "Traceback" not in server.output(), server.output()
        assert [client["name"] for client in probe.client_list()] == [""]  # only the probe itself
    finally:
        probe.close()
