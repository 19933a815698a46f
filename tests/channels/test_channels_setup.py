"""Setting channels up: wrong options fail at construction, misuse fails with a clear message, and the Redis
client library stays optional."""

from __future__ import annotations

import subprocess
import sys

import anyio
import pytest

from vivace.channels import Channels, MemoryChannelBackend
from vivace.channels.redis import RedisChannelBackend


@pytest.mark.parametrize(
    "make",
    [
        lambda: Channels(queue_size=0),
        lambda: Channels(replay_page=0),
        lambda: Channels(overflow="drop_newest"),  # type: ignore[arg-type]
        lambda: MemoryChannelBackend(history=0),
        lambda: MemoryChannelBackend(max_age=0),
        lambda: RedisChannelBackend("redis://localhost", max_connections=1),
        lambda: RedisChannelBackend("redis://localhost", max_age=-1),
    ],
)
def test_invalid_options_fail_at_construction(make: object) -> None:
    """Bounds that would make no sense (empty queues, no history, one connection) are refused at once."""
    with pytest.raises(ValueError):
        make()  # type: ignore[operator]


def test_redis_backend_used_without_connecting_says_how_to_connect() -> None:
    """Publishing on Redis channels that were never connected names the dependency that connects them."""
    channels = Channels(RedisChannelBackend("redis://127.0.0.1:1/0"))
    with pytest.raises(RuntimeError, match=r'Depends\(channels.connect, scope="app"\)'):
        anyio.run(channels.publish, "room", "hello")


def test_channels_serve_one_application_at_a_time() -> None:
    """Entering the same channels twice at once is an error; after leaving they can be entered again."""

    async def scenario() -> None:
        channels = Channels()
        async with channels:
            with pytest.raises(RuntimeError, match="already connected"):
                await channels.__aenter__()
        async with channels:
            assert await channels.publish("again", 1) == "1"

    anyio.run(scenario)


def test_importing_channels_does_not_import_redis() -> None:
    """`import vivace.channels` works without the redis extra: only `vivace.channels.redis` needs it."""
    code = "import sys, vivace.channels; assert not any(m.split('.')[0] == 'redis' for m in sys.modules), sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_memory_channels_work_under_trio() -> None:
    """The memory backend needs no asyncio: a subscriber waiting under trio is woken by a publish."""
    from channels_support import take

    channels = Channels()
    received: list[object] = []

    async def scenario() -> None:
        async with channels, channels.subscribe("t") as subscription, anyio.create_task_group() as group:

            async def listen() -> None:
                received.extend(item.data for item in await take(subscription, 2))  # type: ignore[union-attr]

            group.start_soon(listen)
            await anyio.sleep(0.01)
            await channels.publish("t", 1)
            await anyio.sleep(0.01)
            await channels.publish("t", 2)

    anyio.run(scenario, backend="trio")
    assert received == [1, 2]
