"""OpenTelemetry for vivace applications: `Vivace(telemetry={...})` (FastAPI's `fastapi.telemetry`).

Without the `opentelemetry-api` package installed, telemetry is simply off and these names still import.
"""

from vivace.telemetry._config import TelemetryConfig as TelemetryConfig
from vivace.telemetry._config import TelemetryData as TelemetryData
from vivace.telemetry._config import get_telemetry_data as get_telemetry_data

__all__ = ["TelemetryConfig", "TelemetryData", "get_telemetry_data"]
