"""Parsing of the `Authorization` header shared by the HTTP and OAuth2 schemes."""

from starlette.requests import HTTPConnection, Request
from starlette.types import Scope
from starlette.websockets import WebSocket

__all__ = ["get_authorization_scheme_param"]

_PLAIN_CONNECTIONS = (Request, WebSocket)  # whose `headers` are the scope's, read as below


def get_authorization_scheme_param(authorization_header_value: str | None) -> tuple[str, str]:
    """Split `"Bearer abc"` into `("Bearer", "abc")`; a missing or empty header gives `("", "")`.

    Only the first space separates the scheme; the rest, trimmed, is the parameter (it may be empty).
    """
    if not authorization_header_value:
        return "", ""
    scheme, _, param = authorization_header_value.partition(" ")
    return scheme, param.strip()


def _authorization(connection: HTTPConnection) -> str | None:
    """`connection.headers.get("Authorization")`: the first such header, latin-1 decoded.

    PERF: a plain Request or WebSocket that has not made its `headers` yet is read straight from the scope's
    raw header list (lowercase names, as ASGI sends them): ~3k instructions a request less than building the
    `Headers` mapping a scheme reads one value from. Anything else (a subclass, a stand-in) is asked.
    """
    if type(connection) in _PLAIN_CONNECTIONS and "_headers" not in connection.__dict__:
        return _authorization_in(connection.scope)
    return connection.headers.get("Authorization")


def _authorization_in(scope: Scope) -> str | None:
    """The first `authorization` header of an ASGI scope, latin-1 decoded (as the `Headers` mapping gives it)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return value.decode("latin-1")  # type: ignore[no-any-return]
    return None
