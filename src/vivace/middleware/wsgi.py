"""WSGI adapter middleware, re-exported from Starlette under FastAPI's module path.

NOTE: Starlette deprecates this class (it points to `a2wsgi`) and warns with
`StarletteDeprecationWarning` when this module is first imported, exactly as importing
`fastapi.middleware.wsgi` does. New code should use `a2wsgi.WSGIMiddleware`.
"""

from starlette.middleware.wsgi import WSGIMiddleware as WSGIMiddleware
