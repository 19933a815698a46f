"""The example notes API (examples/), exercised through the test client as a user would."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import jwt
import pytest
from app_support import (
    BOB,
    BOB_ID,
    BOB_PASSWORD,
    DEMO,
    SECRET_KEY,
    SEEDED_NOTES,
    create,
    ids,
    log_in,
    read_events,
    serve,
    upload,
)
from pydantic import ValidationError

from examples.app import create_app
from examples.feed import ChangeFeed
from examples.schemas import ChangeOut
from examples.seed import DEMO_PASSWORD
from examples.settings import Settings
from vivace.channels import Channels
from vivace.testclient import TestClient


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A client on the example app, started (lifespan and app-scoped dependencies) on the test's database."""
    with serve(settings) as test_client:
        yield test_client


# -- startup, login, users --------------------------------------------------------------------------------


def test_first_start_creates_and_seeds_the_database(tmp_path: Path) -> None:
    """A missing database file is created with its folder and seeded once; the demo login works."""
    db = tmp_path / "data" / "fresh.db"
    with serve(Settings(db=db, secret_key=SECRET_KEY)) as client:
        assert db.exists()
        token = log_in(client, "demo", DEMO_PASSWORD).json()["access_token"]
        page = client.get("/notes", headers={"Authorization": f"Bearer {token}"}).json()
        assert page["total"] == SEEDED_NOTES
        assert "welcome" in page["items"][-1]["tags"]
    with serve(Settings(db=db, secret_key=SECRET_KEY)) as client:
        assert client.get("/notes", headers=DEMO).json()["total"] == SEEDED_NOTES


def test_database_is_closed_at_shutdown(settings: Settings) -> None:
    """The engine's teardown runs when the app stops: SQLite folds its write-ahead log back into the file."""
    wal = settings.db.with_name(settings.db.name + "-wal")
    with serve(settings) as client:
        create(client)
        assert wal.exists()
    assert not wal.exists()


def test_login_returns_a_bearer_token_for_the_user(client: TestClient) -> None:
    """POST /token (a form) answers a JWT bearer token that /users/me accepts."""
    response = log_in(client, "bob", BOB_PASSWORD)
    assert response.status_code == 200
    token = response.json()
    assert token["token_type"] == "bearer"
    me = client.get("/users/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {"id": BOB_ID, "username": "bob", "full_name": "Bob"}


@pytest.mark.parametrize(("username", "password"), [("bob", "wrong-password"), ("nobody", BOB_PASSWORD)])
def test_login_with_bad_credentials_is_400(client: TestClient, username: str, password: str) -> None:
    """A wrong password and an unknown user get the same 400, as OAuth2 prescribes."""
    response = log_in(client, username, password)
    assert (response.status_code, response.json()) == (400, {"detail": "Incorrect username or password"})


def test_login_needs_form_fields(client: TestClient) -> None:
    """The token endpoint reads a form: a JSON body or a missing password is a 422."""
    response = client.post("/token", data={"username": "bob"})
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["body", "password"]]
    assert client.post("/token", json={"username": "bob", "password": "x"}).status_code == 422


def test_sign_up(client: TestClient) -> None:
    """POST /users creates an account (never echoing the password); a taken or malformed name is refused."""
    body = {"username": "carol", "full_name": "Carol", "password": "long enough"}
    response = client.post("/users", json=body)
    assert (response.status_code, response.json()) == (201, {"id": 3, "username": "carol", "full_name": "Carol"})
    taken = client.post("/users", json=body)
    assert (taken.status_code, taken.json()) == (409, {"detail": "Username already taken"})
    bad = client.post("/users", json=body | {"username": "Carol!", "password": "short"})
    assert {error["loc"][-1] for error in bad.json()["detail"]} == {"username", "password"}


def test_missing_token_is_401_with_challenge(client: TestClient) -> None:
    """Without an Authorization header the API answers 401 and asks for a Bearer token."""
    response = client.get("/notes")
    assert (response.status_code, response.headers["www-authenticate"]) == (401, "Bearer")


def _token(claims: dict[str, Any], key: str = SECRET_KEY) -> dict[str, str]:
    return {"Authorization": "Bearer " + jwt.encode(claims, key, algorithm="HS256")}


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer not-a-jwt"},
        _token({"sub": "2", "exp": datetime.now(UTC) + timedelta(hours=1)}, key="another-key-" + "x" * 32),
        _token({"sub": "2", "exp": datetime.now(UTC) - timedelta(minutes=1)}),
        _token({"sub": "2"}),
        _token({"sub": "99", "exp": datetime.now(UTC) + timedelta(hours=1)}),
    ],
    ids=["garbage", "foreign-key", "expired", "no-expiry", "unknown-user"],
)
def test_bad_tokens_are_401(client: TestClient, headers: dict[str, str]) -> None:
    """A token that is malformed, signed by another key, expired, without expiry or for no user is a 401."""
    response = client.get("/users/me", headers=headers)
    assert (response.status_code, response.json()) == (401, {"detail": "Could not validate credentials"})
    assert response.headers["www-authenticate"] == "Bearer"


# -- notes ------------------------------------------------------------------------------------------------


def test_create_returns_the_stored_note(client: TestClient) -> None:
    """POST /notes answers 201 with normalised tags, timestamps and no attachments; GET returns the same."""
    note = create(client, title="Groceries", body="milk", tags=[" Home", "home", "Errands"])
    assert note["id"] == SEEDED_NOTES + 1
    assert (note["title"], note["body"], note["tags"]) == ("Groceries", "milk", ["errands", "home"])
    assert (note["archived"], note["attachments"]) == (False, [])
    assert note["created_at"] == note["updated_at"]
    assert note["created_at"].endswith("Z")
    assert client.get(f"/notes/{note['id']}", headers=BOB).json() == note


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"title": ""}, ["body", "title"], "string_too_short"),
        ({"title": "x" * 121}, ["body", "title"], "string_too_long"),
        ({"title": "x", "colour": "red"}, ["body", "colour"], "extra_forbidden"),
        ({"title": "x", "tags": [str(n) for n in range(11)]}, ["body", "tags"], "too_long"),
        ({"title": "x", "tags": ["x" * 31]}, ["body", "tags", 0], "string_too_long"),
    ],
)
def test_create_rejects_invalid_bodies(
    client: TestClient, body: dict[str, Any], loc: list[Any], error_type: str
) -> None:
    """An invalid note body is a 422 whose error points at the offending field."""
    response = client.post("/notes", json=body, headers=BOB)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, error_type)


def test_list_paginates_and_orders(client: TestClient) -> None:
    """limit/offset pick a page of the chosen order; total counts every match."""
    made = [create(client, title=title)["id"] for title in ["d", "B", "e", "a", "c"]]
    newest = client.get("/notes", params={"limit": 2}, headers=BOB)
    assert ids(newest) == made[:-3:-1]
    assert newest.json() | {"items": None} == {"items": None, "total": 5, "limit": 2, "offset": 0}
    assert ids(client.get("/notes", params={"order": "created", "limit": 2, "offset": 2}, headers=BOB)) == made[2:4]
    by_title = client.get("/notes", params={"order": "title", "offset": 3}, headers=BOB)
    assert [item["title"] for item in by_title.json()["items"]] == ["d", "e"]
    client.patch(f"/notes/{made[0]}", json={"body": "touched"}, headers=BOB)
    assert ids(client.get("/notes", params={"order": "-updated", "limit": 1}, headers=BOB)) == [made[0]]


def test_list_filters_by_tag_and_text(client: TestClient) -> None:
    """tag matches case-insensitively; q searches title and body, with % taken literally; both combine."""
    milk = create(client, title="Buy milk", tags=["home"])["id"]
    pipe = create(client, title="Call plumber", body="about the MILK pipe", tags=["home", "urgent"])["id"]
    create(client, title="Quarterly report: 100% done", tags=["work"])
    assert ids(client.get("/notes", params={"tag": "HOME", "order": "created"}, headers=BOB)) == [milk, pipe]
    assert ids(client.get("/notes", params={"q": "milk", "order": "created"}, headers=BOB)) == [milk, pipe]
    assert ids(client.get("/notes", params={"q": "milk", "tag": "urgent"}, headers=BOB)) == [pipe]
    assert client.get("/notes", params={"q": "0%"}, headers=BOB).json()["total"] == 1
    assert client.get("/notes", params={"q": "%"}, headers=BOB).json()["total"] == 1
    assert client.get("/notes", params={"tag": "garden"}, headers=BOB).json()["total"] == 0


@pytest.mark.parametrize(
    ("params", "loc", "error_type"),
    [
        ({"limit": 0}, ["query", "limit"], "greater_than_equal"),
        ({"limit": 101}, ["query", "limit"], "less_than_equal"),
        ({"offset": "first"}, ["query", "offset"], "int_parsing"),
        ({"order": "size"}, ["query", "order"], "literal_error"),
        ({"archived": "maybe"}, ["query", "archived"], "bool_parsing"),
        ({"page": 2}, ["query", "page"], "extra_forbidden"),
    ],
)
def test_list_rejects_bad_query_parameters(
    client: TestClient, params: dict[str, Any], loc: list[str], error_type: str
) -> None:
    """The NoteFilter query model validates every query parameter and refuses unknown ones."""
    response = client.get("/notes", params=params, headers=BOB)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, error_type)


def test_list_caps_limit_at_the_configured_page_size(settings: Settings) -> None:
    """A limit above settings.max_page_size is lowered to it, and the page says so."""
    with serve(settings.model_copy(update={"max_page_size": 2})) as client:
        page = client.get("/notes", params={"limit": 10}, headers=DEMO).json()
    assert (len(page["items"]), page["limit"], page["total"]) == (2, 2, SEEDED_NOTES)


def test_list_shows_only_the_callers_notes(client: TestClient) -> None:
    """Each user lists their own notes only."""
    mine = create(client, headers=BOB)["id"]
    assert ids(client.get("/notes", headers=BOB)) == [mine]
    assert mine not in ids(client.get("/notes", headers=DEMO))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/notes/1"),
        ("PATCH", "/notes/1"),
        ("DELETE", "/notes/1"),
        ("GET", "/notes/1/markdown"),
        ("POST", "/notes/1/attachments"),
        ("GET", "/notes/1/attachments/1"),
    ],
)
def test_someone_elses_note_is_403_and_a_missing_one_404(client: TestClient, method: str, path: str) -> None:
    """Every route on a note checks ownership before anything else: 403 for another's note, 404 for none."""
    other = client.request(method, path, headers=BOB, json={} if method == "PATCH" else None)
    assert (other.status_code, other.json()) == (403, {"detail": "Not your note"})
    missing = client.request(method, path.replace("/notes/1", "/notes/999"), headers=BOB)
    assert (missing.status_code, missing.json()) == (404, {"detail": "Note not found"})


def test_note_id_must_be_positive(client: TestClient) -> None:
    """note_id is an int >= 1, validated before any lookup."""
    response = client.get("/notes/0", headers=BOB)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "note_id"]


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    """PATCH replaces the fields present in the body, ignores nulls and moves updated_at."""
    note = create(client, title="Draft", body="text", tags=["a", "b"])
    response = client.patch(
        f"/notes/{note['id']}", json={"body": "final", "title": None, "tags": ["B", "c"]}, headers=BOB
    )
    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["body"], updated["tags"]) == ("Draft", "final", ["b", "c"])
    assert updated["created_at"] == note["created_at"]
    assert updated["updated_at"] > note["updated_at"]
    assert client.get(f"/notes/{note['id']}", headers=BOB).json() == updated


def test_archived_notes_are_listed_only_on_request(client: TestClient) -> None:
    """Archiving a note hides it from the default list; archived=true lists it."""
    note = create(client)
    client.patch(f"/notes/{note['id']}", json={"archived": True}, headers=BOB)
    assert ids(client.get("/notes", headers=BOB)) == []
    assert ids(client.get("/notes", params={"archived": "true"}, headers=BOB)) == [note["id"]]


def test_delete_is_204_then_404(client: TestClient) -> None:
    """DELETE answers 204 with an empty body; the note and its attachments are gone afterwards."""
    note = create(client)
    upload(client, note["id"], "a.txt", b"a")
    response = client.delete(f"/notes/{note['id']}", headers=BOB)
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"/notes/{note['id']}", headers=BOB).status_code == 404
    assert client.get(f"/notes/{note['id']}/attachments/1", headers=BOB).status_code == 404
    assert client.delete(f"/notes/{note['id']}", headers=BOB).status_code == 404


def test_quota_is_a_409_from_the_custom_handler(settings: Settings) -> None:
    """Past settings.max_notes_per_user, QuotaExceeded is turned into a 409 by the app's exception handler."""
    with serve(settings.model_copy(update={"max_notes_per_user": 1})) as client:
        create(client)
        response = client.post("/notes", json={"title": "one too many"}, headers=BOB)
    assert (response.status_code, response.json()) == (409, {"detail": "note limit reached (1)", "limit": 1})


def test_markdown_export(client: TestClient) -> None:
    """The export renders title, tags, body and attachment names as text/markdown."""
    note = create(client, title="Groceries", body="From the market.", tags=["home"])
    upload(client, note["id"], "list.txt", b"milk")
    response = client.get(f"/notes/{note['id']}/markdown", headers=BOB)
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == "# Groceries\n\n#home\n\nFrom the market.\n\n- attachment: list.txt\n"


# -- attachments ------------------------------------------------------------------------------------------


def test_upload_then_download_an_attachment(client: TestClient) -> None:
    """An uploaded file is listed on its note and downloaded byte for byte, as a download, then deleted."""
    note = create(client)
    data = bytes(range(256)) * 10
    response = upload(client, note["id"], "résumé.bin", data, "application/x-thing")
    assert response.status_code == 201
    attachment = response.json()
    assert (attachment["filename"], attachment["size"], attachment["content_type"]) == (
        "résumé.bin",
        len(data),
        "application/x-thing",
    )
    assert client.get(f"/notes/{note['id']}", headers=BOB).json()["attachments"] == [attachment]
    path = f"/notes/{note['id']}/attachments/{attachment['id']}"
    download = client.get(path, headers=BOB)
    assert (download.status_code, download.content) == (200, data)
    assert download.headers["content-type"] == "application/x-thing"
    assert (
        download.headers["content-disposition"]
        == "attachment; filename=\"rsum.bin\"; filename*=UTF-8''r%C3%A9sum%C3%A9.bin"
    )
    assert download.headers["x-content-type-options"] == "nosniff"
    assert client.delete(path, headers=BOB).status_code == 204
    assert client.get(path, headers=BOB).json() == {"detail": "Attachment not found"}
    assert client.get(f"/notes/{note['id']}", headers=BOB).json()["attachments"] == []


def test_upload_larger_than_the_limit_is_413(settings: Settings) -> None:
    """A file above settings.max_upload_bytes is refused with 413 and nothing is stored; one at the limit passes."""
    with serve(settings.model_copy(update={"max_upload_bytes": 10})) as client:
        note = create(client)
        response = upload(client, note["id"], "big.txt", b"x" * 11)
        assert (response.status_code, response.json()) == (413, {"detail": "File larger than 10 bytes"})
        assert client.get(f"/notes/{note['id']}", headers=BOB).json()["attachments"] == []
        assert upload(client, note["id"], "ok.txt", b"x" * 10).status_code == 201


def test_upload_cleans_the_file_name_and_media_type(client: TestClient) -> None:
    """Only the last part of a client's path is kept, and an unparseable media type becomes octet-stream."""
    note = create(client)
    response = upload(client, note["id"], "..\\..\\secret/../passwd ", b"x", "not a type")
    assert (response.json()["filename"], response.json()["content_type"]) == ("passwd", "application/octet-stream")


def test_upload_needs_a_file(client: TestClient) -> None:
    """A form without the `file` field is a 422 naming it; an unknown attachment id is a 404."""
    note = create(client)
    response = client.post(f"/notes/{note['id']}/attachments", data={"other": "x"}, headers=BOB)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "file"]
    assert client.delete(f"/notes/{note['id']}/attachments/5", headers=BOB).status_code == 404


# -- audit log and live feed ------------------------------------------------------------------------------


def test_background_tasks_write_the_audit_log(client: TestClient) -> None:
    """Every write adds an audit entry after the response; `after` pages through them; users see their own."""
    note = create(client, title="first")
    client.patch(f"/notes/{note['id']}", json={"title": "renamed"}, headers=BOB)
    upload(client, note["id"], "a.txt", b"a")
    client.delete(f"/notes/{note['id']}", headers=BOB)
    log = client.get("/changes", headers=BOB).json()
    assert [(entry["action"], entry["note_id"], entry["title"]) for entry in log] == [
        ("created", note["id"], "first"),
        ("updated", note["id"], "renamed"),
        ("attached", note["id"], "renamed"),
        ("deleted", note["id"], "renamed"),
    ]
    after_second = client.get("/changes", params={"after": log[1]["id"], "limit": 1}, headers=BOB).json()
    assert after_second == [log[2]]
    assert client.get("/changes", headers=DEMO).json() == []


def test_live_feed_streams_the_users_changes(client: TestClient) -> None:
    """GET /changes/stream is an SSE stream: each of the user's changes arrives as an event, named by action."""
    with client.stream("GET", "/changes/stream", headers=BOB) as stream:
        assert stream.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = stream.iter_lines()
        assert (next(lines), next(lines)) == (": connected", "retry: 3000")
        create(client, headers=DEMO, title="not for bob")
        note = create(client, title="hello")
        client.patch(f"/notes/{note['id']}", json={"title": "hello again"}, headers=BOB)
        created, updated = read_events(lines, 2)
    assert (created["event"], updated["event"]) == ("created", "updated")
    assert int(updated["id"]) == int(created["id"]) + 1
    assert ChangeOut.model_validate_json(updated["data"]).title == "hello again"


def test_live_feed_replays_what_a_reconnecting_client_missed(client: TestClient) -> None:
    """With Last-Event-ID the stream first replays the later changes from the audit log, then goes live."""
    note = create(client, title="one")
    for title in ["two", "three"]:
        client.patch(f"/notes/{note['id']}", json={"title": title}, headers=BOB)
    first = client.get("/changes", headers=BOB).json()[0]["id"]
    with client.stream("GET", "/changes/stream", headers=BOB | {"Last-Event-ID": str(first)}) as stream:
        lines = stream.iter_lines()
        replayed = read_events(lines, 2)
        client.delete(f"/notes/{note['id']}", headers=BOB)
        [live] = read_events(lines, 1)
    assert [ChangeOut.model_validate_json(event["data"]).title for event in replayed] == ["two", "three"]
    assert (live["event"], int(live["id"])) == ("deleted", first + 3)


def test_live_feed_validates_last_event_id(client: TestClient) -> None:
    """A Last-Event-ID that is not a non-negative integer is a 422, before any stream starts."""
    response = client.get("/changes/stream", headers=BOB | {"Last-Event-ID": "abc"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["header", "last-event-id"]


def _change(change_id: int) -> ChangeOut:
    return ChangeOut(id=change_id, note_id=1, action="created", title="t", at=datetime.now(UTC))


def test_feed_cuts_off_a_reader_that_falls_behind() -> None:
    """Publishing never waits: a full subscriber is cut off (it reconnects and replays); others still get events."""

    async def scenario() -> None:
        async with Channels() as channels:
            feed = ChangeFeed(channels, buffer_size=1)
            async with feed.subscribe(1) as slow, feed.subscribe(2) as other:
                await feed.publish(1, _change(1))
                await feed.publish(1, _change(2))
                await feed.publish(2, _change(3))
                # NOTE: the channel's "disconnect" policy ends the subscription and drops what it held
                assert [change async for change in slow] == []
                assert slow.ended == "overflow"
                assert (await anext(other)).id == 3
                assert feed.subscriber_count(1) == 0
            assert feed.subscriber_count(2) == 0

    anyio.run(scenario)


# -- the rest of the app ----------------------------------------------------------------------------------


def test_cors_preflight_allows_only_configured_origins(client: TestClient) -> None:
    """A preflight from a configured origin is answered with CORS headers; another origin is refused."""
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    allowed = client.options("/notes", headers=preflight | {"Origin": "http://localhost:5173"})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "http://localhost:5173"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    refused = client.options("/notes", headers=preflight | {"Origin": "https://evil.example"})
    assert refused.status_code == 400
    assert "access-control-allow-origin" not in refused.headers


def test_cors_origins_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """VIVACE_EXAMPLE_CORS_ORIGINS (comma-separated) replaces the default origins of a new app."""
    monkeypatch.setenv("VIVACE_EXAMPLE_CORS_ORIGINS", "https://notes.example, https://admin.example")
    client = TestClient(create_app())
    headers = {"Origin": "https://admin.example", "Access-Control-Request-Method": "GET"}
    assert client.options("/health", headers=headers).headers["access-control-allow-origin"] == "https://admin.example"
    assert client.options("/health", headers=headers | {"Origin": "http://localhost:5173"}).status_code == 400


def test_health_root_and_offline_docs(client: TestClient) -> None:
    """/health checks the database without a token; / redirects to /docs, which is served from local assets."""
    assert client.get("/health").json() == {"status": "ok", "database": "ok"}
    home = client.get("/", follow_redirects=False)
    assert (home.status_code, home.headers["location"]) == (307, "/docs")
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "cdn.jsdelivr.net" not in docs.text
    schema = client.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuth2PasswordBearer"]["flows"]["password"]["tokenUrl"] == "token"


def test_settings_come_from_environment_variables() -> None:
    """Settings.from_env reads VIVACE_EXAMPLE_* variables, keeps defaults for the rest and validates values."""
    env = {"VIVACE_EXAMPLE_DB": "/tmp/x.db", "VIVACE_EXAMPLE_MAX_PAGE_SIZE": "7", "OTHER": "x"}
    settings = Settings.from_env(env)
    assert (str(settings.db), settings.max_page_size, settings.database_url) == (
        "/tmp/x.db",
        7,
        "sqlite+aiosqlite:////tmp/x.db",
    )
    assert Settings.from_env({}).db.as_posix() == ".data/example.db"
    with pytest.raises(ValidationError):
        Settings.from_env({"VIVACE_EXAMPLE_MAX_UPLOAD_BYTES": "0"})
    with pytest.raises(ValidationError):
        Settings.from_env({"VIVACE_EXAMPLE_SECRET_KEY": "short"})
