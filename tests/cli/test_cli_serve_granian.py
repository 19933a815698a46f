"""`vivace run --server granian --timeout-graceful-shutdown N`: the deadline reaches granian (its workers' kill
timeout) and the workers' drain (through GRANIAN_WORKERS_KILL_TIMEOUT, which they inherit), with the same value.

granian itself is replaced by a recorder here; tests/reliability/test_graceful_shutdown_granian_run.py serves a
real granian process with the option.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from typing import Any

import pytest
from cli_support import HELLO_APP, Project, Runner, free_port

from vivace._core.drain import GRANIAN_DEADLINE_ENV, grace_before, granian_deadline

granian = pytest.importorskip("granian")


class Recorded:
    """What granian was given: the keyword arguments, and the deadline variable when `serve()` was called."""

    kwargs: dict[str, Any]
    environment_deadline: str | None


@pytest.fixture
def granian_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Recorded]]:
    """Replaces granian.Granian with a recorder (same keyword parameters); the environment is restored after."""
    calls: list[Recorded] = []

    class Recorder:
        def __init__(self, target: str, **kwargs: Any) -> None:
            self.recorded = Recorded()
            self.recorded.kwargs = kwargs
            calls.append(self.recorded)

        def serve(self) -> None:
            self.recorded.environment_deadline = os.environ.get(GRANIAN_DEADLINE_ENV)

    # NOTE: the CLI passes only the keyword arguments granian's signature has; the recorder shows the real one
    Recorder.__init__.__signature__ = inspect.signature(granian.Granian.__init__)  # type: ignore[attr-defined]
    monkeypatch.setattr(granian, "Granian", Recorder)
    saved = dict(os.environ)
    yield calls
    os.environ.clear()
    os.environ.update(saved)


@pytest.mark.parametrize(
    ("options", "deadline"),
    [(("run",), 10.0), (("run", "--timeout-graceful-shutdown", "4"), 4.0), (("dev", "--no-reload"), 3.0)],
)
def test_graceful_timeout_is_granians_kill_timeout_and_the_drains_deadline(
    project: Project, vivace: Runner, granian_calls: list[Recorded], options: tuple[str, ...], deadline: float
) -> None:
    """The option (or the command's default) is granian's workers_kill_timeout and the workers' drain deadline."""
    project.write("main.py", HELLO_APP)
    result = vivace(*options, "--server", "granian", "--port", str(free_port()))
    assert result.code == 0, result.err
    [call] = granian_calls
    assert call.kwargs["workers_kill_timeout"] == deadline
    assert call.environment_deadline == str(deadline)
    os.environ[GRANIAN_DEADLINE_ENV] = call.environment_deadline
    assert granian_deadline() == deadline  # what a worker's drain reads: streams get grace_before(deadline)
    assert grace_before(granian_deadline()) < deadline


def test_zero_still_means_no_time_in_flight(project: Project, vivace: Runner, granian_calls: list[Recorded]) -> None:
    """granian reads 0 as "wait forever": --timeout-graceful-shutdown 0 becomes the smallest positive deadline."""
    project.write("main.py", HELLO_APP)
    result = vivace("run", "--server", "granian", "--timeout-graceful-shutdown", "0", "--port", str(free_port()))
    assert result.code == 0, result.err
    [call] = granian_calls
    assert 0 < call.kwargs["workers_kill_timeout"] <= 0.001
    assert grace_before(float(call.environment_deadline or "nan")) == 0.0


def test_a_granian_without_the_option_is_not_given_it(
    project: Project, vivace: Runner, granian_calls: list[Recorded], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A granian release whose Granian() has no workers_kill_timeout is not passed one; the drain still gets it."""
    recorder = granian.Granian
    every = inspect.signature(recorder.__init__).parameters.values()
    parameters = [p for p in every if p.name != "workers_kill_timeout"]
    monkeypatch.setattr(recorder.__init__, "__signature__", inspect.Signature(parameters))
    project.write("main.py", HELLO_APP)
    result = vivace("run", "--server", "granian", "--timeout-graceful-shutdown", "5", "--port", str(free_port()))
    assert result.code == 0, result.err
    [call] = granian_calls
    assert "workers_kill_timeout" not in call.kwargs
    assert call.environment_deadline == "5.0"
