"""Helpers shared by the durable-task tests."""

from __future__ import annotations

import anyio


class RecordedSleep:
    """Stands in for `anyio.sleep` between retries: remembers the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.lowlevel.checkpoint()
