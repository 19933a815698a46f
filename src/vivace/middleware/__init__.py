"""Middleware declarations, re-exported from Starlette under FastAPI's module path."""

from starlette.middleware import Middleware as Middleware
