"""Jinja2 templates, re-exported from Starlette under FastAPI's module path."""

from starlette.templating import Jinja2Templates as Jinja2Templates
