"""Static file serving, re-exported from Starlette under FastAPI's module path."""

from starlette.staticfiles import StaticFiles as StaticFiles
