"""vivace: FastAPI's public API, compiled into flat per-route plans at startup."""

__version__ = "0.1.0"
