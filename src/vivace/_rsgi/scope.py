"""An RSGI scope (granian's attribute object) as the ASGI scope dict vivace's compiled plans read.

The plans, `Request` and the exception handlers read the scope as ASGI defines it (bytes headers, bytes query
string, address tuples), so the adapter builds that dict once per request. What RSGI gives differs in form only:
granian hands over the path already percent-decoded (as ASGI's `path`), the query string as text (the bytes the
client sent, decoded as UTF-8: a query that is not UTF-8 is refused by granian with a 400 before the app runs)
and header values as text.

The root path (`vivace run --root-path`) is put in front of the path, as uvicorn does and ASGI says (`path`
includes `root_path`); the router matches what follows it.

NOTE: granian's RSGI headers leave out a value that is not visible ASCII (`X-Name: café` is not seen at all);
its ASGI interface passes such bytes through. RFC 9110 asks clients for ASCII; the difference is documented in
docs/guide/granian.md.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ASGI_VERSION", "EXTENSIONS", "address", "http_scope", "websocket_scope"]

#: the ASGI version the adapter speaks: spec 2.3, as granian's and uvicorn's ASGI interfaces announce, so
#: Starlette's streaming responses watch `receive` for the client leaving instead of expecting `send` to fail
ASGI_VERSION = {"version": "3.0", "spec_version": "2.3"}

#: `http.response.pathsend` is answered with granian's `response_file` (the file is sent by the server)
EXTENSIONS: dict[str, dict[str, Any]] = {"http.response.pathsend": {}, "websocket.http.response": {}}


def _parse_address(text: str) -> tuple[str, int] | None:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        return None
    if host.startswith("["):
        host = host[1:-1]
    return host, int(port)


#: parsed addresses: the server's is the same on every request, a client's on every request of its connection
_ADDRESSES: dict[str, tuple[str, int] | None] = {}
_ADDRESSES_KEPT = 4096


def address(text: str) -> tuple[str, int] | None:
    """`"127.0.0.1:8000"` or `"[::1]:8000"` -> `("127.0.0.1", 8000)`; None for what is not host:port (a socket path)."""
    # PERF: a dict hit instead of parsing twice per request (measured in-process: 1.6 -> 0.2 us for both)
    try:
        return _ADDRESSES[text]
    except KeyError:
        if len(_ADDRESSES) >= _ADDRESSES_KEPT:
            _ADDRESSES.clear()  # NOTE: bounded: a server sees many client ports over its life
        found = _ADDRESSES[text] = _parse_address(text)
        return found


#: request headers as bytes pairs, by granian's text pairs: a client sends the same headers on every request
_HEADERS: dict[tuple[tuple[str, str], ...], list[tuple[bytes, bytes]]] = {}
_HEADERS_KEPT = 1024


def _headers(rsgi_scope: Any) -> list[tuple[bytes, bytes]]:
    # PERF: one tuple and one dict hit instead of an encode per name and value (callgrind, in-process: ~5.5k ->
    # ~1.5k instructions for three headers); the list is copied, as the app may change its scope's headers.
    # Names come lowercased, values are ASCII (see the module docstring)
    key = tuple(rsgi_scope.headers.items())
    try:
        return _HEADERS[key].copy()
    except KeyError:
        if len(_HEADERS) >= _HEADERS_KEPT:
            _HEADERS.clear()  # NOTE: bounded: headers that vary per request (cookies, tokens) churn through it
        encoded = _HEADERS[key] = [(name.encode(), value.encode()) for name, value in key]
        return encoded.copy()


def http_scope(rsgi_scope: Any, root_path: str, state: dict[str, Any]) -> dict[str, Any]:
    """The ASGI HTTP scope for one request, as an ASGI server gives it to the app."""
    return {
        "type": "http",
        "asgi": ASGI_VERSION,
        "http_version": rsgi_scope.http_version,
        "server": address(rsgi_scope.server),
        "client": address(rsgi_scope.client),
        "scheme": rsgi_scope.scheme,
        "method": rsgi_scope.method,
        "root_path": root_path,
        "path": root_path + rsgi_scope.path,
        "query_string": rsgi_scope.query_string.encode(),
        "headers": _headers(rsgi_scope),
        "state": state.copy(),
        "extensions": EXTENSIONS,
    }


def websocket_scope(rsgi_scope: Any, root_path: str, state: dict[str, Any]) -> dict[str, Any]:
    """The ASGI WebSocket scope for one connection; subprotocols are read from the request's header."""
    headers = _headers(rsgi_scope)
    offered = rsgi_scope.headers.get("sec-websocket-protocol") or ""
    scheme = "wss" if rsgi_scope.scheme == "https" else "ws"
    return {
        "type": "websocket",
        "asgi": ASGI_VERSION,
        "http_version": rsgi_scope.http_version,
        "server": address(rsgi_scope.server),
        "client": address(rsgi_scope.client),
        "scheme": scheme,
        "root_path": root_path,
        "path": root_path + rsgi_scope.path,
        "query_string": rsgi_scope.query_string.encode(),
        "headers": headers,
        "subprotocols": [part.strip() for part in offered.split(",") if part.strip()],
        "state": state.copy(),
        "extensions": EXTENSIONS,
    }
