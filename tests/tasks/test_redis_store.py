"""The Redis task store against a real server: the same semantics as the memory store, atomically."""

from __future__ import annotations

import pytest
import redis

from vivace.tasks import DeadLetter
from vivace.tasks.redis import RedisTaskBackend

pytestmark = [pytest.mark.redis, pytest.mark.anyio]


async def test_keys_outcomes_attempts_and_dead_letters(redis_url: str) -> None:
    """reserve/release, completion, attempt counts and the bounded dead-letter list, with expiry set on each."""
    backend = RedisTaskBackend(redis_url, prefix="s", ttl=60, max_dead_letters=2)
    await backend.start(worker=False)
    try:
        store = backend.store
        assert await store.reserve("k", "t1") is None
        assert await store.reserve("k", "t2") == "t1"
        await store.release("k", "t2")  # not the holder: nothing happens
        assert await store.reserve("k", "t3") == "t1"
        await store.release("k", "t1")
        assert await store.reserve("k", "t3") is None
        assert await store.begin_attempt("k") == (1, 0)
        await store.fail_attempt("k")
        assert await store.begin_attempt("k") == (2, 1)
        assert await store.completion("k") == (False, None)
        await store.complete("k", {"value": [1, "a"]})
        assert await store.completion("k") == (True, {"value": [1, "a"]})
        for n in range(3):
            await store.bury(DeadLetter(f"t{n}", "x", f"k{n}", {"n": n}, "E: e", 1, 1.5))
        assert [letter.task_id for letter in await store.dead_letters(10)] == ["t2", "t1"]
    finally:
        await backend.stop(timeout=1)
    client = redis.Redis.from_url(redis_url)
    try:
        assert not client.exists("s:attempts:k")  # cleared by complete()
        assert 0 < client.ttl("s:done:k") <= 60 and 0 < client.ttl("s:key:k") <= 60
    finally:
        client.close()
