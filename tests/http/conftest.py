"""Fixtures shared by the HTTP-level tests."""

from __future__ import annotations

from tempfile import SpooledTemporaryFile
from typing import Any

import pytest

from vivace._core import form_parser


@pytest.fixture
def spools(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every spool file vivace's form parser creates during the test, in order."""
    created: list[Any] = []

    class Recording(SpooledTemporaryFile):  # type: ignore[type-arg]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(form_parser, "SpooledTemporaryFile", Recording)
    return created
