"""HTTP -> HTTPS redirect middleware, re-exported from Starlette under FastAPI's module path."""

from starlette.middleware.httpsredirect import HTTPSRedirectMiddleware as HTTPSRedirectMiddleware
