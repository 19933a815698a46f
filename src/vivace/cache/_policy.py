"""`CachePolicy`: how one group of path operations is cached, and the decorator that applies it."""

from __future__ import annotations

import functools
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar, cast

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from vivace.cache._backend import CacheBackend
from vivace.cache._entry import Entry, etag_for, matches_etag
from vivace.cache._key import KeyPolicy, TagSpec, request_scope
from vivace.cache._render import ReadyResponse, Rendered
from vivace.cache._wrap import Compute, wrap_endpoint
from vivace.params import Depends

__all__ = ["CachePolicy"]

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])

# Headers the cache writes itself; an endpoint's own values for them are never stored.
MANAGED = frozenset({b"content-length", b"content-type", b"etag", b"cache-control", b"vary", b"set-cookie"})
_NOT_STORABLE = ("no-store", "private", "no-cache")
_UNSET: Any = object()


class Owner(Protocol):
    """What a policy needs from its `Cache` (a protocol, so the two modules do not import each other)."""

    namespace: str
    backend: CacheBackend

    def tag_name(self, tag: str) -> str: ...

    async def serve(self, policy: CachePolicy, compute: Compute, request: Request, sub: Response, user: Any) -> Any: ...


class CachePolicy:
    """Caching options for path operations; decorate an endpoint with it (below the route decorator).

    Made by `Cache.cached(...)`, whose docstring lists the options. Keep a reference to compute keys for
    `Cache.invalidate` with `key(...)`.
    """

    def __init__(
        self,
        cache: Owner,
        *,
        ttl: float,
        query: bool | Iterable[str],
        headers: Iterable[str],
        user: Any,
        tags: Iterable[TagSpec],
        statuses: Iterable[int],
        store_headers: Iterable[str],
        max_age: int | None,
        private: bool | None,
        vary_user: Iterable[str],
    ) -> None:
        if ttl <= 0:
            raise ValueError("cached(ttl=...) must be a positive number of seconds")
        if max_age is not None and max_age < 0:
            raise ValueError("cached(max_age=...) must be zero or more seconds")
        self.cache = cache
        self.ttl = float(ttl)
        self.user = _as_dependency(user)
        header_names = sorted(_names(headers), key=str.lower)
        self.keys = KeyPolicy.build(cache.namespace, query, header_names, self.user is not None)
        tag_list = [tags] if isinstance(tags, str) else list(tags)
        self._tags = tuple(cache.tag_name(tag) for tag in tag_list if isinstance(tag, str))
        self._tag_makers = tuple(tag for tag in tag_list if not isinstance(tag, str))
        self.statuses = frozenset(statuses)
        self._stored = frozenset(name.lower().encode("latin-1") for name in _names(store_headers)) - MANAGED
        self._managed = (MANAGED - {b"set-cookie"}) | self._stored  # a dependency's cookie reaches its client
        vary = [*header_names, *(_names(vary_user) if self.user is not None else ())]
        self._vary = ", ".join(dict.fromkeys(vary)).encode("latin-1")
        self.private = self.user is not None if private is None else private
        self.max_age = max_age
        self._fixed_control = None if max_age is None else self._control(max_age, self.private)
        # PERF: what the cached endpoint calls per request, bound here: no coroutine frame of the policy's own
        self.serve: Callable[[Compute, Request, Response, Any], Awaitable[Any]] = functools.partial(cache.serve, self)

    def __call__(self, endpoint: Endpoint) -> Endpoint:
        return cast("Endpoint", wrap_endpoint(endpoint, self))

    def __repr__(self) -> str:
        return f"CachePolicy(ttl={self.ttl:g}, {self.keys!r}, tags={self._tags!r})"

    def lifespan(self) -> Callable[..., Any] | None:
        return self.cache.backend.lifespan

    def key(
        self,
        path: str,
        *,
        method: str = "GET",
        query: Mapping[str, Any] | Sequence[tuple[str, Any]] | None = None,
        headers: Mapping[str, str] | None = None,
        user: Any = _UNSET,
    ) -> str:
        """The key a request for `path` with these query parameters, headers and user is cached under."""
        if (user is _UNSET) == (self.user is not None):
            needed = "needs" if self.user is not None else "takes no"
            raise ValueError(f"this policy {needed} user=... to compute a key")
        return self.keys.key(request_scope(path, method, query, headers or {}), None if user is _UNSET else user)

    def tags_for(self, request: Request) -> tuple[str, ...]:
        if not self._tag_makers:
            return self._tags
        return self._tags + tuple(self.cache.tag_name(make(request)) for make in self._tag_makers)

    def entry_for(self, rendered: Rendered, expires: float) -> Entry | None:
        """The entry to keep for an answer, or None when it must not be kept (status, cookies, no-store)."""
        if rendered.status not in self.statuses:
            return None
        stored: list[tuple[bytes, bytes]] = []
        vary = [self._vary] if self._vary else []
        content_type = None
        for name, value in rendered.headers:
            if name == b"set-cookie":
                return None
            if name == b"cache-control" and any(word in value.decode("latin-1").lower() for word in _NOT_STORABLE):
                return None
            if name == b"content-type" and content_type is None:
                content_type = (name, value)
            elif name == b"vary":
                vary.append(value)
            elif name in self._stored:
                stored.append((name, value))
        etag = etag_for(rendered.body)
        validators = ((b"etag", etag), (b"vary", b", ".join(vary))) if vary else ((b"etag", etag),)
        head: list[tuple[bytes, bytes]] = [(b"content-length", str(len(rendered.body)).encode())]
        if content_type is not None:
            head.append(content_type)
        return Entry(rendered.status, rendered.body, (*head, *stored, *validators), validators, etag, expires)

    def answer(self, entry: Entry, scope: Scope, sub: Response | None, now: float) -> Response:
        """A 304 when the request's If-None-Match matches the entry, else the stored answer."""
        extra = self._extra_headers(sub) if sub is not None and sub.raw_headers else None
        control = self._fixed_control
        if control is None or extra:
            private = self.private or (extra is not None and any(name == b"set-cookie" for name, _ in extra))
            # NOTE: clamped to the ttl: `(now + ttl) - now` can round just above the ttl in floating point, and
            # ceil() then said max-age=61 for a 60-second entry
            left = min(math.ceil(self.ttl), math.ceil(entry.expires - now))
            age = self.max_age if self.max_age is not None else max(0, left)
            control = self._control(age, private)
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if matches_etag(value, entry.etag):
                    return ReadyResponse(304, [*entry.validators, (b"cache-control", control), *(extra or ())], b"")
                break
        headers = [*entry.headers, (b"cache-control", control), *(extra or ())]
        return ReadyResponse(entry.status, headers, b"" if scope["method"] == "HEAD" else entry.body)

    def _extra_headers(self, sub: Response) -> list[tuple[bytes, bytes]]:
        """Headers dependencies set on the injected Response for this request (never stored with the entry)."""
        return [(name, value) for name, value in sub.raw_headers if name not in self._managed]

    @staticmethod
    @functools.lru_cache(maxsize=4096)  # PERF: one Cache-Control value per (age, privacy), formatted once
    def _control(max_age: int, private: bool) -> bytes:
        return f"{'private' if private else 'public'}, max-age={max_age}".encode()


def _names(names: Iterable[str]) -> tuple[str, ...]:
    """Header names as given; a lone string is one name, not a sequence of letters."""
    return (names,) if isinstance(names, str) else tuple(names)


def _as_dependency(user: Any) -> Depends | None:
    if user is None or isinstance(user, Depends):
        return user
    if callable(user):
        return Depends(user)
    raise TypeError("cached(user=...) takes a dependency: Depends(get_user_id) or the function itself")
