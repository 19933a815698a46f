"""Sharing a note (examples/sharing.py) and the durable task that notifies the recipient (examples/notifications.py)."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from app_support import BOB, DEMO, DEMO_ID, SECRET_KEY, copy_db, create, serve

from examples.app import app, create_app
from examples.notifications import NOTIFY_SHARE, RETRIES, FlakyNotifier, get_notifier, make_tasks
from examples.settings import Settings
from vivace.tasks import DeadLetter, MemoryTaskBackend, Tasks, installed_tasks
from vivace.tasks.redis import RedisTaskBackend
from vivace.testclient import TestClient

LOGGER = "examples.notifications"
ROOT = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT = 30.0  # generous: the machine may be loaded


@pytest.fixture
def tasks() -> Tasks:
    """The example app's durable tasks (memory backend: VIVACE_EXAMPLE_REDIS_URL is not set in tests)."""
    installed = installed_tasks(app)
    assert installed is not None
    return installed


@pytest.fixture
def waits(tasks: Tasks) -> Iterator[list[float]]:
    """The waits between retries, recorded instead of slept."""
    recorded: list[float] = []
    previous = tasks.runner.sleep

    async def record(delay: float) -> None:
        recorded.append(delay)

    tasks.runner.sleep = record
    try:
        yield recorded
    finally:
        tasks.runner.sleep = previous


@pytest.fixture
def failures() -> int:
    """How many sends the notifier fails before it works; 0 keeps the app's own notifier."""
    return 0


@pytest.fixture
def flaky(failures: int) -> FlakyNotifier:
    return FlakyNotifier(failures)


@pytest.fixture
def client(tmp_path: Path, template_db: Path, waits: list[float], flaky: FlakyNotifier) -> Iterator[TestClient]:
    """A client on the example app (memory tasks) with its own copy of the database.

    NOTE: the notifier is app-scoped, created once per start: it is replaced before the app starts.
    """
    if flaky.failures:
        app.dependency_overrides[get_notifier] = lambda: flaky
    with serve(Settings(db=copy_db(template_db, tmp_path), secret_key=SECRET_KEY)) as test_client:
        yield test_client


@pytest.fixture(autouse=True)
def _log_notifications(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)


def sent(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The notifications sent so far: the INFO lines of the `examples.notifications` logger."""
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]


def share(client: TestClient, note_id: int, username: str, headers: dict[str, str] = BOB) -> Any:
    return client.post(f"/notes/{note_id}/share", json={"username": username}, headers=headers)


def dead_letters(client: TestClient, tasks: Tasks, task_id: str) -> list[DeadLetter]:
    """The dead letters of task `task_id` (the app's tasks outlive one test, so others' may be there too)."""
    assert client.portal is not None
    return [letter for letter in client.portal.call(tasks.dead_letters) if letter.task_id == task_id]


def test_sharing_records_the_share_and_logs_one_notification(
    client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """A share answers 202 with the task's id; the recipient is notified once and sees the note in /shared."""
    note = create(client, title="plans")
    with tasks.inline():
        response = share(client, note["id"], "demo")
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["note_id"] == note["id"]
    assert body["username"] == "demo"
    assert body["duplicate"] is False
    assert sent(caplog) == [f"notify demo: bob shared the note 'plans' (#{note['id']}) with you"]
    assert client.portal is not None
    result = client.portal.call(tasks.result, body["notification"])
    assert result == sent(caplog)[0].removeprefix("notify demo: ")
    assert [item["id"] for item in client.get("/shared", headers=DEMO).json()] == [note["id"]]
    assert client.get("/shared", headers=BOB).json() == []


def test_notification_runs_in_the_background_without_inline(
    client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """With the memory backend and no inline(), the task runs in the app's process after enqueue; join() waits."""
    note = create(client)
    assert share(client, note["id"], "demo").status_code == 202
    assert client.portal is not None
    client.portal.call(tasks.join)
    assert len(sent(caplog)) == 1


def test_sharing_twice_notifies_once(client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture) -> None:
    """The idempotency key (note, recipient) makes a second share a duplicate: same task, no second message."""
    note = create(client)
    with tasks.inline():
        first = share(client, note["id"], "demo").json()
        second = share(client, note["id"], "demo").json()
    assert second["duplicate"] is True
    assert second["notification"] == first["notification"]
    assert second["shared_at"] == first["shared_at"]
    assert len(sent(caplog)) == 1
    assert len(client.get("/shared", headers=DEMO).json()) == 1


def test_each_note_and_recipient_is_notified_separately(
    client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """The key is per (note, recipient): another note shared with the same user is a new notification."""
    first, second = create(client, title="one"), create(client, title="two")
    with tasks.inline():
        assert share(client, first["id"], "demo").json()["duplicate"] is False
        assert share(client, second["id"], "demo").json()["duplicate"] is False
    assert len(sent(caplog)) == 2
    assert [item["title"] for item in client.get("/shared", headers=DEMO).json()] == ["two", "one"]


@pytest.mark.parametrize("failures", [2])
def test_a_failed_notification_is_retried_with_backoff(
    flaky: FlakyNotifier, waits: list[float], client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """Two transient failures, then success: three attempts, waits of 1 then 2 seconds, one notification."""
    note = create(client)
    with tasks.inline():
        response = share(client, note["id"], "demo")
    assert response.status_code == 202
    assert flaky.attempts == 3
    assert waits == [1.0, 2.0]
    assert len(sent(caplog)) == 1
    assert dead_letters(client, tasks, response.json()["notification"]) == []


@pytest.mark.parametrize("failures", [100])
def test_a_notification_that_keeps_failing_is_dead_lettered(
    flaky: FlakyNotifier, client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture
) -> None:
    """After 1 + RETRIES failed attempts the task fails for good: a dead letter with its key, arguments and error."""
    note = create(client, title="lost")
    with tasks.inline():
        response = share(client, note["id"], "demo")
    assert response.status_code == 202, "the share is recorded even though the notification failed"
    assert flaky.attempts == 1 + RETRIES
    assert sent(caplog) == []
    [letter] = dead_letters(client, tasks, response.json()["notification"])
    assert letter.task == NOTIFY_SHARE
    assert letter.key.startswith(f"share:{note['id']}:{DEMO_ID}:")
    assert letter.arguments["recipient"] == "demo"
    assert letter.error.startswith("NotificationFailed: ")
    assert letter.attempts == 1 + RETRIES
    with tasks.inline():
        again = share(client, note["id"], "demo").json()
    assert again["duplicate"] is True, "a failed notification is not resent by sharing again"
    assert flaky.attempts == 1 + RETRIES


def test_sharing_errors(client: TestClient, tasks: Tasks, caplog: pytest.LogCaptureFixture) -> None:
    """Unknown note or user: 404; someone else's note: 403; yourself or a bad body: 422; no token: 401."""
    note = create(client)
    with tasks.inline():
        assert share(client, 999, "demo").status_code == 404
        assert share(client, note["id"], "nobody").json() == {"detail": "User not found"}
        assert share(client, note["id"], "nobody").status_code == 404
        assert share(client, note["id"], "bob", headers=DEMO).status_code == 403
        assert share(client, note["id"], "bob").status_code == 422
        assert share(client, note["id"], "Not A Name!").status_code == 422
        assert client.post(f"/notes/{note['id']}/share", json={}, headers=BOB).status_code == 422
        assert client.post(f"/notes/{note['id']}/share", json={"username": "demo"}).status_code == 401
        assert client.get("/shared").status_code == 401
    assert sent(caplog) == []
    assert client.get("/shared", headers=DEMO).json() == []


def test_a_deleted_note_is_no_longer_shared(client: TestClient, tasks: Tasks) -> None:
    """Deleting a note removes its shares (the foreign key cascades)."""
    note = create(client)
    with tasks.inline():
        share(client, note["id"], "demo")
    assert client.delete(f"/notes/{note['id']}", headers=BOB).status_code == 204
    assert client.get("/shared", headers=DEMO).json() == []


def test_the_openapi_document_shows_the_routes(client: TestClient) -> None:
    """Both routes are documented under the `sharing` tag, with the share's body, answer and errors."""
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/notes/{note_id}/share"]["post"]
    assert operation["tags"] == ["sharing"]
    assert set(operation["responses"]) == {"202", "401", "403", "404", "422"}
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ShareIn"}
    assert document["paths"]["/shared"]["get"]["tags"] == ["sharing"]
    assert "duplicate" in document["components"]["schemas"]["ShareOut"]["properties"]
    assert "sharing" in [tag["name"] for tag in document["tags"]]


def test_the_backend_follows_the_redis_setting() -> None:
    """Without a Redis URL the tasks run in memory; with one they go through Redis (to `vivace worker`)."""
    assert isinstance(make_tasks(Settings()).backend, MemoryTaskBackend)
    tasks = make_tasks(Settings(redis_url="redis://localhost:6379/0"))
    assert isinstance(tasks.backend, RedisTaskBackend)
    assert [task.name for task in tasks] == [NOTIFY_SHARE]


def test_each_application_has_its_own_tasks() -> None:
    """create_app() installs a fresh Tasks on every application it builds (a Tasks serves one app)."""
    first, second = create_app(), create_app()
    assert installed_tasks(first) is not installed_tasks(second)


@pytest.mark.redis
def test_with_redis_a_vivace_worker_sends_the_notification(
    redis_url: str, tmp_path: Path, template_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With VIVACE_EXAMPLE_REDIS_URL set, the web app only sends the task: `vivace worker examples/app.py` runs it
    (the command docs/deployment.md gives), logs the notification, and the web app reads its result."""
    env = {
        "VIVACE_EXAMPLE_DB": str(copy_db(template_db, tmp_path)),
        "VIVACE_EXAMPLE_SECRET_KEY": SECRET_KEY,
        "VIVACE_EXAMPLE_REDIS_URL": redis_url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    web = create_app()  # NOTE: built after the environment is set: the task backend is chosen here
    web_tasks = installed_tasks(web)
    assert web_tasks is not None
    assert isinstance(web_tasks.backend, RedisTaskBackend)
    log = tmp_path / "worker.log"
    with log.open("wb") as output:
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("vivace")), "worker", "examples/app.py", "--concurrency", "2"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        with TestClient(web) as client:
            note = create(client, title="across processes")
            response = share(client, note["id"], "demo")
            assert response.status_code == 202, response.text
            assert client.portal is not None
            result = client.portal.call(web_tasks.result, response.json()["notification"], WORKER_TIMEOUT)
            assert result == f"bob shared the note 'across processes' (#{note['id']}) with you"
            assert share(client, note["id"], "demo").json()["duplicate"] is True
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=WORKER_TIMEOUT)
    output_text = log.read_text()
    assert worker.returncode == 0, output_text
    assert "Traceback" not in output_text, output_text
    assert f"notify demo: bob shared the note 'across processes' (#{note['id']})" in output_text, output_text
