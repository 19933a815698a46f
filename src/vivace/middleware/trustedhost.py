"""Host header checking middleware, re-exported from Starlette under FastAPI's module path."""

from starlette.middleware.trustedhost import TrustedHostMiddleware as TrustedHostMiddleware
