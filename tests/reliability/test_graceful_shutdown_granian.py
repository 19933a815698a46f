"""Graceful shutdown against a real granian process sent SIGTERM, over its ASGI and its RSGI interface: the same app
and the same checks as the uvicorn test (`test_graceful_shutdown.py`).

granian's worker takes SIGTERM from granian's main process, stops accepting connections and waits for those in
flight before running the app's shutdown (`__rsgi_del__`, or the ASGI lifespan shutdown). vivace's drain starts
on the same signal, so that the connections that would never end by themselves do end:

- an open Server-Sent Events stream gets a clean end of stream at once; its `finally` and `yield` teardown run;
- an endless StreamingResponse runs on through the grace (80 % of `GRANIAN_WORKERS_KILL_TIMEOUT`), then ends;
- a WebSocket session ends (over ASGI the client gets 1001 at once, unless granian's own shutdown closed the
  connection first; RSGI carries no close codes), at the latest when the grace runs out;
- an in-flight slow request completes with 200; a request arriving during the drain is refused cleanly;
- the lifespan shutdown runs after the streams' clean-up, and the worker exits before granian's deadline.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_support import ROOT, START_TIMEOUT, ServerProcess, free_port
from test_graceful_shutdown import APP, finished_in_flight, in_background, open_stream, refused_or_503, wait_for
from wire import Connection, get
from ws_wire import RawWebSocket

#: granian's deadline for a worker's shutdown, as its environment variable (streams get 80 %: 12.8 s; the margin
#: leaves a loaded machine time for the lifespan shutdown and the worker's exit)
DEADLINE = 16


def start_granian(tmp_path: Path, interface: str) -> tuple[ServerProcess, Path]:
    """APP (on vivace) served by granian over `interface`, answering."""
    (tmp_path / "app.py").write_text(APP)
    marks = tmp_path / "marks"
    marks.mkdir()
    port = free_port()
    command = [
        sys.executable, "-m", "granian", "--interface", interface, "--host", "127.0.0.1", "--port", str(port),
        "--workers", "1", "--log-level", "warning", "app:app",
    ]  # fmt: skip
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT / "src"), str(ROOT)]),
        "MARKS": str(marks),
        "FRAMEWORK": "vivace",
        "GRANIAN_WORKERS_KILL_TIMEOUT": str(DEADLINE),
    }
    return launch_granian(command, tmp_path, env, port, tmp_path / f"granian-{interface}.log"), marks


def launch_granian(command: list[str], directory: Path, env: dict[str, str], port: int, log: Path) -> ServerProcess:
    """Start `command` (granian, or `vivace run --server granian`) on `port`, logging to `log`; once it answers."""
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(process, port, log)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(server):  # NOTE: granian listens before its worker has run the app's startup
        assert process.poll() is None, server.output()
        assert time.monotonic() < deadline, f"granian did not answer within {START_TIMEOUT} s:\n{server.output()}"
        time.sleep(0.1)
    return server


def _answers(server: ServerProcess) -> bool:
    try:
        return get(server.port, "/ready") is not None  # any answer (the apps have no such route: 404)
    except OSError:
        return False


@pytest.mark.parametrize("interface", ["asgi", "rsgi"])
def test_sigterm_drains_streams_sessions_and_requests_under_granian(tmp_path: Path, interface: str) -> None:
    """Everything in flight ends cleanly and in time under granian; the markers of every clean-up are written,
    the lifespan shutdown's last."""
    server, marks = start_granian(tmp_path, interface)
    connections: list[Connection | RawWebSocket] = []
    try:
        events = open_stream(server.port, "/events")
        stream = open_stream(server.port, "/stream")
        websocket = RawWebSocket(server.port, "/ws")
        connections += [events, stream, websocket]
        slow_thread, slow = in_background(lambda: get(server.port, "/slow"))
        wait_for(marks / "slow-started")

        sent = time.monotonic()
        server.process.terminate()
        events_thread, events_end = in_background(events._chunked)
        stream_thread, stream_end = in_background(stream._chunked)
        closed_thread, closed = in_background(lambda: (websocket.close_code(), time.monotonic() - sent))
        events_thread.join(30)
        assert "error" not in events_end, events_end
        assert time.monotonic() - sent < 8  # the SSE stream ended at once, not after the grace (12.8 s)
        if interface == "asgi":
            # NOTE: granian closes WebSockets as its own shutdown starts, at the same moment as the drain: the client
            # gets the drain's 1001, or the connection ends without a close frame (1006), at once either way
            closed_thread.join(30)
            code, after = closed["result"]
            assert code in (1001, 1006) and after < 8, closed
        assert refused_or_503(server.port) in ("refused", "503")

        finished_in_flight(slow_thread, slow, stream_thread, stream_end)
        assert server.process.wait(timeout=30) == 0
        elapsed = time.monotonic() - sent
    finally:
        server.kill()
        for connection in connections:
            connection.sock.close()
    log = server.output()
    # NOTE: the process (granian waits for its worker) ended before granian's deadline. granian's own "Killing
    # worker-1 after it refused to gracefully stop" is not checked: on a loaded machine granian logs it (and kills
    # the worker) when its `is_alive()` still sees a worker whose shutdown is done, seconds before the deadline
    assert elapsed < DEADLINE, elapsed
    assert "Traceback" not in log, log
    for name in ("generator-finally", "dependency-teardown", "stream-finally", "ws-ended", "lifespan-shutdown"):
        assert (marks / name).exists(), f"{name} missing; log:\n{log}"
    lifespan_at = float((marks / "lifespan-shutdown").read_text())
    ended = ("generator-finally", "stream-finally", "ws-ended")
    assert all(float((marks / name).read_text()) <= lifespan_at for name in ended)
