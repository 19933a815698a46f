"""`vivace worker` and `vivace scheduler`: the processes that run an app's durable tasks (`vivace.tasks`).

The app is found as for `vivace run`; its tasks are the `Tasks` installed on it (`tasks.install(app)`). The
worker does not serve HTTP and does not run the app's lifespan: what tasks need comes from their dependencies.
With `--workers N` this process supervises N worker processes (each with `--concurrency` tasks at once),
restarts one that dies, and passes SIGTERM/SIGINT on to them.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from types import FrameType
from typing import Any

from vivace._cli.discover import load_app
from vivace._cli.errors import CLIError

__all__ = ["add_commands"]

_RESTART_DELAY = 1.0  # seconds before a worker process that died is started again
_LEVELS = ("debug", "info", "warning", "error")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive number of seconds")
    return value


def add_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    add_app_arguments: Callable[[argparse.ArgumentParser], None],
    epilog: str,
) -> None:
    """Add `worker` and `scheduler` to the `vivace` command."""
    worker = commands.add_parser(
        "worker", help="run the app's durable tasks (vivace.tasks)", epilog=epilog,
        description="Take the app's durable tasks from their backend (Redis) and run them until SIGTERM, which "
        "lets running tasks finish (up to --shutdown-timeout) before stopping.",
    )  # fmt: skip
    add_app_arguments(worker)
    worker.add_argument("--concurrency", type=_positive_int, default=10, help="tasks run at once per process (10)")
    worker.add_argument("--workers", type=_positive_int, default=1, help="number of worker processes (default: 1)")
    worker.add_argument(
        "--shutdown-timeout", type=_positive_float, default=30.0, metavar="SECONDS",
        help="on SIGTERM, how long running tasks may take to finish (default: 30)",
    )  # fmt: skip
    worker.add_argument("--log-level", choices=_LEVELS, default="info", help="(default: info)")
    worker.set_defaults(handler=_worker)

    scheduler = commands.add_parser(
        "scheduler", help="send the app's periodic and delayed tasks (run exactly one)", epilog=epilog,
        description="Send periodic tasks (task.every(...)) and delayed tasks (task.options(delay=...)) when they "
        "are due. Run exactly one scheduler for a task backend: two would send every periodic task twice.",
    )  # fmt: skip
    add_app_arguments(scheduler)
    scheduler.add_argument(
        "--update-interval", type=_positive_float, default=5.0, metavar="SECONDS",
        help="how often delayed tasks are looked up; a delayed task may run this much late (default: 5)",
    )  # fmt: skip
    scheduler.add_argument("--log-level", choices=_LEVELS, default="info", help="(default: info)")
    scheduler.set_defaults(handler=_scheduler)


def _load_tasks(args: argparse.Namespace) -> Any:
    from vivace.tasks import installed_tasks  # noqa: PLC0415 - taskiq is an optional extra, loaded when asked for

    loaded = load_app(args.path, name=args.app, factory=args.factory)
    tasks = installed_tasks(loaded.app)
    if tasks is None:
        raise CLIError(
            f"No durable tasks are installed on {loaded.import_string}",
            hint="create them with `tasks = Tasks(...)` and call `tasks.install(app)` where the app is defined",
        )
    if tasks.backend.in_process:
        raise CLIError(
            f"The tasks of {loaded.import_string} use the memory backend, which runs them inside the app's process",
            hint="use `Tasks(RedisTaskBackend(url))` from vivace.tasks.redis to run them in workers",
        )
    return tasks


def _require_taskiq() -> None:
    try:
        import taskiq  # noqa: F401, PLC0415 - only a presence check
    except ImportError as exc:
        raise CLIError("Durable tasks need taskiq", hint='install them with `pip install "vivace[tasks]"`') from exc


def _configure_logging(level: str) -> None:
    logging.basicConfig(level=level.upper(), format="%(asctime)s %(levelname)s [%(process)d] %(name)s: %(message)s")


def _worker(args: argparse.Namespace) -> int:
    _require_taskiq()
    _configure_logging(args.log_level)
    tasks = _load_tasks(args)
    if args.workers > 1:
        return _supervise(_child_command(args), args.workers)
    from vivace.tasks._worker import run_worker  # noqa: PLC0415 - see _load_tasks

    _run(run_worker(tasks, concurrency=args.concurrency, shutdown_timeout=args.shutdown_timeout), "worker")
    return 0


def _scheduler(args: argparse.Namespace) -> int:
    _require_taskiq()
    _configure_logging(args.log_level)
    tasks = _load_tasks(args)
    from vivace.tasks._worker import run_scheduler  # noqa: PLC0415 - see _load_tasks

    _run(run_scheduler(tasks, update_interval=args.update_interval), "scheduler")
    return 0


def _run(main: Coroutine[Any, Any, None], what: str) -> None:
    from vivace.tasks._worker import StartupError  # noqa: PLC0415 - see _load_tasks

    try:
        asyncio.run(main)
    except StartupError as exc:
        raise CLIError(f"The {what} could not start: {exc}") from exc


def _child_command(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, "-m", "vivace", "worker"]
    command += [args.path] if args.path else []
    command += ["--app", args.app] if args.app else []
    command += ["--factory"] if args.factory else []
    command += ["--concurrency", str(args.concurrency), "--shutdown-timeout", str(args.shutdown_timeout)]
    return [*command, "--log-level", args.log_level]


def _supervise(command: list[str], count: int) -> int:
    """Keep `count` worker processes running until a signal, which each of them receives (once per signal)."""
    # NOTE: each child in its own session, so a terminal's Ctrl-C reaches them once, through this process
    children = [subprocess.Popen(command, start_new_session=True) for _ in range(count)]
    stopping = False

    def forward(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signum)

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, forward)
    while any(child.poll() is None for child in children) or not stopping:
        for index, child in enumerate(children):
            if child.poll() is not None and not stopping:
                logging.getLogger("vivace.tasks").error(
                    "worker process %d exited with status %s; starting another", child.pid, child.returncode
                )
                time.sleep(_RESTART_DELAY)
                children[index] = subprocess.Popen(command, start_new_session=True)
        time.sleep(0.2)
    return max((child.returncode or 0 for child in children), default=0)
