"""Request objects, re-exported from Starlette under FastAPI's module path."""

from starlette.requests import HTTPConnection as HTTPConnection
from starlette.requests import Request as Request
