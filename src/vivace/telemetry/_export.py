"""`auto_configure`: OTLP/HTTP exporters from the `OTEL_*` environment, added when the application starts.

Existing providers and their exporters are kept: vivace adds one export component per signal and provider, and
creates an SDK provider only where the global one is still unset. What it created it flushes at shutdown and
shuts down at exit; providers the application passed in are never shut down.
"""

from __future__ import annotations

import atexit
import importlib
import os
import threading
from typing import Any
from urllib.parse import urlsplit

from opentelemetry import _logs, metrics, trace

from vivace.exceptions import FastAPIError
from vivace.logger import logger
from vivace.telemetry._signals import unconfigured

__all__ = ["configure_from_environment", "flush_owned"]

_lock = threading.RLock()
_owned: list[Any] = []  # providers and components vivace created
_registered: list[tuple[str, Any]] = []  # (signal, provider) pairs that already got a vivace exporter
_SETTING = "telemetry={'auto_configure': False}"
# signal -> (config switch, config provider key, global getter, global setter)
_SIGNALS: dict[str, tuple[str, str, Any, Any]] = {
    "TRACES": ("tracing", "tracer_provider", trace.get_tracer_provider, trace.set_tracer_provider),
    "METRICS": ("metrics", "meter_provider", metrics.get_meter_provider, metrics.set_meter_provider),
    "LOGS": ("logs", "logger_provider", _logs.get_logger_provider, _logs.set_logger_provider),
}
# signal -> (module, class) of the SDK provider, its export component, and the OTLP/HTTP exporter
_CLASSES = {
    "TRACES": (("opentelemetry.sdk.trace", "TracerProvider"), ("opentelemetry.sdk.trace.export", "BatchSpanProcessor"),
               ("opentelemetry.exporter.otlp.proto.http.trace_exporter", "OTLPSpanExporter")),
    "METRICS": (("opentelemetry.sdk.metrics", "MeterProvider"),
                ("opentelemetry.sdk.metrics.export", "PeriodicExportingMetricReader"),
                ("opentelemetry.exporter.otlp.proto.http.metric_exporter", "OTLPMetricExporter")),
    "LOGS": (("opentelemetry.sdk._logs", "LoggerProvider"),
             ("opentelemetry.sdk._logs.export", "BatchLogRecordProcessor"),
             ("opentelemetry.exporter.otlp.proto.http._log_exporter", "OTLPLogExporter")),
}
_REGISTER = {"TRACES": "add_span_processor", "METRICS": "add_metric_reader", "LOGS": "add_log_record_processor"}


def endpoint_for(signal: str) -> str | None:
    """The OTLP endpoint for one signal from the environment, None when it is not to be exported."""
    exporter = (os.getenv(f"OTEL_{signal}_EXPORTER") or "otlp").strip().lower()
    endpoint = os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    if not endpoint:
        base = os.getenv("OTEL_EXPORTER_OTLP_ENDPOINT")
        endpoint = f"{base.removesuffix('/')}/v1/{signal.lower()}" if base else None
    if not endpoint or exporter == "none":
        return None
    if exporter != "otlp":
        raise FastAPIError(
            f"automatic telemetry export supports OTEL_{signal}_EXPORTER=otlp or none; set other exporters up "
            f"yourself and pass {_SETTING}"
        )
    protocol = os.getenv(f"OTEL_EXPORTER_OTLP_{signal}_PROTOCOL") or os.getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
    if (protocol or "http/protobuf") != "http/protobuf":
        raise FastAPIError(
            f"automatic telemetry export uses OTLP over http/protobuf only (got {protocol!r}); set other "
            f"transports up yourself and pass {_SETTING}"
        )
    parsed = urlsplit(endpoint)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise FastAPIError(f"the OTLP {signal.lower()} endpoint {endpoint!r} is not an absolute http(s) URL")
    return endpoint


def configure_from_environment(config: dict[str, Any]) -> None:
    if not config["auto_configure"] or os.getenv("OTEL_SDK_DISABLED", "").lower() == "true":
        return
    with _lock:
        wanted = [(signal, endpoint) for signal, (switch, _, _, _) in _SIGNALS.items()
                  if config[switch] and (endpoint := endpoint_for(signal)) is not None]
        for signal, endpoint in wanted:
            _configure(signal, endpoint, config[_SIGNALS[signal][1]])


def _load(signal: str) -> tuple[Any, ...]:
    try:
        return tuple(getattr(importlib.import_module(module), name) for module, name in _CLASSES[signal])
    except ImportError as exc:
        raise FastAPIError(
            "automatic telemetry export needs opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http; install "
            f"them, or set providers up yourself and pass {_SETTING}"
        ) from exc


def _configure(signal: str, endpoint: str, explicit: Any) -> None:
    provider_class, component_class, exporter_class = _load(signal)
    get_global, set_global = _SIGNALS[signal][2], _SIGNALS[signal][3]
    provider = explicit if explicit is not None else get_global()
    if any(s == signal and p is provider for s, p in _registered):
        return
    component = component_class(exporter_class(endpoint=endpoint))
    if explicit is None and unconfigured(provider):
        created = _new_provider(signal, provider_class, component)
        set_global(created)
        if get_global() is created:
            _registered.append((signal, created))
            _owned.append(created)
            return
        # NOTE: someone else set the global provider meanwhile: drop ours, add the exporter to theirs
        created.shutdown()
        provider = get_global()
        component = component_class(exporter_class(endpoint=endpoint))
    register = getattr(provider, _REGISTER[signal], None)
    if not callable(register):
        component.shutdown()
        raise FastAPIError(
            f"the configured OpenTelemetry {signal.lower()} provider cannot take another exporter; configure export "
            f"through it and pass {_SETTING}"
        )
    try:
        register(component)
    except Exception:
        component.shutdown()
        raise
    _registered.append((signal, provider))
    _owned.append(component)


def _new_provider(signal: str, provider_class: Any, component: Any) -> Any:
    if signal == "METRICS":
        return provider_class(metric_readers=[component], shutdown_on_exit=False)
    created = provider_class(shutdown_on_exit=False)
    getattr(created, _REGISTER[signal])(component)
    return created


def has_owned() -> bool:
    return bool(_owned)


def flush_owned() -> None:
    for component in tuple(_owned):
        try:
            component.force_flush()
        except Exception:
            logger.exception("flushing telemetry at shutdown failed")


def _shutdown_owned() -> None:
    with _lock:
        owned = tuple(_owned)
        _owned.clear()
    for component in owned:
        try:
            component.shutdown()
        except Exception:
            logger.exception("shutting telemetry down at exit failed")


atexit.register(_shutdown_owned)
