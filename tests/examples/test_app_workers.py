"""The example app as two real uvicorn workers sharing one Redis (VIVACE_EXAMPLE_REDIS_URL) and one database:
the live feed, the login limits and the cached notes list behave as one application across both, and Redis
can be lost and come back under a running app."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from app_support import BOB, DEMO, SECRET_KEY, copy_db, make_template_db, rename_behind_the_apps_back, serve
from process_support import ServerProcess, start_uvicorn
from redis_support import RedisServer, skip_or_fail_without_redis

from examples.schemas import ChangeOut
from examples.settings import Settings
from vivace.testclient import TestClient

pytestmark = pytest.mark.redis

TIMEOUT = 30.0  # generous: the machine may be loaded
SOURCE = "from examples.app import app\n"


class Cluster:
    """Workers A and B of the example app, one Redis, and a Redis client that watches it."""

    def __init__(self, a: ServerProcess, b: ServerProcess, redis_server: RedisServer, db: Path) -> None:
        self.a, self.b = a, b
        self.db = db
        self.redis = redis_server
        self.probe = redis.Redis.from_url(redis_server.url)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Two workers started on a prepared database; at the end they stop gracefully and leave nothing open."""
    redis_server = RedisServer(skip_or_fail_without_redis(), tmp_path_factory.mktemp("redis"))
    redis_server.start()
    directory = tmp_path_factory.mktemp("workers")
    db = copy_db(make_template_db(tmp_path_factory.mktemp("template") / "example.db"), directory)
    env = {
        "VIVACE_EXAMPLE_DB": str(db),
        "VIVACE_EXAMPLE_SECRET_KEY": SECRET_KEY,  # NOTE: both workers must accept each other's tokens
        "VIVACE_EXAMPLE_REDIS_URL": redis_server.url,
    }
    servers = [start_uvicorn(SOURCE, directory, name=f"worker_{name}", env=env) for name in "ab"]
    try:
        for server in servers:
            server.wait_ready()
        cluster = Cluster(servers[0], servers[1], redis_server, db)
        yield cluster
        for server in servers:
            server.stop()
            # NOTE: uvicorn re-raises the SIGTERM it handled once shutdown is complete; -9 would mean it hung
            assert server.process.returncode in (0, -signal.SIGTERM), server.output()
            assert "Traceback" not in server.output(), server.output()
        assert [client["name"] for client in cluster.probe.client_list()] == [""]  # the probe's own only
        cluster.probe.close()
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


class EventStream:
    """GET /changes/stream on one worker, read event by event."""

    def __init__(self, stack: ExitStack, server: ServerProcess, headers: dict[str, str]) -> None:
        client = stack.enter_context(httpx.Client(timeout=TIMEOUT))
        self.response = stack.enter_context(client.stream("GET", f"{server.url}/changes/stream", headers=headers))
        assert self.response.status_code == 200, self.response.read()
        self.lines = self.response.iter_lines()
        # NOTE: the first line is sent once the subscription is open: from here on, nothing is missed
        assert next(self.lines) == ": connected"

    def next_change(self) -> tuple[str, ChangeOut]:
        fields: dict[str, str] = {}
        for line in self.lines:
            if not line:
                if "data" in fields:
                    change = ChangeOut.model_validate_json(fields["data"])
                    assert fields["id"] == str(change.id)
                    return fields["event"], change
                fields = {}
            elif not line.startswith(":"):
                name, _, value = line.partition(": ")
                fields[name] = value
        raise AssertionError("the stream ended")


def post_note(server: ServerProcess, headers: dict[str, str], title: str) -> dict[str, Any]:
    response = httpx.post(f"{server.url}/notes", json={"title": title}, headers=headers, timeout=TIMEOUT)
    assert response.status_code == 201, response.text
    note: dict[str, Any] = response.json()
    return note


def test_a_change_made_through_one_worker_reaches_a_feed_on_the_other(cluster: Cluster) -> None:
    """A note created and changed through worker A arrives on an event stream of worker B; a client that
    reconnects to B with Last-Event-ID gets what was changed through A meanwhile, then live changes."""
    a, b = cluster.a, cluster.b
    with ExitStack() as stack:
        feed = EventStream(stack, b, BOB)
        note = post_note(a, BOB, "made on A")
        assert httpx.patch(f"{a.url}/notes/{note['id']}", json={"title": "changed on A"}, headers=BOB).is_success
        created, updated = feed.next_change(), feed.next_change()
    assert (created[0], created[1].note_id, created[1].title) == ("created", note["id"], "made on A")
    assert (updated[0], updated[1].title) == ("updated", "changed on A")
    for title in ["missed 1", "missed 2"]:
        httpx.patch(f"{a.url}/notes/{note['id']}", json={"title": title}, headers=BOB).raise_for_status()
    with ExitStack() as stack:
        resumed = EventStream(stack, b, BOB | {"Last-Event-ID": str(updated[1].id)})
        assert [resumed.next_change()[1].title for _ in range(2)] == ["missed 1", "missed 2"]
        httpx.delete(f"{a.url}/notes/{note['id']}", headers=BOB).raise_for_status()
        assert resumed.next_change()[0] == "deleted"


def test_the_login_limit_is_shared_by_the_workers(cluster: Cluster) -> None:
    """Eight simultaneous attempts for one username, spread over both workers, against a limit of five a
    minute: exactly five are let through to the password check, three are refused with 429."""
    attempts = [cluster.a.url if n % 2 else cluster.b.url for n in range(8)]

    def attempt(url: str) -> int:
        form = {"username": "bob", "password": "wrong-password"}
        return httpx.post(f"{url}/token", data=form, timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(attempt, attempts))
    assert statuses == [400] * 5 + [429] * 3


def test_a_list_cached_by_one_worker_is_a_304_on_the_other(cluster: Cluster) -> None:
    """The list worker A computed is answered by worker B from Redis (304 for its ETag, or the same bytes) even
    though the database changed behind the app's back; a note created through B drops the list for A too."""
    a, b = cluster.a, cluster.b
    first = httpx.get(f"{a.url}/notes", headers=DEMO, timeout=TIMEOUT)
    etag = first.headers["etag"]
    # NOTE: the same body has the same ETag on any worker: only an answer B did not compute proves sharing
    rename_behind_the_apps_back(cluster.db, first.json()["items"][0]["id"], "renamed in the database")
    on_b = httpx.get(f"{b.url}/notes", headers=DEMO | {"If-None-Match": etag}, timeout=TIMEOUT)
    assert (on_b.status_code, on_b.content, on_b.headers["etag"]) == (304, b"", etag)
    full = httpx.get(f"{b.url}/notes", headers=DEMO, timeout=TIMEOUT)
    assert (full.status_code, full.content) == (200, first.content)
    post_note(b, DEMO, "made on B")
    fresh = httpx.get(f"{a.url}/notes", headers=DEMO | {"If-None-Match": etag}, timeout=TIMEOUT)
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != etag
    assert [item["title"] for item in fresh.json()["items"][:2]] == ["made on B", "renamed in the database"]


def test_losing_redis_degrades_the_app_and_it_recovers(
    own_redis_server: RedisServer, tmp_path: Path, template_db: Path
) -> None:
    """With Redis gone, logins are let through unchecked (fail-open), lists are served uncached, writes still
    succeed, and the live feed answers a JSON 503; once Redis is back, everything works again, no restart."""
    settings = Settings(db=copy_db(template_db, tmp_path), secret_key=SECRET_KEY, redis_url=own_redis_server.url)
    with serve(settings) as client:
        etag = client.get("/notes", headers=DEMO).headers["etag"]
        own_redis_server.kill()
        assert client.post("/token", data={"username": "demo", "password": "wrong"}).status_code == 400
        uncached = client.get("/notes", headers=DEMO | {"If-None-Match": etag})
        assert (uncached.status_code, "etag" in uncached.headers) == (200, False)
        assert client.post("/notes", json={"title": "during the outage"}, headers=DEMO).status_code == 201
        refused = client.get("/changes/stream", headers=DEMO)
        assert (refused.status_code, refused.json()) == (503, {"detail": "channels is temporarily unavailable"})
        own_redis_server.start()
        with client.stream("GET", "/changes/stream", headers=DEMO) as stream:
            assert stream.status_code == 200
        cached = _eventually_cached(client)
        assert cached.json()["items"][0]["title"] == "during the outage"
        assert client.get("/notes", headers=DEMO | {"If-None-Match": cached.headers["etag"]}).status_code == 304


def _eventually_cached(client: TestClient) -> httpx.Response:
    """A list answered through the cache again (it tries the store again after a short backoff)."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        response = client.get("/notes", headers=DEMO)
        if "etag" in response.headers:
            return response
        time.sleep(0.05)
    raise AssertionError("the cache never came back")
