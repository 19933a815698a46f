"""Start a benchmark server on its own CPU, wait until it accepts connections, and always stop it."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Self

BENCH_DIR = Path(__file__).resolve().parent
LOG_DIR = BENCH_DIR / "results" / "logs"  # gitignored with the rest of bench/results
HOST = "127.0.0.1"


class ServerError(RuntimeError):
    """The server did not start, or died: `reason` is one line for the table, `output` the end of its log."""

    def __init__(self, reason: str, output: str) -> None:
        super().__init__(f"{reason}\n{output}" if output else reason)
        self.reason = reason
        self.output = output


def taskset_prefix(cpu: int | None) -> list[str]:
    """`taskset -c CPU` when pinning is asked for and possible, else nothing (the caller warns once)."""
    if cpu is None or shutil.which("taskset") is None or cpu not in os.sched_getaffinity(0):
        return []
    return ["taskset", "-c", str(cpu)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """`with Server("fastapi", cpu=0) as server:` serves until the block exits, however it exits.

    The server's output goes to bench/results/logs/<framework>.log (<framework>-<app>.log for another app
    than bench/app.py, with `-<server>` for another server than uvicorn), overwritten by each start.
    """

    def __init__(
        self,
        framework: str,
        cpu: int | None,
        start_timeout: float = 30.0,
        *,
        app: str = "bench",
        python: str | Path | None = None,
        server: str = "uvicorn",
    ) -> None:
        self.framework = framework
        self.app = app
        self.server = server  # see bench/serve.py: uvicorn, granian-asgi or granian-rsgi
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self._cpu = cpu
        self._start_timeout = start_timeout
        self._python = str(python or sys.executable)  # the peers run in their own virtualenv
        name = framework if app == "bench" else f"{framework}-{app}"
        self.log_path = LOG_DIR / (f"{name}.log" if server == "uvicorn" else f"{name}-{server}.log")
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        serve = [self._python, str(BENCH_DIR / "serve.py"), "--framework", self.framework, "--app", self.app]
        serve += ["--server", self.server]
        command = [*taskset_prefix(self._cpu), *serve, "--host", HOST, "--port", str(self.port)]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as log:  # the child keeps its own copy of the descriptor
            # NOTE: a new session makes the server a process-group leader, so stop() can signal its group.
            self._proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def label(self) -> str:
        """The name results are kept under: the framework, with the server when it is not uvicorn."""
        return self.framework if self.server == "uvicorn" else f"{self.framework}@{self.server}"

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def output_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace").strip()
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check_alive(self) -> None:
        if not self.alive():
            tail = self.output_tail()
            last = tail.splitlines()[-1] if tail else "no output"
            raise ServerError(f"server exited: {last} (log: {self.log_path})", tail)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self._start_timeout
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        reason = f"server not listening after {self._start_timeout:.0f} s (log: {self.log_path})"
        raise ServerError(reason, self.output_tail())

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        # NOTE: the group is signalled only while its leader is unreaped, so the id cannot have been reused
        # by an unrelated process.
        if proc is None or proc.poll() is not None:
            return
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)
