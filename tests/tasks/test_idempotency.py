"""Idempotency keys: a key runs once, whether it is enqueued twice or its message is delivered twice."""

# NOTE: no `from __future__ import annotations`: tasks are defined inside the tests

from typing import Annotated

import pytest
from taskiq import TaskiqMessage

from vivace import Depends
from vivace.tasks import TaskFailed, TaskInfo, Tasks, current_task
from vivace.tasks._execute import MAX_INTERRUPTIONS


async def redeliver(tasks: Tasks, name: str, task_id: str, key: str, **arguments: object) -> None:
    """Hand the broker the same message again, as a stream does after a worker died before acknowledging."""
    broker = tasks.backend.broker
    message = TaskiqMessage(task_id=task_id, task_name=name, labels={"vivace_key": key}, args=[], kwargs=arguments)
    await broker.kick(broker.formatter.dumps(message))


@pytest.mark.anyio
async def test_enqueueing_twice_with_a_key_runs_once() -> None:
    """The second enqueue with the same key sends nothing and returns the first task's handle."""
    tasks = Tasks()
    runs: list[str] = []

    @tasks.task
    async def welcome(email: str, info: Annotated[TaskInfo, Depends(current_task)]) -> str:
        runs.append(info.key)
        return f"sent to {email}"

    async with tasks:
        first = await welcome.options(key="welcome:ada").enqueue("ada@example.org")
        second = await welcome.options(key="welcome:ada").enqueue("ada@example.org")
        other = await welcome.options(key="welcome:bob").enqueue("bob@example.org")
        assert (second.id, second.duplicate, first.duplicate) == (first.id, True, False)
        assert second == first and other != first
        assert await second.result(timeout=10) == "sent to ada@example.org"
        await other.result(timeout=10)
    assert sorted(runs) == ["welcome:ada", "welcome:bob"]


@pytest.mark.anyio
async def test_a_completed_task_is_not_run_again_on_redelivery() -> None:
    """A message delivered again after its task completed gives back the recorded result without running."""
    tasks = Tasks()
    runs: list[int] = []

    @tasks.task(name="count")
    async def count(n: int) -> int:
        runs.append(n)
        return n * 2

    async with tasks:
        handle = await count.options(key="count:1").enqueue(1)
        assert await handle.result(timeout=10) == 2
        await redeliver(tasks, "count", "redelivered", "count:1", n=1)
        assert await tasks.result("redelivered", timeout=10) == 2
    assert runs == [1]


@pytest.mark.anyio
async def test_runs_cut_short_by_a_crash_run_again_a_few_times() -> None:
    """A run its worker never finished is not a failure: it runs again, but a task that keeps killing its
    workers ends in the dead-letter list after MAX_INTERRUPTIONS."""
    tasks = Tasks()
    runs: list[int] = []

    @tasks.task(name="heavy")
    async def heavy(info: Annotated[TaskInfo, Depends(current_task)]) -> None:
        runs.append(info.attempt)

    async with tasks:
        for _ in range(MAX_INTERRUPTIONS):  # runs that began, and whose worker never reported back
            await tasks.backend.store.begin_attempt("heavy:1")
        await redeliver(tasks, "heavy", "t1", "heavy:1")
        assert await tasks.result("t1", timeout=10) is None
        for _ in range(MAX_INTERRUPTIONS + 1):
            await tasks.backend.store.begin_attempt("heavy:2")
        await redeliver(tasks, "heavy", "t2", "heavy:2")
        with pytest.raises(TaskFailed, match="its worker stopped while running it, 4 times"):
            await tasks.result("t2", timeout=10)
        [letter] = await tasks.dead_letters()
        assert (letter.key, letter.attempts) == ("heavy:2", 1)
    assert runs == [1]


@pytest.mark.anyio
async def test_a_failed_key_stays_failed() -> None:
    """Enqueueing a key whose task failed for good returns that task: its result is the same failure."""
    tasks = Tasks()

    @tasks.task
    async def boom() -> None:
        raise RuntimeError("no")

    async with tasks:
        first = await boom.options(key="boom").enqueue()
        with pytest.raises(TaskFailed):
            await first.result(timeout=10)
        again = await boom.options(key="boom").enqueue()
        assert again.duplicate and again.id == first.id
        with pytest.raises(TaskFailed, match="RuntimeError: no"):
            await again.result(timeout=10)
        assert len(await tasks.dead_letters()) == 1


def test_memory_store_is_bounded() -> None:
    """Keys, completions and dead letters are bounded; the oldest entries go first; entries expire."""
    import anyio

    from vivace.tasks._backend import DeadLetter
    from vivace.tasks._memory_store import MemoryTaskStore

    now = [0.0]
    store = MemoryTaskStore(max_keys=3, max_dead_letters=2, ttl=10.0, clock=lambda: now[0])

    async def fill() -> None:
        for n in range(5):
            assert await store.reserve(f"k{n}", f"t{n}") is None
            await store.complete(f"k{n}", {"value": n})
            await store.bury(DeadLetter(f"t{n}", "x", f"k{n}", {}, "E: e", 1, 0.0))
        assert await store.reserve("k4", "other") == "t4"
        assert await store.reserve("k0", "new") is None  # pushed out by newer keys
        assert store.sizes() == {"keys": 3, "done": 3, "attempts": 0, "dead": 2}
        assert await store.begin_attempt("a") == (1, 0)
        await store.fail_attempt("a")
        assert await store.begin_attempt("a") == (2, 1)
        assert [letter.task_id for letter in await store.dead_letters(10)] == ["t4", "t3"]
        now[0] = 11.0
        assert await store.completion("k4") == (False, None)

    anyio.run(fill)
