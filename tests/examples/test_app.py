"""The example notes API (examples/), exercised through the test client as a user would."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from examples.app import app
from examples.settings import Settings, get_settings
from vivace.testclient import TestClient

ALICE = {"Authorization": "Bearer alice-token"}
BOB = {"Authorization": "Bearer bob-token"}


def create(client: TestClient, headers: dict[str, str] = ALICE, **fields: Any) -> dict[str, Any]:
    """POST a note (title defaults to "note") and return the created note."""
    response = client.post("/notes", json={"title": "note", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    note: dict[str, Any] = response.json()
    return note


def ids(response: Any) -> list[int]:
    return [item["id"] for item in response.json()["items"]]


def use_settings(**values: Any) -> None:
    app.dependency_overrides[get_settings] = lambda: Settings(**values)


def test_health_needs_no_token(client: TestClient) -> None:
    """/health answers without credentials and reports the configured app name."""
    use_settings(app_name="staging notes")
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "app": "staging notes"}


def test_create_returns_the_stored_note(client: TestClient) -> None:
    """POST /notes answers 201 with the owner, normalised tags, defaulted checklist items and timestamps."""
    note = create(
        client, tags=[" Home", "home", "Errands"], checklist=[{"text": "milk"}, {"text": "eggs", "done": True}]
    )
    assert note["id"] == 1
    assert note["owner"] == "alice"
    assert note["tags"] == ["home", "errands"]
    assert note["checklist"] == [{"text": "milk", "done": False}, {"text": "eggs", "done": True}]
    assert note["archived"] is False
    assert note["created_at"] == note["updated_at"]


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"title": ""}, ["body", "title"], "string_too_short"),
        ({"title": "x", "colour": "red"}, ["body", "colour"], "extra_forbidden"),
        ({"title": "x", "checklist": [{"done": True}]}, ["body", "checklist", 0, "text"], "missing"),
        ({"title": "x", "tags": [str(n) for n in range(11)]}, ["body", "tags"], "too_long"),
    ],
)
def test_create_rejects_invalid_bodies(
    client: TestClient, body: dict[str, Any], loc: list[Any], error_type: str
) -> None:
    """An invalid note body is a 422 whose error points at the offending (possibly nested) field."""
    response = client.post("/notes", json=body, headers=ALICE)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, error_type)


def test_missing_token_is_401_with_challenge(client: TestClient) -> None:
    """Without an Authorization header the API answers 401 and asks for a Bearer token."""
    response = client.get("/notes")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_unknown_token_is_401(client: TestClient) -> None:
    """A Bearer token that belongs to no user is rejected by get_current_user with a 401."""
    response = client.get("/notes", headers={"Authorization": "Bearer nobody"})
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token"}
    assert response.headers["www-authenticate"] == "Bearer"


def test_list_paginates_and_orders(client: TestClient) -> None:
    """limit/offset pick a page of the chosen order; total counts every match."""
    for title in ["d", "b", "e", "a", "c"]:
        create(client, title=title)
    newest_first = client.get("/notes", params={"limit": 2}, headers=ALICE)
    assert ids(newest_first) == [5, 4]
    assert newest_first.json() | {"items": None} == {"items": None, "total": 5, "limit": 2, "offset": 0}
    assert ids(client.get("/notes", params={"order": "created", "limit": 2, "offset": 2}, headers=ALICE)) == [3, 4]
    assert ids(client.get("/notes", params={"order": "title", "offset": 3}, headers=ALICE)) == [1, 3]


def test_list_filters_by_tag_and_text(client: TestClient) -> None:
    """tag matches case-insensitively; q searches title and body; both combine."""
    create(client, title="Buy milk", tags=["home"])
    create(client, title="Call plumber", body="about the MILK pipe", tags=["home", "urgent"])
    create(client, title="Quarterly report", tags=["work"])
    assert ids(client.get("/notes", params={"tag": "HOME", "order": "created"}, headers=ALICE)) == [1, 2]
    assert ids(client.get("/notes", params={"q": "milk", "order": "created"}, headers=ALICE)) == [1, 2]
    assert ids(client.get("/notes", params={"q": "milk", "tag": "urgent"}, headers=ALICE)) == [2]
    assert client.get("/notes", params={"tag": "garden"}, headers=ALICE).json()["total"] == 0


def test_list_shows_only_the_callers_notes(client: TestClient) -> None:
    """Each user lists their own notes only."""
    create(client, headers=ALICE)
    create(client, headers=BOB)
    assert ids(client.get("/notes", headers=BOB)) == [2]


def test_list_caps_limit_at_the_configured_page_size(client: TestClient) -> None:
    """A limit above settings.max_page_size is lowered to it, and the response says so."""
    use_settings(max_page_size=2)
    for _ in range(3):
        create(client)
    page = client.get("/notes", params={"limit": 10}, headers=ALICE).json()
    assert (len(page["items"]), page["limit"], page["total"]) == (2, 2, 3)


@pytest.mark.parametrize(
    ("params", "loc", "error_type"),
    [
        ({"limit": 0}, ["query", "limit"], "greater_than_equal"),
        ({"limit": 101}, ["query", "limit"], "less_than_equal"),
        ({"offset": "first"}, ["query", "offset"], "int_parsing"),
        ({"order": "size"}, ["query", "order"], "literal_error"),
        ({"page": 2}, ["query", "page"], "extra_forbidden"),
    ],
)
def test_list_rejects_bad_query_parameters(
    client: TestClient, params: dict[str, Any], loc: list[str], error_type: str
) -> None:
    """The NoteQuery model validates every query parameter and refuses unknown ones."""
    response = client.get("/notes", params=params, headers=ALICE)
    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert (error["loc"], error["type"]) == (loc, error_type)


def test_read_someone_elses_note_is_404(client: TestClient) -> None:
    """Another user's note is reported as missing, exactly like a note that does not exist."""
    note = create(client, headers=ALICE)
    assert client.get(f"/notes/{note['id']}", headers=ALICE).json() == note
    for path in [f"/notes/{note['id']}", "/notes/99"]:
        response = client.get(path, headers=BOB)
        assert (response.status_code, response.json()) == (404, {"detail": "Note not found"})


def test_note_id_must_be_positive(client: TestClient) -> None:
    """note_id is an int >= 1, validated before any lookup."""
    response = client.get("/notes/0", headers=ALICE)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["path", "note_id"]


def test_patch_changes_only_the_fields_sent(client: TestClient) -> None:
    """PATCH replaces the fields present in the body, ignores nulls and moves updated_at."""
    note = create(client, title="Draft", body="text", tags=["a"])
    response = client.patch(f"/notes/{note['id']}", json={"body": "final", "title": None, "tags": ["B"]}, headers=ALICE)
    assert response.status_code == 200
    updated = response.json()
    assert (updated["title"], updated["body"], updated["tags"]) == ("Draft", "final", ["b"])
    assert updated["created_at"] == note["created_at"]
    assert updated["updated_at"] > note["updated_at"]


def test_archived_notes_are_listed_only_on_request(client: TestClient) -> None:
    """Archiving a note hides it from the default list; archived=true lists it."""
    note = create(client)
    client.patch(f"/notes/{note['id']}", json={"archived": True}, headers=ALICE)
    assert ids(client.get("/notes", headers=ALICE)) == []
    assert ids(client.get("/notes", params={"archived": "true"}, headers=ALICE)) == [note["id"]]


def test_delete_is_204_then_404(client: TestClient) -> None:
    """DELETE answers 204 with an empty body; the note is gone afterwards."""
    note = create(client)
    response = client.delete(f"/notes/{note['id']}", headers=ALICE)
    assert (response.status_code, response.content) == (204, b"")
    assert client.get(f"/notes/{note['id']}", headers=ALICE).status_code == 404
    assert client.delete(f"/notes/{note['id']}", headers=ALICE).status_code == 404


def test_markdown_export(client: TestClient) -> None:
    """The sync export endpoint renders title, tags, body and checklist as text/markdown."""
    checklist = [{"text": "milk", "done": True}, {"text": "eggs"}]
    note = create(client, title="Groceries", body="From the market.", tags=["home"], checklist=checklist)
    response = client.get(f"/notes/{note['id']}/markdown", headers=ALICE)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/markdown; charset=utf-8"
    assert response.text == "# Groceries\n\n#home\n\nFrom the market.\n\n- [x] milk\n- [ ] eggs\n"


def test_me_never_returns_the_token(client: TestClient) -> None:
    """/users/me is filtered through UserPublic, so the stored token stays on the server."""
    response = client.get("/users/me", headers=BOB)
    assert response.json() == {"username": "bob", "full_name": "Bob Sponge"}


def test_background_tasks_record_activity(client: TestClient) -> None:
    """Create, update and delete each append an entry to the user's activity log after responding."""
    note = create(client)
    client.patch(f"/notes/{note['id']}", json={"title": "renamed"}, headers=ALICE)
    client.delete(f"/notes/{note['id']}", headers=ALICE)
    log = client.get("/users/me/activity", headers=ALICE).json()
    assert [(entry["action"], entry["note_id"]) for entry in log] == [("created", 1), ("updated", 1), ("deleted", 1)]
    assert client.get("/users/me/activity", headers=BOB).json() == []


def test_quota_is_a_409_from_the_custom_handler(client: TestClient) -> None:
    """Past settings.max_notes_per_user, QuotaExceeded is turned into a 409 by the app's exception handler."""
    use_settings(max_notes_per_user=1)
    create(client)
    response = client.post("/notes", json={"title": "one too many"}, headers=ALICE)
    assert response.status_code == 409
    assert response.json() == {"detail": "note limit reached (1)", "limit": 1}
    create(client, headers=BOB)


def test_each_lifespan_starts_with_an_empty_store() -> None:
    """The store belongs to the running app: a second start of the lifespan sees no old notes."""
    with TestClient(app) as first:
        create(first)
    with TestClient(app) as second:
        assert second.get("/notes", headers=ALICE).json()["total"] == 0


def test_settings_come_from_notes_environment_variables() -> None:
    """Settings.from_env reads NOTES_* variables, keeps defaults for the rest and validates values."""
    settings = Settings.from_env({"NOTES_MAX_PAGE_SIZE": "7", "NOTES_APP_NAME": "mine", "OTHER": "x"})
    assert settings == Settings(app_name="mine", max_page_size=7)
    with pytest.raises(ValidationError):
        Settings.from_env({"NOTES_MAX_NOTES_PER_USER": "0"})
