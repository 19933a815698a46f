"""Stage 3, extract: raw values from the ASGI scope and body, only for the locations a plan needs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar
from urllib.parse import unquote_plus

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect, cookie_parser
from starlette.types import Receive, Scope

from vivace._core import limits
from vivace.exceptions import HTTPException

V = TypeVar("V")

__all__ = [
    "MappingSource",
    "body_parse_error",
    "cookies",
    "group_pairs",
    "headers",
    "is_json_content",
    "limit_receive",
    "query",
    "read_body",
]


class MappingSource:
    """A plain mapping (path params, cookies) seen through the multidict interface the validators use."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def get(self, key: str) -> Any:
        return self._data.get(key)

    def getlist(self, key: str) -> list[Any]:
        return [self._data[key]] if key in self._data else []

    def keys(self) -> Iterable[str]:
        return self._data.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self._data.items()


class QuerySource:
    """The parsed query string: every value of each key, in order (last one wins for a scalar, as in Starlette)."""

    __slots__ = ("_lists",)

    def __init__(self, lists: dict[str, list[str]]) -> None:
        self._lists = lists

    def get(self, key: str) -> str | None:
        values = self._lists.get(key)
        return values[-1] if values else None

    def getlist(self, key: str) -> list[str]:
        return list(self._lists.get(key, ()))

    def keys(self) -> Iterable[str]:
        return self._lists.keys()

    def multi_items(self) -> list[tuple[str, str]]:
        return [(key, value) for key, values in self._lists.items() for value in values]


def group_pairs(pairs: Iterable[tuple[str, V]]) -> dict[str, list[V]]:
    """The values of (name, value) pairs grouped by name, each list in the order the pairs came."""
    grouped: dict[str, list[V]] = {}
    for name, value in pairs:
        grouped.setdefault(name, []).append(value)
    return grouped


def parse_query(raw: bytes) -> dict[str, list[str]]:
    """`parse_qsl(raw.decode("latin-1"), keep_blank_values=True)` grouped by key, as Starlette's QueryParams reads it.

    PERF: pieces without `%` or `+` skip unquoting entirely; about 4x faster than `QueryParams` on typical URLs.
    The grouping is `group_pairs`', inlined: feeding it a generator of pairs cost ~25% on a one-parameter query.
    """
    lists: dict[str, list[str]] = {}
    if not raw:
        return lists
    for piece in raw.decode("latin-1").split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        if "%" in piece or "+" in piece:
            name = unquote_plus(name)
            value = unquote_plus(value)
        values = lists.get(name)
        if values is None:
            lists[name] = [value]
        else:
            values.append(value)
    return lists


def query(scope: Scope) -> QuerySource:
    return QuerySource(parse_query(scope["query_string"]))


def headers(scope: Scope) -> Headers:
    return Headers(scope=scope)


def cookies(scope: Scope) -> MappingSource:
    for name, value in scope["headers"]:
        if name == b"cookie":
            return MappingSource(cookie_parser(value.decode("latin-1")))
    return MappingSource({})


def content_type(scope: Scope) -> str | None:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return str(value.decode("latin-1"))
    return None


def is_json_content(value: str | None, *, strict: bool) -> bool:
    """`application/json` or `application/*+json`; without a Content-Type only when not strict (FastAPI 0.165)."""
    if not value:
        return not strict
    main = value.split(";", 1)[0].strip().lower()
    maintype, _, subtype = main.partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


async def read_body(receive: Receive, scope: Scope, max_body_size: int | None = None) -> bytes:
    """The whole body of a route that parses it (JSON), bounded while it streams in.

    The limit is the route's `max_body_size`, else vivace's default (`limits.MAX_BODY_SIZE`); the declared
    Content-Length is checked before reading, the running total of a chunked body on every chunk. Any failure
    but a size limit (a client that disconnects) is FastAPI's 400.
    """
    limit = limits.MAX_BODY_SIZE if max_body_size is None else max_body_size
    declared = limits.content_length(scope)
    if declared is not None and declared > limit:
        raise limits.over_limit(limit, explicit=max_body_size is not None)
    chunks: list[bytes] = []
    seen = 0
    while True:
        try:
            message = await receive()
        except StarletteHTTPException:
            raise
        except Exception as exc:  # a failing server or middleware receive: FastAPI's 400, not a 500
            raise body_parse_error() from exc
        if message["type"] == "http.disconnect":
            raise body_parse_error() from ClientDisconnect()
        chunk = message.get("body", b"")
        if chunk:
            seen += len(chunk)
            if seen > limit:
                raise limits.over_limit(limit, explicit=max_body_size is not None)
            chunks.append(chunk)
        if not message.get("more_body", False):
            break
    # PERF: the common single-chunk body is returned without a join copy.
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def limit_receive(scope: Scope, receive: Receive, max_body_size: int | None) -> Receive:
    """`receive` bounded by an explicit `max_body_size` (bodies the endpoint reads itself count too)."""
    if max_body_size is None:
        return receive
    return limits.route_receive(scope, receive, max_body_size)


def body_parse_error() -> HTTPException:
    return HTTPException(status_code=400, detail="There was an error parsing the body")
