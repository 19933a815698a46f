"""Which signals are on for a request: the configured or global providers, checked per request.

NOTE: OpenTelemetry's global providers may be set after the application is built (in a lifespan, say), so a
request asks for them each time; until one is set the API hands out a proxy, and vivace records nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry import _logs, metrics, trace
from opentelemetry._logs import Logger
from opentelemetry._logs import _internal as logs_internal
from opentelemetry._logs._internal import ProxyLoggerProvider
from opentelemetry.metrics import Histogram, UpDownCounter
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.metrics._internal import _ProxyMeterProvider
from opentelemetry.trace import Tracer

from vivace import __version__

__all__ = ["Active", "Signals", "unconfigured"]

SCOPE_NAME = "vivace"
SCHEMA_URL = "https://opentelemetry.io/schemas/1.44.0"
HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"})
# OpenTelemetry's advice for http.server.request.duration, in seconds
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0)
# The API's stand-ins before a provider is set; exact types, so SDK or vendor providers never count as unset.
_PROXIES = (trace.ProxyTracerProvider, _ProxyMeterProvider, ProxyLoggerProvider)
_NO_OPS = (trace.NoOpTracerProvider, metrics.NoOpMeterProvider, _logs.NoOpLoggerProvider)


def unconfigured(provider: Any) -> bool:
    return type(provider) in _PROXIES


class _GlobalProvider:
    """One signal's global provider, or None while it is unset.

    PERF: the API's getters look the environment up on every call until a provider is set (~1.5 us each, so
    ~5 us a request for three signals while nothing is configured). While the public getter is the API's own
    and no provider comes from the environment, the API's private global answers "unset" in ~0.1 us; anything
    else (a replaced getter, an older or newer API without that global) goes through the public getter.
    """

    __slots__ = ("getter", "internal", "module", "name", "original", "variable")

    def __init__(self, module: Any, name: str, internal: Any, variable: str, env: str) -> None:
        self.module = module
        self.name = name
        self.original = getattr(module, name)
        self.internal = internal if hasattr(internal, variable) and env not in os.environ else None
        self.variable = variable

    def get(self) -> Any:
        getter = getattr(self.module, self.name)
        if getter is self.original and self.internal is not None and getattr(self.internal, self.variable) is None:
            return None
        return getter()


_TRACER = _GlobalProvider(trace, "get_tracer_provider", trace, "_TRACER_PROVIDER", "OTEL_PYTHON_TRACER_PROVIDER")
_METER = _GlobalProvider(
    metrics, "get_meter_provider", metrics_internal, "_METER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER"
)
_LOGGER = _GlobalProvider(
    _logs, "get_logger_provider", logs_internal, "_LOGGER_PROVIDER", "OTEL_PYTHON_LOGGER_PROVIDER"
)


@dataclass(slots=True)
class Active:
    """The instruments one request records with; None for a signal that is off."""

    tracer: Tracer | None
    logger: Logger | None
    duration: Histogram | None
    active_requests: UpDownCounter | None


class Signals:
    """The resolved settings and a cache of tracer, logger and instruments per provider."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.tracing, self.metrics, self.logs = bool(config["tracing"]), bool(config["metrics"]), bool(config["logs"])
        self.operation_spans = bool(config["operation_spans"])
        known = os.getenv("OTEL_INSTRUMENTATION_HTTP_KNOWN_METHODS", "").strip()
        self.known_methods = frozenset(m.strip() for m in known.split(",") if m.strip()) if known else HTTP_METHODS
        self._cache: dict[str, tuple[Any, Any]] = {}
        # NOTE: a provider given in the settings may be a no-op, and a replaced getter may answer anything: only
        # the API's own globals allow the quick answer
        watched = ((self.tracing, "tracer_provider", _TRACER), (self.metrics, "meter_provider", _METER),
                   (self.logs, "logger_provider", _LOGGER))
        quick = all(config[key] is None and glob.internal is not None for on, key, glob in watched if on)
        self.quiet: Callable[[], bool] = _quiet_check(self.tracing, self.metrics, self.logs) if quick else _never

    def active(self, *, websocket: bool) -> Active | None:
        tracer = self._tracer() if self.tracing else None
        logger = self._logger() if self.logs else None
        instruments = self._instruments() if self.metrics and not websocket else None
        if tracer is None and logger is None and instruments is None:
            return None
        duration, active_requests = instruments or (None, None)
        return Active(tracer, logger, duration, active_requests)

    def _provider(self, key: str, global_provider: _GlobalProvider) -> Any:
        explicit = self.config[key]
        provider = explicit if explicit is not None else global_provider.get()
        if provider is None or (explicit is None and unconfigured(provider)) or isinstance(provider, _NO_OPS):
            return None
        return provider

    def _cached(self, key: str, provider: Any, make: Any) -> Any:
        found = self._cache.get(key)
        if found is not None and found[0] is provider:
            return found[1]
        value = make(provider)
        self._cache[key] = (provider, value)
        return value

    def _tracer(self) -> Tracer | None:
        provider = self._provider("tracer_provider", _TRACER)
        if provider is None:
            return None
        make = lambda p: p.get_tracer(SCOPE_NAME, __version__, schema_url=SCHEMA_URL)  # noqa: E731
        return self._cached("tracer", provider, make)  # type: ignore[no-any-return]

    def _logger(self) -> Logger | None:
        provider = self._provider("logger_provider", _LOGGER)
        if provider is None:
            return None
        make = lambda p: _logs.get_logger(SCOPE_NAME, __version__, p, schema_url=SCHEMA_URL)  # noqa: E731
        return self._cached("logger", provider, make)  # type: ignore[no-any-return]

    def _instruments(self) -> tuple[Histogram, UpDownCounter] | None:
        provider = self._provider("meter_provider", _METER)
        if provider is None:
            return None
        return self._cached("meter", provider, _make_instruments)  # type: ignore[no-any-return]


def _never() -> bool:
    return False


def _quiet_check(tracing: bool, metering: bool, logging: bool) -> Callable[[], bool]:
    """A check answering True when no global provider is set for any signal that is on.

    PERF: runs on every request while telemetry is idle; plain attribute reads, about a third of a loop over the
    three `_GlobalProvider`s.
    """
    tracer_getter, meter_getter, logger_getter = _TRACER.original, _METER.original, _LOGGER.original

    def quiet() -> bool:
        return (
            (not tracing or (trace.get_tracer_provider is tracer_getter and trace._TRACER_PROVIDER is None))
            and (
                not metering
                or (metrics.get_meter_provider is meter_getter and metrics_internal._METER_PROVIDER is None)
            )
            and (not logging or (_logs.get_logger_provider is logger_getter and logs_internal._LOGGER_PROVIDER is None))
        )

    return quiet


def _make_instruments(provider: Any) -> tuple[Histogram, UpDownCounter]:
    meter = provider.get_meter(SCOPE_NAME, __version__, schema_url=SCHEMA_URL)
    duration = meter.create_histogram(
        "http.server.request.duration", unit="s", description="Duration of HTTP server requests.",
        explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
    )
    active = meter.create_up_down_counter(
        "http.server.active_requests", unit="{request}", description="Number of active HTTP server requests."
    )
    return duration, active
