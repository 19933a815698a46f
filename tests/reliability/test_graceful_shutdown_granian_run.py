"""`vivace run --server granian --timeout-graceful-shutdown N` against a real granian sent SIGTERM: N is granian's
deadline for its workers (a request still running then is cut when granian kills the worker) and the drain's
deadline inside them (streams get the grace before it, as under uvicorn), with no environment variable set.
"""

from __future__ import annotations

import os
import sys
import textwrap
import time
from pathlib import Path

import pytest
from process_support import ROOT, ServerProcess, free_port
from test_graceful_shutdown import APP, finished_in_flight, in_background, open_stream, wait_for
from test_graceful_shutdown_granian import launch_granian
from wire import get

from vivace._core.drain import GRANIAN_DEADLINE_ENV

pytest.importorskip("granian")

#: an app whose one route outlives any deadline of these tests: only granian's kill ends it
ENDLESS_APP = textwrap.dedent(
    """
    import asyncio
    import os
    import pathlib

    from vivace import Vivace

    app = Vivace()

    @app.get("/endless")
    async def endless():
        (pathlib.Path(os.environ["MARKS"]) / "endless-started").write_text("")
        await asyncio.sleep(120)
        return {"endless": "done"}
    """
)


def vivace_run_granian(directory: Path, source: str, *options: str) -> tuple[ServerProcess, Path]:
    """`python -m vivace run app.py --server granian ...` serving `source`, answering; its marks directory."""
    (directory / "app.py").write_text(source)
    marks = directory / "marks"
    marks.mkdir()
    port = free_port()
    command = [
        sys.executable, "-m", "vivace", "run", "app.py", "--server", "granian", "--host", "127.0.0.1",
        "--port", str(port), *options,
    ]  # fmt: skip
    env = {**os.environ, "MARKS": str(marks), "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT / "src")])}
    env.pop(GRANIAN_DEADLINE_ENV, None)  # NOTE: the deadline must come from the option alone
    return launch_granian(command, directory, env, port, directory / "run.log"), marks


def test_run_granian_passes_its_deadline_to_the_drain(tmp_path: Path) -> None:
    """--timeout-graceful-shutdown 15: the in-flight request finishes, the SSE stream ends at once, the endless stream
    gets the grace (12 s; 30 s had the deadline not reached the worker) and ends cleanly, and the worker exits on its
    own before granian's deadline, after the lifespan shutdown."""
    # NOTE: a deadline long enough that its 3 s margin covers the worker's exit on a loaded machine (see DEADLINE in
    # test_graceful_shutdown_granian)
    server, marks = vivace_run_granian(tmp_path, APP, "--timeout-graceful-shutdown", "15")
    events = stream = None
    try:
        events = open_stream(server.port, "/events")
        stream = open_stream(server.port, "/stream")
        slow_thread, slow = in_background(lambda: get(server.port, "/slow"))
        wait_for(marks / "slow-started")
        sent = time.monotonic()
        server.process.terminate()
        stream_thread, stream_end = in_background(stream._chunked)
        events._chunked()
        assert time.monotonic() - sent < 6  # the SSE stream ended at once, not after the grace (12 s)
        finished_in_flight(slow_thread, slow, stream_thread, stream_end)
        ended = time.monotonic() - sent
        assert server.process.wait(timeout=30) == 0
        exited = time.monotonic() - sent
    finally:
        server.kill()
        for connection in (events, stream):
            if connection is not None:
                connection.sock.close()
    log = server.output()
    assert 11 < ended < 25, ended
    assert exited < 15, exited  # before granian's deadline (its kill warning is not checked: see DEADLINE's test)
    assert "Traceback" not in log, log
    for name in ("generator-finally", "dependency-teardown", "stream-finally", "lifespan-shutdown"):
        assert (marks / name).exists(), f"{name} missing; log:\n{log}"


def test_run_granian_kills_a_worker_still_busy_at_the_deadline(tmp_path: Path) -> None:
    """--timeout-graceful-shutdown 2: a request that would run for two minutes holds the worker only until granian's
    deadline, when granian kills it (without the option granian would wait for the request)."""
    server, marks = vivace_run_granian(tmp_path, ENDLESS_APP, "--timeout-graceful-shutdown", "2")
    try:
        endless_thread, endless = in_background(lambda: get(server.port, "/endless"))
        wait_for(marks / "endless-started")
        sent = time.monotonic()
        server.process.terminate()
        server.process.wait(timeout=40)
        stopped = time.monotonic() - sent
        endless_thread.join(30)
    finally:
        server.kill()
    log = server.output()
    assert stopped < 30, stopped
    assert "refused to gracefully stop" in log, log
    assert "result" not in endless or endless["result"] is None, endless  # cut, never answered
