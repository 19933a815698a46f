"""Fixtures for the example app and the documentation samples.

NOTE: `examples/` and `docs/examples/` live at the repository root, which is not on `sys.path` when pytest
is started as `.venv/bin/pytest`; `make run` (uvicorn) gets it from the working directory instead.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from examples.app import app  # noqa: E402 - needs the path set just above
from vivace.testclient import TestClient  # noqa: E402


@pytest.fixture
def client() -> Iterator[TestClient]:
    """A client on the example app with its lifespan running (a fresh, empty store) and no overrides."""
    with TestClient(app) as test_client:
        yield test_client
    app.dependency_overrides.clear()
