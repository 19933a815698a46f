"""Shared setup for the example app's tests (test_app*.py, test_sharing.py) and the documentation samples'
(test_docs_examples.py): the import path, the template database and per-test settings.

NOTE: `examples/` and `docs/examples/` live at the repository root, which is not on `sys.path` when pytest
is started as `.venv/bin/pytest`; `make run` (uvicorn) gets it from the working directory instead.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app_support import SECRET_KEY, copy_db, make_template_db  # noqa: E402 - needs ROOT on sys.path

from examples.settings import Settings  # noqa: E402 - needs ROOT on sys.path


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The database each test starts from a copy of (see `make_template_db`): demo (id 1) and bob (id 2)."""
    return make_template_db(tmp_path_factory.mktemp("template") / "example.db")


@pytest.fixture
def settings(tmp_path: Path, template_db: Path) -> Settings:
    """Settings for one test: its own copy of the template database and a fixed signing key."""
    return Settings(db=copy_db(template_db, tmp_path), secret_key=SECRET_KEY)
