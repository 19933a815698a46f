"""Periodic tasks (`task.every(cron)`) through taskiq's label-based schedule source and scheduler loop."""

# NOTE: no `from __future__ import annotations`: tasks are defined inside the tests

import threading
import time

import pytest
from taskiq.schedule_sources import LabelScheduleSource

from vivace import Vivace
from vivace.tasks import TaskArgumentsError, Tasks
from vivace.testclient import TestClient


@pytest.mark.anyio
async def test_every_declares_a_label_schedule() -> None:
    """`every()` validates its arguments and adds a schedule that taskiq's label source reads."""
    tasks = Tasks()

    @tasks.task(name="reports.daily")
    async def daily(team: str, days: int = 1) -> None: ...

    daily.every("0 8 * * *", team="sales").every("0 20 * * 5", team="ops", days="7")
    source = LabelScheduleSource(tasks.backend.broker)
    await source.startup()
    schedules = sorted(await source.get_schedules(), key=lambda s: s.schedule_id)
    assert [(s.task_name, s.cron, s.kwargs) for s in schedules] == [
        ("reports.daily", "0 8 * * *", {"team": "sales", "days": 1}),
        ("reports.daily", "0 20 * * 5", {"team": "ops", "days": 7}),
    ]
    with pytest.raises(TaskArgumentsError, match="team: Field required"):
        daily.every("* * * * *")


def test_memory_backend_sends_periodic_tasks_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """With the memory backend the app's own process runs the scheduler loop: a due schedule runs once
    (the cron check is made to answer "now", so the test does not wait for a minute boundary)."""
    monkeypatch.setattr("pycron.is_now", lambda *args, **kwargs: True)
    app = Vivace()
    tasks = Tasks()
    tasks.install(app)
    runs: list[str] = []
    ran = threading.Event()

    @tasks.task(name="heartbeat")
    async def heartbeat(source: str) -> None:
        runs.append(source)
        ran.set()

    heartbeat.every("* * * * *", source="cron")
    with TestClient(app):
        assert ran.wait(20)
        time.sleep(1.5)  # NOTE: a second send in the same minute (there must be none) would run meanwhile
    assert runs == ["cron"]
