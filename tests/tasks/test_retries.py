"""Retries with exponential backoff, per-attempt time limits, and the dead-letter list."""

# NOTE: no `from __future__ import annotations`: tasks and dependencies are defined inside the tests

import time
from typing import Annotated

import anyio
import pytest
from tasks_support import RecordedSleep

from vivace import Depends
from vivace.tasks import DeadLetter, RetryPolicy, TaskFailed, TaskInfo, Tasks, current_task


def fixed_clock() -> float:
    return 1_700_000_000.0


@pytest.mark.anyio
async def test_retries_back_off_exponentially_until_success(sleeps: RecordedSleep) -> None:
    """Each failed attempt waits backoff * 2**(n-1) (capped) before the next; the fourth attempt succeeds."""
    tasks = Tasks(sleep=sleeps)
    attempts: list[int] = []

    @tasks.task(retries=5, backoff=0.5, max_backoff=1.5)
    async def flaky(info: Annotated[TaskInfo, Depends(current_task)]) -> str:
        attempts.append(info.attempt)
        if info.attempt < 4:
            raise ConnectionError("service down")
        return f"ok after {info.attempt} of {info.max_attempts}"

    async with tasks:
        handle = await flaky.enqueue()
        assert await handle.result(timeout=10) == "ok after 4 of 6"
        assert await tasks.dead_letters() == []
    assert attempts == [1, 2, 3, 4]
    assert sleeps.delays == [0.5, 1.0, 1.5]


@pytest.mark.anyio
async def test_exhausted_retries_go_to_the_dead_letter_list(sleeps: RecordedSleep) -> None:
    """After the last retry the result is TaskFailed, and a dead letter records id, arguments, error, attempts."""
    tasks = Tasks(sleep=sleeps, clock=fixed_clock)

    @tasks.task(name="charge", retries=2, backoff=1.0)
    async def charge(customer: str, cents: int) -> None:
        raise RuntimeError(f"card of {customer} declined")

    async with tasks:
        handle = await charge.enqueue("ada", cents=500)
        with pytest.raises(TaskFailed) as failed:
            await handle.result(timeout=10)
        assert (failed.value.task, failed.value.task_id, failed.value.attempts) == ("charge", handle.id, 3)
        assert str(failed.value) == (
            f"task 'charge' ({handle.id}) failed after 3 attempts: RuntimeError: card of ada declined"
        )
        assert await tasks.dead_letters() == [
            DeadLetter(
                task_id=handle.id, task="charge", key=handle.id, arguments={"customer": "ada", "cents": 500},
                error="RuntimeError: card of ada declined", attempts=3, failed_at=1_700_000_000.0,
            )
        ]  # fmt: skip
    assert sleeps.delays == [1.0, 2.0]


@pytest.mark.anyio
async def test_only_listed_exceptions_are_retried(sleeps: RecordedSleep) -> None:
    """An exception outside retry_on fails the task at once, without waiting."""
    tasks = Tasks(sleep=sleeps)

    @tasks.task(retries=3, retry_on=(ConnectionError,))
    async def parse(text: str) -> int:
        return int(text)

    async with tasks:
        with pytest.raises(TaskFailed, match="failed after 1 attempt: ValueError: invalid literal"):
            await (await parse.enqueue("x")).result(timeout=10)
        [letter] = await tasks.dead_letters()
        assert letter.attempts == 1
    assert sleeps.delays == []


@pytest.mark.anyio
async def test_time_limit_per_attempt(sleeps: RecordedSleep) -> None:
    """An attempt that outlives time_limit is stopped and counts as a failure (retried, then dead-lettered)."""
    tasks = Tasks(sleep=sleeps)
    started: list[int] = []

    @tasks.task(retries=1, time_limit=0.05)
    async def stuck(info: Annotated[TaskInfo, Depends(current_task)]) -> None:
        started.append(info.attempt)
        await anyio.sleep(3600)

    async with tasks:
        with pytest.raises(TaskFailed, match=r"took longer than its time limit of 0\.05 s"):
            await (await stuck.enqueue()).result(timeout=10)
    assert started == [1, 2]


@pytest.mark.anyio
async def test_time_limit_stops_waiting_for_a_thread() -> None:
    """A `def` task past its time limit fails without the worker waiting for its thread."""
    tasks = Tasks()

    @tasks.task(time_limit=0.05)
    def blocking() -> None:
        time.sleep(0.5)

    async with tasks:
        began = time.monotonic()
        with pytest.raises(TaskFailed, match="time limit"):
            await (await blocking.enqueue()).result(timeout=10)
        assert time.monotonic() - began < 0.45


def test_policy_delays_and_checks() -> None:
    """Delays double from backoff up to max_backoff; jitter adds at most its fraction; bad values are refused."""
    policy = RetryPolicy(retries=6, backoff=2.0, max_backoff=10.0)
    assert [policy.delay(n) for n in range(1, 6)] == [2.0, 4.0, 8.0, 10.0, 10.0]
    jittered = RetryPolicy(retries=1, backoff=4.0, jitter=0.25)
    assert all(4.0 <= jittered.delay(1) <= 5.0 for _ in range(50))
    for bad in ({"retries": -1}, {"backoff": -1.0}, {"jitter": 2.0}, {"time_limit": 0.0}):
        with pytest.raises(ValueError):
            RetryPolicy(**bad)  # type: ignore[arg-type]
