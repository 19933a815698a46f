"""`Cache`: response caching for path operations, in front of a backend (memory or Redis).

Per request to a cached endpoint (see `serve`): build the key; a stored entry answers at once (304 when the
client's ETag matches) without running the endpoint; on a miss, one request per key computes (the others of
this process wait for it, other processes wait on the backend's lock), stores, and answers.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, Literal

import anyio
from starlette.requests import Request
from starlette.responses import Response

from vivace._backends import BackendUnavailable, unavailable
from vivace.cache._backend import CacheBackend, Claim
from vivace.cache._entry import Entry
from vivace.cache._key import TagSpec
from vivace.cache._memory import MemoryCacheBackend
from vivace.cache._policy import CachePolicy
from vivace.cache._render import render
from vivace.cache._wrap import Compute
from vivace.params import Depends

__all__ = ["Cache"]

FEATURE = "cache"
SAFE_METHODS = frozenset({"GET", "HEAD"})
logger = logging.getLogger("vivace.cache")


class _Flight:
    """One computation of a key in this process; requests arriving meanwhile wait for its entry."""

    __slots__ = ("done", "entry", "unavailable")

    def __init__(self) -> None:
        self.done = anyio.Event()
        self.entry: Entry | None = None
        self.unavailable = False


class Cache:
    """Response caching for path operations.

    `backend` stores the entries (a `MemoryCacheBackend()` by default: one process; `vivace.cache.redis` for
    several). `namespace` prefixes every key and tag, so caches can share a store. `on_unavailable` decides what
    a request sees when the store is lost while serving: "bypass" (the default) runs the endpoint uncached,
    "error" answers 503 with a JSON body and Retry-After. For `outage_backoff` seconds after a failure, requests
    do not try the store again (so a store that hangs delays one request a second, not all of them).

    Use `cached(...)` as a decorator on path operations; `Depends(cache)` hands the cache to an endpoint (and
    opens its store at startup) for `invalidate` and `invalidate_tags`.
    """

    def __init__(
        self,
        backend: CacheBackend | None = None,
        *,
        namespace: str = "vivace-cache",
        on_unavailable: Literal["bypass", "error"] = "bypass",
        outage_backoff: float = 1.0,
    ) -> None:
        if on_unavailable not in ("bypass", "error"):
            raise ValueError('Cache(on_unavailable=...) is "bypass" or "error"')
        if outage_backoff < 0:
            raise ValueError("Cache(outage_backoff=...) must be zero or more seconds")
        self.backend: CacheBackend = MemoryCacheBackend() if backend is None else backend
        self.namespace = namespace
        self.on_unavailable = on_unavailable
        self._flights: dict[str, _Flight] = {}
        self.outage_backoff = outage_backoff
        self._healthy = True
        self._retry_at = 0.0  # monotonic time from which a lost store is tried again
        # PERF: the memory backend's synchronous lookup, so a hit is answered without a coroutine of the store's
        # (not for a subclass with a `get` of its own)
        backend = self.backend
        memory = isinstance(backend, MemoryCacheBackend) and type(backend).get is MemoryCacheBackend.get
        self._peek = backend.peek if memory else None  # type: ignore[attr-defined]
        lifespan = self.backend.lifespan
        params = []
        if lifespan is not None:  # NOTE: `Depends(cache)` opens the store at startup, like a cached route does
            store = Annotated[Any, Depends(lifespan, scope="app")]
            params.append(inspect.Parameter("store", inspect.Parameter.KEYWORD_ONLY, annotation=store))
        self.__signature__ = inspect.Signature(params, return_annotation=Cache)

    async def __call__(self, store: Any = None) -> Cache:
        return self

    def cached(
        self,
        *,
        ttl: float,
        query: bool | Iterable[str] = True,
        headers: Iterable[str] = (),
        user: Any = None,
        tags: Iterable[TagSpec] = (),
        statuses: Iterable[int] = (200,),
        store_headers: Iterable[str] = (),
        max_age: int | None = None,
        private: bool | None = None,
        vary_user: Iterable[str] = ("Authorization", "Cookie"),
    ) -> CachePolicy:
        """A caching policy, to decorate path operations with (below `@app.get(...)`).

        Args:
            ttl: seconds an answer stays stored.
            query: which query parameters are part of the key: True (all), False (none) or a list of names.
            headers: request headers that are part of the key (and listed in Vary).
            user: a dependency (`Depends(get_user_id)` or the function) whose value is part of the key: each
                user gets their own entries, answers are `private` and vary on `vary_user`.
            tags: names to invalidate entries by; a callable takes the `Request` and returns a tag.
            statuses: the status codes kept (200 only by default).
            store_headers: response headers kept with the body (besides the content type).
            max_age: Cache-Control max-age; by default the seconds the entry has left.
            private: force Cache-Control private (True) or public (False); by default private when keyed by user.
            vary_user: headers listed in Vary when keyed by user.
        """
        return CachePolicy(
            self, ttl=ttl, query=query, headers=headers, user=user, tags=tags, statuses=statuses,
            store_headers=store_headers, max_age=max_age, private=private, vary_user=vary_user,
        )  # fmt: skip

    def tag_name(self, tag: str) -> str:
        """The store's name for `tag`; its length keeps it apart from any name a store derives from it."""
        return f"{self.namespace}:tag:{len(tag)}:{tag}"

    async def invalidate(self, *keys: str) -> int:
        """Remove the entries under these keys (from `CachePolicy.key`); returns how many there were.

        Raises the 503 `HTTPException` when the store is unreachable: an invalidation is never skipped silently.
        """
        try:
            return await self.backend.delete(keys)
        except BackendUnavailable as exc:
            raise unavailable(FEATURE) from exc

    async def invalidate_tags(self, *tags: str) -> int:
        """Remove every entry stored under any of `tags`, and keep answers being computed right now for them
        from being stored; returns how many entries were removed. Raises like `invalidate`."""
        try:
            return await self.backend.invalidate_tags([self.tag_name(tag) for tag in tags])
        except BackendUnavailable as exc:
            raise unavailable(FEATURE) from exc

    async def serve(self, policy: CachePolicy, compute: Compute, request: Request, sub: Response, user: Any) -> Any:
        """One request to a cached endpoint: the stored answer, or the endpoint's, stored on the way."""
        scope = request.scope
        if scope["method"] not in SAFE_METHODS:
            return await compute()
        if not self._healthy and time.monotonic() < self._retry_at:
            return await self._without_store(compute, None)
        key = policy.keys.key(scope, user)
        peek = self._peek
        if peek is not None:
            entry = peek(key)
        else:
            try:
                entry = await self.backend.get(key)
            except BackendUnavailable as exc:
                return await self._without_store(compute, exc)
            if not self._healthy:
                self._recovered()
        if entry is not None:
            return policy.answer(entry, scope, sub, self.backend.now())
        flight = self._flights.get(key)
        if flight is not None:
            return await self._follow(flight, policy, compute, request, sub)
        flight = self._flights[key] = _Flight()
        try:
            return await self._compute(flight, policy, key, compute, request, sub)
        finally:
            del self._flights[key]
            flight.done.set()

    async def _follow(
        self, flight: _Flight, policy: CachePolicy, compute: Compute, request: Request, sub: Response
    ) -> Any:
        """Wait for this process's computation of the key; compute alone if it kept nothing."""
        await flight.done.wait()
        if flight.entry is not None:
            return policy.answer(flight.entry, request.scope, sub, self.backend.now())
        if flight.unavailable:
            return await self._without_store(compute, None)
        return await compute()

    async def _compute(
        self, flight: _Flight, policy: CachePolicy, key: str, compute: Compute, request: Request, sub: Response
    ) -> Any:
        tags = policy.tags_for(request)
        try:
            claim = await self.backend.claim(key, tags)
        except BackendUnavailable as exc:
            flight.unavailable = True
            return await self._without_store(compute, exc)
        if claim.entry is not None:  # another process computed it while this one waited
            flight.entry = claim.entry
            return policy.answer(claim.entry, request.scope, sub, self.backend.now())
        try:
            result = await compute()
            rendered = render(result, request.scope, sub)
            now = self.backend.now()
            entry = None if rendered is None else policy.entry_for(rendered, now + policy.ttl)
        except BaseException:
            await self._release(key, claim)
            raise
        if entry is None:
            await self._release(key, claim)
            return result if rendered is None else rendered.response
        await self._store(key, entry, policy, tags, claim)
        flight.entry = entry
        response = policy.answer(entry, request.scope, sub, now)
        if isinstance(result, Response):
            response.background = result.background  # NOTE: tasks the endpoint attached to its own response
        return response

    async def _store(self, key: str, entry: Entry, policy: CachePolicy, tags: Sequence[str], claim: Claim) -> None:
        try:
            await self.backend.store(key, entry, policy.ttl, tags, claim)
        except BackendUnavailable as exc:
            self._lost(exc)  # NOTE: the answer is computed already; it is sent, only not kept

    async def _release(self, key: str, claim: Claim) -> None:
        with anyio.CancelScope(shield=True):  # NOTE: also when the request was cancelled mid-computation
            try:
                await self.backend.release(key, claim)
            except BackendUnavailable as exc:
                self._lost(exc)  # the lock expires by itself

    async def _without_store(self, compute: Compute, exc: BackendUnavailable | None) -> Any:
        if exc is not None:
            self._lost(exc)
        if self.on_unavailable == "error":
            raise unavailable(FEATURE) from exc
        return await compute()

    def _lost(self, exc: BackendUnavailable) -> None:
        self._retry_at = time.monotonic() + self.outage_backoff
        if self._healthy:
            self._healthy = False
            logger.warning("cache store unavailable, %s: %s", self._outage_behaviour(), exc)

    def _recovered(self) -> None:
        self._healthy = True
        logger.info("cache store reachable again: caching resumed")

    def _outage_behaviour(self) -> str:
        return "answering 503" if self.on_unavailable == "error" else "running endpoints uncached"
