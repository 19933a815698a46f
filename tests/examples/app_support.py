"""Helpers for the example app's tests (test_app.py, test_app_shared.py, test_app_workers.py)."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from examples.app import app
from examples.settings import Settings, get_settings
from examples.tokens import create_access_token
from vivace.testclient import TestClient

SECRET_KEY = "a-fixed-secret-for-tests-only-0123456789"
BOB_PASSWORD = "bob-password"
DEMO_ID, BOB_ID = 1, 2
SEEDED_NOTES = 3


@contextmanager
def serve(settings: Settings) -> Iterator[TestClient]:
    """The example app with its lifespan running on `settings` (swapped in through dependency_overrides)."""
    app.dependency_overrides[get_settings] = lambda: settings
    try:
        with TestClient(app) as client:
            yield client
    finally:
        app.dependency_overrides.clear()


def make_template_db(path: Path) -> Path:
    """A database made by the app itself: seeded (demo, id 1) plus a signed-up user bob (id 2).

    NOTE: tests start from copies, because hashing a password with Argon2 is slow on purpose.
    """
    with serve(Settings(db=path, secret_key=SECRET_KEY)) as client:
        response = client.post("/users", json={"username": "bob", "full_name": "Bob", "password": BOB_PASSWORD})
        assert response.status_code == 201, response.text
    return path


def copy_db(template: Path, directory: Path) -> Path:
    """A copy of `template` in `directory`, for one test."""
    db = directory / "example.db"
    shutil.copyfile(template, db)
    return db


def auth(user_id: int) -> dict[str, str]:
    """Headers with a valid token for `user_id`, minted directly (logging in hashes, which is slow)."""
    token = create_access_token(user_id, Settings(secret_key=SECRET_KEY))
    return {"Authorization": f"Bearer {token}"}


DEMO, BOB = auth(DEMO_ID), auth(BOB_ID)


def create(client: TestClient, headers: dict[str, str] = BOB, **fields: Any) -> dict[str, Any]:
    """POST a note (title defaults to "note") and return the created note."""
    response = client.post("/notes", json={"title": "note", **fields}, headers=headers)
    assert response.status_code == 201, response.text
    note: dict[str, Any] = response.json()
    return note


def ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


def upload(client: TestClient, note_id: int, name: str, data: bytes, media_type: str = "text/plain") -> Any:
    return client.post(f"/notes/{note_id}/attachments", files={"file": (name, data, media_type)}, headers=BOB)


def log_in(client: TestClient, username: str, password: str) -> Any:
    return client.post("/token", data={"username": username, "password": password})


def read_events(lines: Iterator[str], count: int) -> list[dict[str, str]]:
    """The next `count` events that carry data, each as {field: value}; comments and pings are skipped."""
    events: list[dict[str, str]] = []
    current: dict[str, str] = {}
    for line in lines:
        if line:
            field, _, value = line.partition(": ")
            current[field] = value
            continue
        if "data" in current:
            events.append(current)
            if len(events) == count:
                break
        current = {}
    return events


def rename_behind_the_apps_back(db: Path, note_id: int, title: str) -> None:
    """Change a note in the database directly: a cached answer does not show it, a recomputed one does."""
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE notes SET title = ? WHERE id = ?", (title, note_id))
