"""Tests of the "beyond" benchmark suite (bench/beyond.py): its app, its fan-out client, its table.

Like test_harness.py, these check the harness, not vivace's speed.
"""

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH_DIR) not in sys.path:
    sys.path.insert(0, str(BENCH_DIR))

import beyond  # noqa: E402 (needs the sys.path entry above)
import fanout_client  # noqa: E402
import run  # noqa: E402
from serve import load_module  # noqa: E402

from vivace.testclient import TestClient  # noqa: E402


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    """bench/beyond_app.py without Redis (BENCH_REDIS_URL unset), started."""
    assert "BENCH_REDIS_URL" not in os.environ
    app = load_module(BENCH_DIR / "beyond_app.py", "bench_beyond_app").app
    with TestClient(app) as test_client:
        yield test_client


def test_app_routes_answer_as_the_cases_expect(client: TestClient) -> None:
    """The limited route answers like the plain one plus RateLimit headers; the cached route like the uncached
    one, with an ETag that a second request turns into a 304; the Redis routes are absent without Redis."""
    plain, limited = client.get("/plain"), client.get("/limited/memory")
    assert limited.json() == plain.json() == {"message": "Hello World"}
    assert limited.headers["ratelimit-policy"] == '"default";q=1000000;w=1'
    uncached, cached = client.get("/models"), client.get("/cached/memory")
    assert cached.content == uncached.content and len(cached.json()) == 100
    assert client.get("/cached/memory", headers={"If-None-Match": cached.headers["etag"]}).status_code == 304
    assert client.get("/limited/redis").status_code == client.get("/cached/redis").status_code == 404


def test_app_publishes_a_burst_to_its_subscribers(client: TestClient) -> None:
    """POST /publish/memory?count=N sends N messages to the channel the feed subscribes to."""
    assert client.get("/subscribers/memory").json() == {"subscribers": 0}
    assert client.post("/publish/memory", params={"count": 3}).json() == {"published": 3}
    assert client.post("/publish/memory", params={"count": 0}).status_code == 422


def test_http_cases_have_baselines_and_the_issue_targets() -> None:
    """Every compared case names a measured baseline; the memory limiter and the 304s carry the issue's goals."""
    names = {case.name for case in beyond.CASES}
    assert all(case.baseline in names for case in beyond.CASES if case.baseline is not None)
    targets = {case.name: case.target for case in beyond.CASES if case.target is not None}
    assert targets == {"ratelimit-memory": 0.90, "cache-memory-304": 1.5, "cache-redis-304": 1.5}


def test_table_rows_ratios_targets_and_failures() -> None:
    """Ratios are against the baseline's best round; a target is met or not; a failed case shows n/a."""
    outcomes = {case.name: beyond.Outcome() for case in beyond.CASES}
    outcomes["plain"].rates = [900.0, 1000.0]
    outcomes["ratelimit-memory"].rates = [880.0]
    outcomes["uncached"].rates = [100.0]
    outcomes["cache-memory-304"].rates = [140.0]
    outcomes["cache-redis-304"].error = "no redis-server"
    rows = {row[0].split(":")[0]: row for row in beyond.table_rows(outcomes)[1:]}
    assert rows["ratelimit-memory"][1:] == ["880", "req/s", "plain", "0.88x", ">= 0.90x", "**no**"]
    assert rows["cache-memory-304"][4:] == ["1.40x", ">= 1.50x", "**no**"]
    assert rows["cache-redis-304"][1] == "n/a" and rows["cache-redis-304"][-1] == ""
    assert beyond.notes(outcomes) == ["cache-redis-304: no redis-server"]


def test_beyond_is_a_suite_of_run() -> None:
    """`make bench` runs it with the others; `--suites beyond` alone runs only it."""
    assert "beyond" in run.SUITES
    assert run.parse_config(["--suites", "beyond"]).suites == ("beyond",)


def test_fanout_client_counts_data_lines_once_across_reads() -> None:
    """Deliveries are counted from the response head on, whatever the reads split; pings are not counted, and
    nothing is counted before the burst starts."""

    async def scenario() -> tuple[int, int]:
        tally = fanout_client.Tally(expected=3)
        stream = fanout_client.Stream(tally)
        head = b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n\r\n"
        stream.data_received(head + b"1a\r\ndata: {}\nid: 0\n\n\r\n")  # before counting starts: ignored
        tally.counting = True
        body = b"9\r\n: ping\n\n\r\n" + b"".join(b"1a\r\ndata: {}\nid: %d\n\n\r\n" % n for n in range(1, 4))
        for at in range(0, len(body), 5):
            stream.data_received(body[at : at + 5])
        assert await stream.answered
        return stream.events, tally.count

    assert asyncio.run(scenario()) == (3, 3)
