"""Fixtures for the durable-task tests: taskiq runs on asyncio only, and retries wait on a recorded clock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from tasks_support import STARTED, RecordedSleep


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sleeps() -> RecordedSleep:
    """A `sleep` for `Tasks(sleep=...)` that records each delay and returns at once."""
    return RecordedSleep()


@pytest.fixture(autouse=True)
def no_leftover_processes() -> Iterator[None]:
    """A worker or scheduler a failed test left running is killed, so it cannot outlive the test."""
    yield
    while STARTED:
        STARTED.pop().kill()
