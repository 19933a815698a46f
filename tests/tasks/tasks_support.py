"""Helpers shared by the durable-task tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[2]


class RecordedSleep:
    """Stands in for `anyio.sleep` between retries: remembers the delays, waits for nothing."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await anyio.lowlevel.checkpoint()


class WorkerProcess:
    """A `vivace worker` (or `vivace scheduler`) child process running the app in `directory/app.py`."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path) -> None:
        self.process = process
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout: float = 30.0) -> None:
        """Wait until `text` appears in the process's log (it logs "worker ready" once it takes tasks)."""
        deadline = time.monotonic() + timeout
        while text not in self.output():
            if self.process.poll() is not None:
                raise RuntimeError(f"the process exited with {self.process.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{text!r} not logged within {timeout} s:\n{self.output()}")
            time.sleep(0.05)

    def terminate(self, timeout: float = 30.0) -> int:
        """SIGTERM (graceful), then wait for the exit; returns the exit status."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            # NOTE: PYTHONFAULTHANDLER is set for the child: SIGABRT makes it print where each thread is stuck
            self.process.send_signal(signal.SIGABRT)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
            raise AssertionError(f"the process did not stop within {timeout} s:\n{self.output()}") from None

    def kill(self) -> None:
        """SIGKILL: the worker vanishes mid-task, as in a crash or an out-of-memory kill."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


#: every process `start_process` started, so a fixture kills what a failed test left running
STARTED: list[WorkerProcess] = []


def start_process(
    command: str, directory: Path, env: Mapping[str, str], *arguments: str, name: str = "worker"
) -> WorkerProcess:
    """Start `vivace COMMAND app.py ARGUMENTS...` in `directory` (not waited for)."""
    log = directory / f"{name}-{time.monotonic_ns()}.log"
    python_path = os.pathsep.join([str(directory), str(ROOT / "src")])
    child_env = {**os.environ, "PYTHONPATH": python_path, "PYTHONFAULTHANDLER": "1", **env}
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "vivace", command, "app.py", *arguments],
            cwd=directory, env=child_env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    started = WorkerProcess(process, log)
    STARTED.append(started)
    return started


@contextmanager
def running(command: str, directory: Path, env: Mapping[str, str], *arguments: str) -> Iterator[WorkerProcess]:
    """A worker (or scheduler) that is ready for the block, and stopped (SIGKILL if need be) after it."""
    worker = start_process(command, directory, env, *arguments, name=command)
    try:
        worker.wait_for("ready")
        yield worker
    finally:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()


def wait_until(condition: Callable[[], Any], timeout: float = 30.0, message: str = "condition") -> Any:
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{message} not met within {timeout} s")
        time.sleep(0.05)
