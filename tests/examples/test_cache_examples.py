"""The caching guide's samples (docs/examples/cache_*.py) do what docs/guide/caching.md says."""

import pytest
from samples import load

from vivace.testclient import TestClient


def test_notes_reads_are_cached_and_writes_invalidate_them() -> None:
    """Reads carry ETag and Cache-Control and revalidate to 304; a PUT drops the lists and that note only."""
    sample = load("cache_notes")
    with TestClient(sample.app) as client:
        first = client.get("/notes")
        assert first.json() == [{"id": 1, "body": "Buy milk"}]
        assert first.headers["cache-control"] == "public, max-age=60"
        assert client.get("/notes", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        note = client.get("/notes/1")
        sample.notes[1] = sample.Note(id=1, body="changed behind the cache's back")
        assert client.get("/notes").json() == [{"id": 1, "body": "Buy milk"}]  # still the stored answer
        client.put("/notes/2", json={"id": 2, "body": "Call Ann"})
        assert [n["body"] for n in client.get("/notes").json()] == ["changed behind the cache's back", "Call Ann"]
        assert client.get("/notes/1").content == note.content == b'{"id":1,"body":"Buy milk"}'  # not invalidated
        client.put("/notes/1", json={"id": 1, "body": "Buy oat milk"})
        assert client.get("/notes/1").json()["body"] == "Buy oat milk"
        assert client.get("/notes/9").status_code == 404


def test_inbox_is_cached_per_user_and_language() -> None:
    """Each user and language has its own entry; answers are private and vary on the credentials."""
    client = TestClient(load("cache_users").app)
    alice = client.get("/inbox", headers={"Authorization": "Bearer token-alice"})
    assert alice.json() == {"message": "Hello alice, you have 3 new messages"}
    assert alice.headers["cache-control"] == "private, max-age=30"
    assert alice.headers["vary"] == "Accept-Language, Authorization, Cookie"
    french = client.get("/inbox", headers={"Authorization": "Bearer token-bob", "Accept-Language": "fr"})
    assert french.json() == {"message": "Bonjour bob, you have 3 new messages"}
    assert client.get("/inbox", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_news_key_names_one_page_whatever_the_other_parameters() -> None:
    """Only `page` is in the key; refreshing page 2 removes the one entry every page-2 request shared."""
    client = TestClient(load("cache_users").app)
    client.get("/news?page=2&utm_source=mail")
    client.get("/news?page=2&utm_source=web")
    assert client.post("/news/2/refresh").json() == {"removed": 1}
    assert client.post("/news/2/refresh").json() == {"removed": 0}


@pytest.mark.redis
def test_redis_sample_caches_in_redis(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """With REDIS_URL set, the report is stored in Redis under the sample's namespace."""
    import redis

    monkeypatch.setenv("REDIS_URL", redis_url)
    with TestClient(load("cache_redis").app) as client:
        first = client.get("/report")
        assert first.json() == {"total": 499999500000}
        assert client.get("/report", headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    with redis.Redis.from_url(redis_url) as probe:
        assert probe.keys("notes-api:*")
