"""Fixtures for the durable-task tests: taskiq runs on asyncio only, and retries wait on a recorded clock."""

from __future__ import annotations

import pytest
from tasks_support import RecordedSleep


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sleeps() -> RecordedSleep:
    """A `sleep` for `Tasks(sleep=...)` that records each delay and returns at once."""
    return RecordedSleep()
