"""`vivace worker` / `vivace scheduler`: what they say when they cannot run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from redis_support import free_port

from vivace.cli import main

MEMORY_APP = """
from vivace import Vivace
from vivace.tasks import Tasks

app = Vivace()
tasks = Tasks()
tasks.install(app)
"""

NO_TASKS_APP = """
from vivace import Vivace

app = Vivace()
"""

UNREACHABLE_APP = """
from vivace import Vivace
from vivace.tasks import Tasks
from vivace.tasks.redis import RedisTaskBackend

app = Vivace()
tasks = Tasks(RedisTaskBackend("redis://127.0.0.1:{port}/0"))
tasks.install(app)
"""


@pytest.fixture
def app_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(sys, "path", list(sys.path))  # the CLI puts the app's directory first on sys.path
    monkeypatch.setattr(sys, "modules", dict(sys.modules))  # and imports it as `app`
    return tmp_path / "app.py"


@pytest.mark.parametrize("command", ["worker", "scheduler"])
def test_memory_backend_has_no_workers(app_file: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """The memory backend runs tasks in the app's process: the command says so and exits with status 2."""
    app_file.write_text(MEMORY_APP)
    assert main([command, str(app_file)]) == 2
    err = capsys.readouterr().err
    assert "Error: The tasks of app:app use the memory backend" in err
    assert "Hint: use `Tasks(RedisTaskBackend(url))` from vivace.tasks.redis" in err


def test_app_without_tasks(app_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """An app with no Tasks installed is reported with the fix."""
    app_file.write_text(NO_TASKS_APP)
    assert main(["worker", str(app_file)]) == 2
    err = capsys.readouterr().err
    assert "Error: No durable tasks are installed on app:app" in err
    assert "call `tasks.install(app)`" in err


def test_unreachable_redis_is_a_short_error(app_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A worker that cannot reach Redis exits with status 2 and one line naming the URL, no traceback."""
    app_file.write_text(UNREACHABLE_APP.format(port=free_port()))
    assert main(["worker", str(app_file)]) == 2
    err = capsys.readouterr().err
    assert "Error: The worker could not start: durable tasks: cannot reach Redis at redis://127.0.0.1:" in err
    assert "Traceback" not in err


def test_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    """--concurrency and --workers must be positive."""
    assert main(["worker", "--concurrency", "0"]) == 2
    assert "0 is not a positive number" in capsys.readouterr().err
