"""The app bench/beyond.py serves: rate limiting, response caching and channel fan-out (vivace only).

Every feature has a memory route and, when `BENCH_REDIS_URL` is set, a Redis route; each measured route has a
baseline that does the same work without the feature:

- `/plain` (a small dict) vs `/limited/memory` and `/limited/redis`, the same endpoint behind a `RateLimit`
  whose limit is never reached, so every request pays for a full check and its two headers;
- `/models` (100 Pydantic models through `response_model`, bench/app.py's `/users`) vs `/cached/memory` and
  `/cached/redis`, the same endpoint cached (hits, or 304s with `If-None-Match`);
- `/feed/{backend}` (an SSE subscription to one channel) with `POST /publish/{backend}?count=N`, which
  publishes N messages to it at once, for the fan-out to many subscribers.
"""

import os
from collections.abc import AsyncIterator
from typing import Annotated

from pydantic import BaseModel

from vivace import Depends, FastAPI, Query
from vivace.cache import Cache
from vivace.channels import Channels, Subscription
from vivace.ratelimit import RateLimit
from vivace.sse import EventSourceResponse, ServerSentEvent

REDIS_URL = os.environ.get("BENCH_REDIS_URL")
CHANNEL = "bench"
# NOTE: room for a whole burst per subscriber, so the fan-out measures delivery, not the overflow policy
QUEUE_SIZE = 1000
# NOTE: a million a second (the most a rate may be) spends one microsecond of a one-second budget per request
NEVER_REACHED = RateLimit(limit=1_000_000, period=1)

app = FastAPI(title="vivace beyond-one-process benchmark app")


class User(BaseModel):
    id: int
    name: str
    email: str
    active: bool
    score: float


USERS = [
    User(id=i, name=f"user {i}", email=f"user{i}@example.com", active=i % 3 != 0, score=i * 1.5) for i in range(100)
]

memory_cache = Cache(namespace="bench")
memory_channels = Channels(queue_size=QUEUE_SIZE)
caches: dict[str, Cache] = {"memory": memory_cache}
channels: dict[str, Channels] = {"memory": memory_channels}
limits: dict[str, RateLimit] = {"memory": NEVER_REACHED}

if REDIS_URL is not None:
    from vivace.cache.redis import RedisCacheBackend
    from vivace.channels.redis import RedisChannelBackend
    from vivace.ratelimit.redis import RedisRateLimitBackend

    # NOTE: the ignore: CacheBackend types `lifespan` as an attribute, which RedisCacheBackend's narrower one fails
    caches["redis"] = Cache(RedisCacheBackend(REDIS_URL), namespace="bench")  # type: ignore[arg-type]
    channels["redis"] = Channels(RedisChannelBackend(REDIS_URL, prefix="bench:channel:"), queue_size=QUEUE_SIZE)
    limits["redis"] = RateLimit(limit=1_000_000, period=1, backend=RedisRateLimitBackend(REDIS_URL))


@app.get("/plain", response_model=None)
async def plain() -> dict[str, str]:
    return {"message": "Hello World"}


@app.get("/models", response_model=list[User])
async def models() -> list[User]:
    return USERS


for backend, limit in limits.items():
    app.add_api_route(f"/limited/{backend}", plain, dependencies=[Depends(limit)], response_model=None)

for backend, cache in caches.items():
    app.add_api_route(f"/cached/{backend}", cache.cached(ttl=3600)(models), response_model=list[User])


def add_channel_routes(backend: str, opened: Channels) -> None:
    """`/feed/{backend}`, `POST /publish/{backend}` and `/subscribers/{backend}` on one `Channels`."""
    channels_dep = Annotated[Channels, Depends(opened.connect, scope="app")]

    async def subscribe(live: channels_dep) -> AsyncIterator[Subscription]:
        async with live.subscribe(CHANNEL) as subscription:
            yield subscription

    async def feed(subscription: Annotated[Subscription, Depends(subscribe)]) -> AsyncIterator[ServerSentEvent]:
        async for item in subscription:
            yield item.event()

    async def publish(live: channels_dep, count: Annotated[int, Query(ge=1, le=100_000)] = 100) -> dict[str, int]:
        for n in range(count):
            await live.publish(CHANNEL, {"n": n, "text": "a message for every subscriber"})
        return {"published": count}

    async def subscribers(live: channels_dep) -> dict[str, int]:
        return {"subscribers": live.subscriber_count(CHANNEL)}

    app.add_api_route(f"/feed/{backend}", feed, response_class=EventSourceResponse)
    app.add_api_route(f"/publish/{backend}", publish, methods=["POST"])
    app.add_api_route(f"/subscribers/{backend}", subscribers)


for backend, opened in channels.items():
    add_channel_routes(backend, opened)
