"""Helpers for the channels tests: collect items from a subscription, wait for a condition, both bounded."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import anyio

from vivace.channels import Gap, Message, Subscription

Item = Message | Gap
TIMEOUT = 10.0  # generous: the machine is shared and loaded


async def take(subscription: Subscription, count: int, timeout: float = TIMEOUT) -> list[Item]:
    """The next `count` items of `subscription` (fails if they do not come in time)."""
    items: list[Item] = []
    with anyio.fail_after(timeout):
        async for item in subscription:
            items.append(item)
            if len(items) == count:
                break
    return items


async def wait_until(condition: Callable[[], bool], timeout: float = TIMEOUT) -> None:
    with anyio.fail_after(timeout):
        while not condition():
            await anyio.sleep(0.005)


def ids(items: list[Item]) -> list[str]:
    return [item.id for item in items if isinstance(item, Message)]


def other_tasks() -> set[asyncio.Task[object]]:
    """The event loop's tasks besides the one asking."""
    return asyncio.all_tasks() - {asyncio.current_task()}  # type: ignore[operator]
