"""`/changes`: the signed-in user's audit log, as a list and as a live Server-Sent Events stream."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from vivace import APIRouter, Depends, Header, Query
from vivace.sse import EventSourceResponse, ServerSentEvent

from .changelog import changes_after
from .database import SessionDep
from .feed import Changes, FeedDep
from .schemas import MAX_ROW_ID, ChangeOut
from .security import CurrentUser

__all__ = ["REPLAY_LIMIT", "RETRY_MS", "router"]

router = APIRouter()

REPLAY_LIMIT = 1000  # at most this many missed changes are replayed to a reconnecting client
RETRY_MS = 3000  # how long an EventSource waits before reconnecting
_FEED_UNAVAILABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "The live feed's shared store (Redis) cannot be reached; retry after `Retry-After`"}
}


@router.get("")
async def list_changes(
    user: CurrentUser,
    session: SessionDep,
    after: Annotated[
        int, Query(ge=0, le=MAX_ROW_ID, description="only changes with a larger id (keyset pagination)")
    ] = 0,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[ChangeOut]:
    """The audit log, oldest first; pass the last id you saw as `after` to get the next page."""
    return await changes_after(session, user.id, after, limit)


async def subscribe(feed: FeedDep, user: CurrentUser) -> AsyncIterator[Changes]:
    """Subscribe before the stream starts, so that no change made after the request is missed, and so that a
    shared store (Redis) that cannot be reached is a JSON 503 instead of a stream that breaks."""
    async with feed.subscribe(user.id) as changes:
        yield changes


def _event(change: ChangeOut) -> ServerSentEvent:
    return ServerSentEvent(data=change, event=change.action, id=str(change.id))


@router.get("/stream", response_class=EventSourceResponse, responses=_FEED_UNAVAILABLE)
async def stream_changes(
    user: CurrentUser,
    session: SessionDep,
    live: Annotated[Changes, Depends(subscribe)],
    last_event_id: Annotated[int | None, Header(ge=0, le=MAX_ROW_ID)] = None,
) -> AsyncIterator[ServerSentEvent]:
    """Each change as an event named after its action, with the audit log id as the event id.

    A client that reconnects with `Last-Event-ID` (browsers' EventSource do it by themselves) first gets the
    changes it missed from the audit log, then the live ones, whichever worker saved them. The stream ends
    when the application stops or the client falls too far behind; the reconnection then replays the rest.
    """
    yield ServerSentEvent(comment="connected", retry=RETRY_MS)
    seen = last_event_id or 0
    if last_event_id is not None:
        for change in await changes_after(session, user.id, last_event_id, REPLAY_LIMIT):
            seen = change.id
            yield _event(change)
    # NOTE: give the connection back to the pool now; the stream may stay open for hours.
    await session.close()
    async for change in live:
        if change.id > seen:  # NOTE: a change made during the replay arrives from both sources
            yield _event(change)
