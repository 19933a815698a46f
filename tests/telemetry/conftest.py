"""Telemetry fixtures: in-memory OpenTelemetry providers, and the same app built on vivace and on FastAPI.

`record(build, requests)` builds `build(package, config)` on both frameworks, sends the same requests, and
returns each framework's finished spans as comparable tuples, so a test asserts they are equal.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from telemetry_support import FRAMEWORKS, Build, Signals, make_signals, summaries


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No exporter settings leak in from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith(("FASTAPI_OTEL_", "OTEL_")):
            monkeypatch.delenv(name)


@pytest.fixture
def signals() -> Iterator[Signals]:
    found = make_signals()
    yield found
    found.shutdown()


@pytest.fixture
def record() -> Iterator[Callable[..., dict[str, list[list[tuple[Any, ...]]]]]]:
    """Send `requests` (method, url, kwargs) to `build` on both frameworks: spans per request, per framework."""
    made: list[Signals] = []

    def run(build: Build, requests: list[tuple[str, str, dict[str, Any]]]) -> dict[str, list[list[Any]]]:
        results: dict[str, list[list[Any]]] = {}
        for name in FRAMEWORKS:
            found = make_signals()
            made.append(found)
            app = build(importlib.import_module(name), dict(found.config))
            client = TestClient(app, raise_server_exceptions=False)
            per_request = []
            for method, url, kwargs in requests:
                found.spans.clear()
                client.request(method, url, follow_redirects=False, **kwargs)
                per_request.append(summaries(found.spans))
            results[name] = per_request
        return results

    yield run
    for found in made:
        found.shutdown()
