"""The one entry `Vivace.__init__` calls: a telemetry runtime, or None when there is nothing to record.

PERF: None means the application builds no telemetry layer and compiles plain plans: zero cost per request.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from vivace.telemetry._config import resolve_config

__all__ = ["telemetry_runtime"]


def telemetry_runtime(telemetry: Mapping[str, Any] | None) -> Any:
    """A `vivace.telemetry._runtime.Telemetry` for these settings, or None.

    None when every signal is off or when OpenTelemetry is not installed (telemetry then is simply off).
    """
    config = resolve_config(telemetry)
    if not (config["tracing"] or config["metrics"] or config["logs"]):
        return None
    try:
        # NOTE: imported on demand so applications without telemetry never import OpenTelemetry
        runtime = importlib.import_module("vivace.telemetry._runtime")
    except ImportError as exc:
        if not (exc.name or "").startswith("opentelemetry"):
            raise
        return None
    return runtime.Telemetry(config)
