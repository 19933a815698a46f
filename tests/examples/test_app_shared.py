"""The example app's shared state in one process (memory backends): login limits, the cached notes list, the
choice of backend by settings. The same app across two workers and Redis: test_app_workers.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_support import (
    BOB,
    BOB_PASSWORD,
    DEMO,
    create,
    log_in,
    rename_behind_the_apps_back,
    serve,
    upload,
)
from pydantic import ValidationError
from redis_support import free_port

from examples.auth import login_counters
from examples.settings import Settings
from vivace.testclient import TestClient


@pytest.fixture
def client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app on the test's database, with the login counters' clock stopped (no refill on a slow machine)."""
    monkeypatch.setattr(login_counters, "clock", lambda: 0.0)
    with serve(settings) as test_client:
        yield test_client


# -- login rate limits ------------------------------------------------------------------------------------


def test_login_is_limited_to_five_attempts_a_minute_per_username(client: TestClient) -> None:
    """Five attempts for one username (in any case) pass, right or wrong, and report the budgets left; the
    sixth is a 429 with Retry-After; other usernames are not affected."""
    accepted = log_in(client, "bob", BOB_PASSWORD)
    assert accepted.status_code == 200
    policies = accepted.headers.get_list("ratelimit-policy")
    assert policies == ['"login-address";q=20;w=60', '"login-username";q=5;w=60']
    assert accepted.headers.get_list("ratelimit") == ['"login-address";r=19;t=3', '"login-username";r=4;t=12']
    wrong = [log_in(client, username, "wrong-password") for username in ["bob", "bob", "Bob", "BOB"]]
    assert [answer.status_code for answer in wrong] == [400] * 4
    refused = log_in(client, "bob", BOB_PASSWORD)  # the right password, but the name's budget is spent
    assert (refused.status_code, refused.json()) == (429, {"detail": "Rate limit exceeded: 5 per minute"})
    assert refused.headers["retry-after"] == "12"
    assert refused.headers["ratelimit-policy"] == '"login-username";q=5;w=60'
    assert log_in(client, "demo", "wrong-password").status_code == 400


def test_login_is_limited_to_twenty_attempts_a_minute_per_address(client: TestClient) -> None:
    """Twenty attempts from one address pass whatever the usernames; the twenty-first is a 429."""
    assert {log_in(client, f"user{n}", "password").status_code for n in range(20)} == {400}
    refused = log_in(client, "bob", BOB_PASSWORD)
    assert refused.status_code == 429
    assert refused.headers["ratelimit"] == '"login-address";r=0;t=3'


def test_login_counters_start_afresh_with_each_application_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In memory, the counters live as long as the application: a new start has full budgets."""
    monkeypatch.setattr(login_counters, "clock", lambda: 0.0)
    with serve(settings) as client:
        assert [log_in(client, "bob", "wrong").status_code for _ in range(6)] == [400] * 5 + [429]
    with serve(settings) as client:
        assert log_in(client, "bob", BOB_PASSWORD).status_code == 200


def test_login_limits_are_documented(client: TestClient) -> None:
    """POST /token documents its 429 with the Retry-After and RateLimit headers; other operations do not."""
    paths = client.get("/openapi.json").json()["paths"]
    too_many = paths["/token"]["post"]["responses"]["429"]
    assert set(too_many["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
    assert "400" in paths["/token"]["post"]["responses"]
    assert "429" not in paths["/notes"]["get"]["responses"]


# -- the cached notes list --------------------------------------------------------------------------------


def titles(client: TestClient, headers: dict[str, str], **params: str | int) -> list[str]:
    response = client.get("/notes", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["title"] for item in response.json()["items"]]


def test_notes_list_is_cached_with_an_etag_and_answers_304(client: TestClient, settings: Settings) -> None:
    """The list carries a private ETag; the same request is served from the cache (the database is not read),
    and with If-None-Match it is a 304 without a body."""
    first = client.get("/notes", headers=DEMO)
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, max-age=60"
    assert first.headers["vary"].startswith("Authorization, Cookie")  # then CORS' Origin
    rename_behind_the_apps_back(settings.db, 1, "renamed in the database")
    again = client.get("/notes", headers=DEMO)
    assert (again.content, again.headers["etag"]) == (first.content, etag)
    not_modified = client.get("/notes", headers=DEMO | {"If-None-Match": etag})
    assert (not_modified.status_code, not_modified.content, not_modified.headers["etag"]) == (304, b"", etag)
    assert "304" in client.get("/openapi.json").json()["paths"]["/notes"]["get"]["responses"]


def test_each_query_and_user_has_its_own_entry(client: TestClient) -> None:
    """Pages of different queries and different users are cached apart; the order of parameters does not
    matter."""
    create(client, title="bob's")
    assert titles(client, DEMO, limit=1) == ["Quarterly report"]
    assert titles(client, DEMO, limit=2, order="title") == ["Groceries", "Quarterly report"]
    assert titles(client, BOB) == ["bob's"]
    one = client.get("/notes?order=title&limit=2", headers=DEMO).headers["etag"]
    assert client.get("/notes?limit=2&order=title", headers=DEMO | {"If-None-Match": one}).status_code == 304
    assert client.get("/notes?limit=1", headers=DEMO | {"If-None-Match": one}).status_code == 200
    assert client.get("/notes?order=title&limit=2", headers=BOB | {"If-None-Match": one}).status_code == 200


def test_every_write_to_a_note_drops_its_users_cached_lists(client: TestClient, settings: Settings) -> None:
    """Creating, changing, deleting a note and adding or removing an attachment each make the next list a
    fresh one (a new ETag, changes made behind the cache included); another user's list stays cached."""
    demo_etag = client.get("/notes", headers=DEMO).headers["etag"]
    note = create(client, title="mine")
    seen = {client.get("/notes", headers=BOB).headers["etag"]}
    writes = [
        lambda: client.patch(f"/notes/{note['id']}", json={"body": "changed"}, headers=BOB),
        lambda: upload(client, note["id"], "a.txt", b"a"),
        lambda: client.delete(f"/notes/{note['id']}/attachments/1", headers=BOB),
        lambda: create(client, title="second"),
        lambda: client.delete(f"/notes/{note['id']}", headers=BOB),
    ]
    for number, write in enumerate(writes):
        rename_behind_the_apps_back(settings.db, note["id"], f"renamed {number}")
        write()
        response = client.get("/notes", params={"order": "created"}, headers=BOB)
        assert response.headers["etag"] not in seen
        seen.add(response.headers["etag"])
        if number < len(writes) - 1:
            assert response.json()["items"][0]["title"] == f"renamed {number}"
    assert [item["title"] for item in client.get("/notes", headers=BOB).json()["items"]] == ["second"]
    assert client.get("/notes", headers=DEMO | {"If-None-Match": demo_etag}).status_code == 304


def test_a_failed_write_keeps_the_cached_list(client: TestClient) -> None:
    """A write that is refused (invalid body, someone else's note) changes nothing and drops nothing."""
    etag = client.get("/notes", headers=DEMO).headers["etag"]
    assert client.patch("/notes/1", json={"title": ""}, headers=DEMO).status_code == 422
    assert client.patch("/notes/1", json={"title": "x"}, headers=BOB).status_code == 403
    assert client.get("/notes", headers=DEMO | {"If-None-Match": etag}).status_code == 304


# -- memory or Redis, by settings -------------------------------------------------------------------------


def test_redis_url_comes_from_the_environment_and_is_checked() -> None:
    """VIVACE_EXAMPLE_REDIS_URL sets redis_url; unset means memory; anything but a Redis URL is refused."""
    assert Settings.from_env({}).redis_url is None
    url = "redis://cache.internal:6379/2"
    assert Settings.from_env({"VIVACE_EXAMPLE_REDIS_URL": url}).redis_url == url
    with pytest.raises(ValidationError):
        Settings.from_env({"VIVACE_EXAMPLE_REDIS_URL": "http://cache.internal"})


def test_an_unreachable_redis_stops_the_start_with_a_clear_error(settings: Settings) -> None:
    """With a redis_url nobody answers at, the application does not start; the error names a feature and the
    address."""
    url = f"redis://127.0.0.1:{free_port()}/0"
    with (
        pytest.raises(RuntimeError, match=rf"cannot reach Redis at {url}"),
        serve(settings.model_copy(update={"redis_url": url})),
    ):
        pass
