"""The cached answers of `GET /notes`: one per user and query, dropped as soon as a note of that user changes.

A cached answer carries an `ETag`; a client that sends it back in `If-None-Match` gets a 304 without the
database being asked for the page. Answers are keyed by the signed-in user (and marked `private`) and by the
query string, and tagged with their user, so that a write to one user's notes drops every cached list of that
user, on every worker when the cache lives in Redis (see `shared.py`), and nobody else's.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, cast

from vivace import Depends, HTTPException, Request, status
from vivace.cache import Cache, CacheBackend

from .security import CurrentUser
from .shared import SharedCacheBackend

__all__ = ["LIST_TTL", "NOT_MODIFIED", "ListsCacheDep", "cached_list", "forget_lists", "lists_cache"]

logger = logging.getLogger("examples.cached_lists")

# NOTE: writes drop their user's lists at once; the time to live only bounds what an invalidation lost to a
# Redis outage can leave behind.
LIST_TTL = 60
NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the `If-None-Match` entity tag is the current one"}
}

# NOTE: the protocol's `lifespan` takes no parameter, but vivace resolves it as an app-scoped dependency, which
# may depend on others (here the settings): the cast says so to the type checker.
lists_cache = Cache(cast("CacheBackend", SharedCacheBackend()), namespace="vivace-notes")


def _owner_tag(user_id: int) -> str:
    return f"notes-of:{user_id}"


async def list_owner(user: CurrentUser, request: Request) -> int:
    """Whose list it is: the user part of the cache key (the same user dependency the endpoint runs).

    NOTE: kept on the request too, because a tag is computed from the request alone.
    """
    request.state.list_owner = user.id
    return user.id


def _tag_of(request: Request) -> str:
    owner: int = request.state.list_owner
    return _owner_tag(owner)


cached_list = lists_cache.cached(ttl=LIST_TTL, user=list_owner, tags=[_tag_of])

ListsCacheDep = Annotated[Cache, Depends(lists_cache)]


async def forget_lists(cache: Cache, user_id: int) -> None:
    """Drop `user_id`'s cached lists, after a write to one of their notes has been committed.

    The write has happened, so a store that cannot be reached (a 503 from the cache) must not turn its answer
    into an error: that is logged, and entries left behind expire within `LIST_TTL` seconds.
    """
    try:
        await cache.invalidate_tags(_owner_tag(user_id))
    except HTTPException as exc:
        if exc.status_code != status.HTTP_503_SERVICE_UNAVAILABLE:
            raise
        logger.warning("notes cache: lists of user %d not invalidated, the store is unreachable", user_id)
