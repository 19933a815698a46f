"""Dormant telemetry: an application built before anyone imported OpenTelemetry waits for that import.

FastAPI imports OpenTelemetry's API with its own package, so a FastAPI application records as soon as a provider
is set, however late. Nobody can set a provider without importing `opentelemetry`, so an application built while
it is not imported yet (and given no telemetry settings) skips that import and has no telemetry layer at all:
plain plans, nothing checked per request. It wakes at its next lifespan or request through the stack once
`opentelemetry` is in `sys.modules`; a finder at the front of `sys.meta_path` notices the first import and tells
each waiting application, so the requests that skip the stack take that way once too.

PERF: ~64M instructions less at startup (the API's import), and /hello skips the telemetry layer's per-request
check for a provider (see docs/performance.md).
"""

from __future__ import annotations

import importlib.abc
import os
import sys
import threading
import weakref
from collections.abc import Mapping, Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any, Protocol

from vivace.telemetry._config import AUTO_CONFIGURE_VARIABLE

__all__ = ["PACKAGE", "stop_waiting", "waits_for_opentelemetry"]

PACKAGE = "opentelemetry"
# NOTE: with one of these set, OpenTelemetry's API builds a provider itself the first time it is asked for one
# (as FastAPI's requests do): such an application asks from the start
_PROVIDER_VARIABLES = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER", "OTEL_PYTHON_LOGGER_PROVIDER")


class Waiting(Protocol):
    """An application waiting for OpenTelemetry (held weakly)."""

    def _opentelemetry_imported(self) -> None: ...


def waits_for_opentelemetry(telemetry: Mapping[str, Any] | None, app: Waiting) -> bool:
    """Whether `app` (being built with these settings) starts without telemetry and waits; it is then registered.

    An application with settings of its own, or with OpenTelemetry imported already, sets up telemetry as FastAPI's
    does; so does one whose environment asks for automatic configuration or names a provider.
    """
    if telemetry is not None or PACKAGE in sys.modules:
        return False
    if os.getenv(AUTO_CONFIGURE_VARIABLE, "").lower() == "true" or any(map(os.getenv, _PROVIDER_VARIABLES)):
        return False
    _FINDER.add(app)
    return True


class _FirstImport(importlib.abc.MetaPathFinder):
    """At the front of `sys.meta_path` while applications wait: finds nothing, and tells them when something looks
    for `opentelemetry` (only a module not imported yet is looked for, so this happens once, or a few times when
    the package is missing or only looked up)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: weakref.WeakSet[Any] = weakref.WeakSet()

    def add(self, app: Waiting) -> None:
        with self._lock:
            self._waiting.add(app)
            if self not in sys.meta_path:
                # NOTE: first, so a finder that answers for other packages' modules (an import hook) cannot hide the
                # look-up; this one answers for none, so whoever was first still decides every import
                sys.meta_path.insert(0, self)

    def discard(self, app: Waiting) -> None:
        with self._lock:
            self._waiting.discard(app)
            if not self._waiting and self in sys.meta_path:
                sys.meta_path.remove(self)

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == PACKAGE:
            with self._lock:
                waiting = list(self._waiting)
                if not waiting and self in sys.meta_path:
                    sys.meta_path.remove(self)  # NOTE: every waiting application was collected
            for app in waiting:
                app._opentelemetry_imported()
        return None


_FINDER = _FirstImport()


def stop_waiting(app: Waiting) -> bool:
    """`app` woke up: no longer told about imports. Returns False (the app's new `_dormant`)."""
    _FINDER.discard(app)
    return False
