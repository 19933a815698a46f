"""`RateLimit`: a dependency that admits a request or answers 429, for a route, a router or the whole app.

Everything that does not depend on the request is settled in `__init__`: the numbers of the algorithm, the
header values, where the key comes from, the dependency signature. A request then costs a key lookup, one
store call and two appended headers.

PERF: counted by callgrind (bench/beyond_inprocess.py --instructions, bench/beyond_instructions.py), a `GET`
returning a small dict costs 43.6k instructions in-process and 135.4k with uvicorn; with a memory `RateLimit` on
the route, 47.7k and 150.2k (0.90x the throughput; 86k and 190k, 0.72x, as a dependency with `Request` and
`Response` parameters). The difference is the native step (`__vivace_native_step__`, see
`vivace._core.plan.DepStep.native`): on a route without request inputs the runner calls the memory backend's
`gate` with the scope, and adds the returned header fields to its prebuilt list. Of the 14.8k left, ~11k are
uvicorn writing the two header lines (it checks each byte), ~3k the check and ~1k the runner calling it.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Any, Literal

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from vivace._backends import BackendUnavailable, unavailable
from vivace.exceptions import HTTPException
from vivace.params import Depends
from vivace.ratelimit._backend import ConnectedBackend, RateLimitStore
from vivace.ratelimit._keys import UNKNOWN_CLIENT
from vivace.ratelimit._memory import MemoryRateLimitBackend
from vivace.ratelimit._rate import MICROSECONDS, Rate, parse_rate
from vivace.ratelimit._responses import openapi_responses

__all__ = ["FEATURE", "RateLimit"]

FEATURE = "rate limiting"
logger = logging.getLogger("vivace.ratelimit")

OnBackendError = Literal["fail_open", "fail_closed"]
KeyFunction = Callable[[Request], str]

# A policy name is a Structured Field string in the headers and part of every store key: keep it plain.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Longer keys (a header value chosen by the client, say) are stored as their digest, to bound the memory
# a client can make the store hold per key.
_MAX_KEY_LENGTH = 128
_ANY_ROUTE = "*"
_NANOSECONDS = 1000  # per microsecond: the memory backend's unit
# How many admitted answers' header fields a limiter keeps formatted; more (a huge burst) start again.
_MAX_FIELDS_MADE = 1024

HeaderFields = tuple[tuple[bytes, bytes], ...]


class RateLimit:
    """Admit `limit` requests per `period` seconds per key; answer 429 beyond that.

    Use it as a dependency: `dependencies=[Depends(RateLimit("10/minute"))]` on a route, an `APIRouter` or the
    app. See docs/guide/rate-limiting.md for every option.
    """

    def __init__(
        self,
        rate: str | None = None,
        *,
        limit: int | None = None,
        period: float | timedelta | None = None,
        burst: int | None = None,
        name: str = "default",
        shared: bool = False,
        key: KeyFunction | Depends | None = None,
        backend: RateLimitStore | ConnectedBackend | None = None,
        on_backend_error: OnBackendError = "fail_open",
    ) -> None:
        limit, period = _limit_and_period(rate, limit, period)
        self.rate = Rate(limit, period, limit if burst is None else burst)
        if not _NAME.match(name):
            raise ValueError(f"a rate limit name is 1-64 letters, digits, '-', '_' or '.', not {name!r}")
        if on_backend_error not in ("fail_open", "fail_closed"):
            raise ValueError(f"on_backend_error is 'fail_open' or 'fail_closed', not {on_backend_error!r}")
        self.name = name
        self.shared = shared
        self.on_backend_error = on_backend_error
        self.backend = MemoryRateLimitBackend() if backend is None else backend
        self._interval = self.rate.interval
        self._capacity = self.rate.capacity
        if not (key is None or isinstance(key, Depends) or callable(key)):
            raise TypeError(f"key is a function of the request or Depends(...), not {key!r}")
        # None: the peer address (also when a key dependency gives None); see `client_address`
        self._key_function = None if key is None or isinstance(key, Depends) else key
        self._key_dependency = isinstance(key, Depends)
        self._prefix = f"{name}:{self.rate.limit}/{self.rate.period}/{self.rate.burst}:"
        self._route_prefixes: dict[int, str] = {}
        self._routes: list[Any] = []
        self._shared_prefix = self._prefix + _ANY_ROUTE + ":" if shared else None
        self._degraded = False
        self._set_headers(name)
        self._store, self.__signature__ = self._plan_signature(key)
        memory = self.backend if isinstance(self.backend, MemoryRateLimitBackend) else None
        self._check_in_memory = memory.check if memory is not None else None
        self._detail = f"Rate limit exceeded: {self.rate}"

    def _set_headers(self, name: str) -> None:
        quoted = f'"{name}"'
        self._policy = f"{quoted};q={self.rate.limit};w={self.rate.period}"
        self._policy_field = (b"ratelimit-policy", self._policy.encode("ascii"))
        self._quoted = quoted
        self._state_format = quoted.encode("ascii") + b";r=%d;t=%d"
        # the two header fields of an admitted answer, by `remaining * _stride + reset` (see `_fields`)
        self._fields_made: dict[int, HeaderFields] = {}
        self._stride = -(-self._capacity // MICROSECONDS) + 1  # more than any `t` of an admitted answer

    def _plan_signature(self, key: KeyFunction | Depends | None) -> tuple[RateLimitStore, inspect.Signature]:
        """The store to use directly (a placeholder when it is connected at startup) and the dependency's
        parameters."""
        keyword = inspect.Parameter.KEYWORD_ONLY
        parameters = [
            inspect.Parameter("request", keyword, annotation=Request),
            inspect.Parameter("response", keyword, annotation=Response),
        ]
        if isinstance(key, Depends):
            parameters.append(inspect.Parameter("key", keyword, annotation=Annotated[Any, key]))
        backend = self.backend
        store: RateLimitStore = _CONNECTED_AT_STARTUP
        if isinstance(backend, RateLimitStore):
            store = backend
        elif isinstance(backend, ConnectedBackend):
            connect = Depends(backend.connect, scope="app")
            parameters.append(inspect.Parameter("store", keyword, annotation=Annotated[Any, connect]))
        else:
            raise TypeError(f"a rate limit backend has `hit` (a store) or `connect`, not {backend!r}")
        return store, inspect.Signature(parameters, return_annotation=None)

    def __repr__(self) -> str:
        scope = "shared" if self.shared else "per route"
        return f"RateLimit({str(self.rate)!r}, name={self.name!r}, {scope}, backend={self.backend!r})"

    @property
    def __openapi_responses__(self) -> dict[int, dict[str, Any]]:
        """The 429 (and, failing closed, 503) answers, for the OpenAPI document of routes that use this limiter."""
        fail_closed = self.on_backend_error == "fail_closed" and self._store is _CONNECTED_AT_STARTUP
        wait = -(-self._interval // MICROSECONDS)  # what a client that spent its budget at once is told
        return openapi_responses(self._policy, f"{self._quoted};r=0;t={wait}", wait, fail_closed)

    async def __call__(
        self, *, request: Request, response: Response, key: Any = None, store: RateLimitStore | None = None
    ) -> None:
        scope = request.scope
        if key is None:
            key_function = self._key_function
            if key_function is None:
                # PERF: the default key (the peer address) read here rather than through client_address(); the
                # server reports it, so it needs no length bound
                client = scope.get("client")
                key = client[0] if client else UNKNOWN_CLIENT
            else:
                key = _bounded(key_function(request))
        else:
            key = _bounded(key if type(key) is str else str(key))
        prefix = self._shared_prefix or self._route_prefixes.get(id(scope.get("route"))) or self._route_prefix(scope)
        capacity = self._capacity
        check = self._check_in_memory
        if check is not None:
            # PERF: the memory backend's synchronous check, without a coroutine per request (~0.2 µs)
            debt = check(prefix + key, self._interval, capacity)
        else:
            counted = await self._count(prefix + key, store)
            if counted is None:
                return
            debt = counted
        if debt > capacity:
            raise self._refusal(debt)
        # PERF: appended to the raw list rather than set through `response.headers` (about 1 µs less per header)
        response.raw_headers += self._fields(debt)

    def __vivace_native_step__(self, route: Any) -> Callable[[Scope], HeaderFields] | None:
        """The check as `route`'s flat runner calls it, without a Context (see `vivace._core.plan.DepStep.native`):
        for a memory backend and a key that is not a dependency; None otherwise (and for subclasses with a `__call__`
        of their own), and the limiter runs as the dependency it is."""
        memory = self.backend
        if not isinstance(memory, MemoryRateLimitBackend) or self._key_dependency:
            return None
        if type(self).__call__ is not RateLimit.__call__:
            return None
        prefix = self._shared_prefix or self._prefix_of(route, route.path_format)
        capacity = self._capacity
        fields = self._fields
        refusal = self._refusal

        def owing(debt: int) -> HeaderFields:
            debt = -(-debt // _NANOSECONDS)  # NOTE: rounded up: beyond the capacity in nanoseconds is beyond it here
            if debt > capacity:
                raise refusal(debt)
            return fields(debt)

        # a client whose budget was whole (most requests, under a limit rarely reached) gets ready fields
        whole = self._fields(self._interval)
        key_function = self._key_function
        if key_function is None:
            return memory.gate(self._interval, capacity, prefix, whole=whole, owing=owing, by_peer=True)
        spend = memory.gate(self._interval, capacity, prefix, whole=whole, owing=owing)

        def check_keyed_limit(scope: Scope) -> HeaderFields:
            return spend(_bounded(key_function(Request(scope))))

        return check_keyed_limit

    def _fields(self, debt: int) -> HeaderFields:
        """`RateLimit-Policy` and `RateLimit` of an answer admitted with `debt`: `r` is the whole requests left, `t`
        the seconds until the budget is whole, rounded up."""
        remaining = (self._capacity - debt) // self._interval
        reset = -(-debt // MICROSECONDS)
        made = self._fields_made
        # PERF: the few (r, t) pairs a limiter answers with are formatted once each
        key = remaining * self._stride + reset
        found = made.get(key)
        if found is None:
            if len(made) >= _MAX_FIELDS_MADE:
                made.clear()
            found = made[key] = (self._policy_field, (b"ratelimit", self._state_format % (remaining, reset)))
        return found

    async def _count(self, key: str, store: RateLimitStore | None) -> int | None:
        """Ask the store; None when it is unavailable and this limiter fails open."""
        try:
            counted = await (self._store if store is None else store).hit(key, self._interval, self._capacity)
        except BackendUnavailable as exc:
            self._backend_failed(exc)
            return None
        if self._degraded:
            self._backend_recovered()
        return counted

    def _route_prefix(self, scope: Scope) -> str:
        """The key prefix of the matched route: its methods and path template, the same in every process."""
        route = scope.get("route")
        prefix = self._route_prefixes.get(id(route))
        if prefix is None:
            prefix = self._route_prefixes[id(route)] = self._prefix_of(route, scope["path"])
            # NOTE: routes are not hashable; holding each one keeps its id from being reused by another object
            self._routes.append(route)
        return prefix

    def _prefix_of(self, route: Any, path: str) -> str:
        """The key prefix of `route` (`path` when it has no path template)."""
        path = getattr(route, "path_format", None) or path
        methods = ",".join(sorted(getattr(route, "methods", None) or ()))
        return f"{self._prefix}{methods} {path}:"

    def _refusal(self, debt: int) -> HTTPException:
        wait = -(-(debt - self._capacity) // MICROSECONDS)
        headers = {
            "Retry-After": str(wait),
            "RateLimit-Policy": self._policy,
            "RateLimit": f"{self._quoted};r=0;t={wait}",
        }
        return HTTPException(status_code=429, detail=self._detail, headers=headers)

    def _backend_failed(self, exc: BackendUnavailable) -> None:
        """Fail open (let the request through) or closed (503); either way, warn once per outage."""
        fail_open = self.on_backend_error == "fail_open"
        if not self._degraded:
            self._degraded = True
            outcome = "requests pass without a check" if fail_open else "requests are refused with 503"
            logger.warning("%r: %s; %s until the store answers again", self, exc, outcome)
        if not fail_open:
            raise unavailable(FEATURE) from exc

    def _backend_recovered(self) -> None:
        self._degraded = False
        logger.warning("%r: the store answers again; requests are checked again", self)


class _ConnectedAtStartup:
    """The store of a limiter whose backend connects at startup: the request always brings the real one."""

    async def hit(self, key: str, interval: int, capacity: int) -> int:
        raise AssertionError("a connected backend's store comes from its app-scoped dependency")


_CONNECTED_AT_STARTUP = _ConnectedAtStartup()


def _bounded(key: str) -> str:
    """A key chosen by the client (a header, say) as it is when short, else its digest: bounded store memory."""
    return key if len(key) <= _MAX_KEY_LENGTH else hashlib.sha256(key.encode()).hexdigest()


def _limit_and_period(rate: str | None, limit: int | None, period: float | timedelta | None) -> tuple[int, int]:
    if rate is not None:
        if limit is not None or period is not None:
            raise TypeError("give the rate as a string ('10/minute') or as limit= and period=, not both")
        return parse_rate(rate)
    if limit is None or period is None:
        raise TypeError("a RateLimit needs a rate: RateLimit('10/minute') or RateLimit(limit=10, period=60)")
    seconds = period.total_seconds() if isinstance(period, timedelta) else period
    if seconds != int(seconds):
        raise ValueError(f"a rate period is a whole number of seconds, not {seconds}")
    return limit, int(seconds)
