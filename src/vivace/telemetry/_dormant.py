"""Dormant telemetry: an application built before anything imported OpenTelemetry waits for that import.

FastAPI imports OpenTelemetry's API with its own package, so its applications record as soon as a provider is set,
however late. Nobody can set a provider without importing `opentelemetry`, so a vivace application built while
it is not imported (and given no telemetry settings) skips that import and has no telemetry layer: plain plans,
nothing checked per request. It sets up the telemetry it would have had (`Vivace._wake`) at its lifespan or its
next request through the stack once `opentelemetry` is in `sys.modules`; the finder below, first on
`sys.meta_path`, sees the package looked up and sends each waiting application's next request that way.

PERF: building an app no longer imports the API (~64M instructions), and /hello no longer checks per request
that no provider was set since (~1.4k instructions in-process together with the direct entry's quiet call).
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
