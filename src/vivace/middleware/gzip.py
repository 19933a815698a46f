"""GZip compression middleware, re-exported from Starlette under FastAPI's module path."""

from starlette.middleware.gzip import GZipMiddleware as GZipMiddleware
