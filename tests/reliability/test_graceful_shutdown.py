"""Graceful shutdown against a real uvicorn process sent SIGTERM: what is in flight ends cleanly before the server's
deadline, and the lifespan shutdown runs.

- an open Server-Sent Events stream gets a clean end of stream at once; its generator's `finally` and its `yield`
  dependency's teardown run (they write marker files);
- an endless StreamingResponse runs on through the grace period, then ends the same clean way;
- a WebSocket session is closed with 1001 (going away) and the endpoint sees the disconnect;
- an in-flight slow request completes with 200; a request arriving during the drain is refused cleanly;
- the process exits without uvicorn having to cancel anything at its deadline.

FastAPI on the same app keeps the process alive for as long as the SSE client stays (shown below).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from process_support import ROOT, ServerProcess, free_port, start_uvicorn
from reliability_support import app_source
from wire import Connection, get
from ws_wire import RawWebSocket

#: uvicorn's --timeout-graceful-shutdown for these tests (vivace's streams get 80 % of it: 6.4 s)
DEADLINE = 8

APP = app_source(
    """
    import asyncio
    import os
    import pathlib
    from collections.abc import AsyncIterable
    from contextlib import asynccontextmanager
    from typing import Annotated

    from fastapi import Depends, FastAPI, WebSocket, WebSocketDisconnect
    from fastapi.responses import StreamingResponse
    from fastapi.sse import EventSourceResponse
    """,
    """
    MARKS = pathlib.Path(os.environ["MARKS"])

    def mark(name):
        (MARKS / name).write_text(str(asyncio.get_running_loop().time()))

    @asynccontextmanager
    async def lifespan(app):
        yield
        mark("lifespan-shutdown")

    app = FastAPI(lifespan=lifespan)

    async def resource():
        try:
            yield
        finally:
            mark("dependency-teardown")

    @app.get("/events", response_class=EventSourceResponse)
    async def events(_: Annotated[None, Depends(resource)]) -> AsyncIterable[int]:
        try:
            n = 0
            while True:
                yield n
                n += 1
                await asyncio.sleep(0.2)
        finally:
            mark("generator-finally")

    @app.get("/stream")
    async def stream():
        async def chunks():
            try:
                while True:
                    yield b"x"
                    await asyncio.sleep(0.2)
            finally:
                mark("stream-finally")
        return StreamingResponse(chunks())

    @app.get("/slow")
    async def slow():
        mark("slow-started")
        await asyncio.sleep(3)
        return {"slow": "done"}

    @app.websocket("/ws")
    async def ws(websocket: WebSocket):
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect as exc:
            mark(f"ws-left-{exc.code}")
        finally:
            mark("ws-ended")
    """,
    log=None,
)


def started(tmp_path: Path, framework: str) -> tuple[ServerProcess, Path]:
    marks = tmp_path / "marks"
    marks.mkdir()
    env = {"MARKS": str(marks), "FRAMEWORK": framework, "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": str(DEADLINE)}
    server = start_uvicorn(APP, tmp_path, env=env)
    server.wait_ready()
    return server, marks


def open_stream(port: int, path: str) -> Connection:
    """A connection whose streamed response has started (its head has been read)."""
    connection = Connection(port)
    connection.send(f"GET {path} HTTP/1.1\r\nhost: test\r\n\r\n".encode())
    head = connection._until(b"\r\n\r\n")
    assert head is not None
    assert head.startswith(b"HTTP/1.1 200")
    return connection


def in_background(work: Callable[[], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run `work` in a thread; its result (or exception) lands in the returned dict."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except Exception as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def wait_for(path: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path.name} never appeared"
        time.sleep(0.02)


def finished_in_flight(
    slow_thread: threading.Thread, slow: dict[str, Any], stream_thread: threading.Thread, stream_end: dict[str, Any]
) -> None:
    """The request in flight at SIGTERM answered 200, and the endless stream ended cleanly after the grace."""
    slow_thread.join(30)
    assert "error" not in slow, slow
    assert (slow["result"].status, slow["result"].json()) == (200, {"slow": "done"})
    stream_thread.join(30)
    assert "error" not in stream_end, stream_end


def refused_or_503(port: int) -> str:
    """A request on a new connection during the drain: refused by the server, or answered 503 + Connection: close."""
    try:
        with Connection(port, timeout=10) as connection:
            answer = connection.request("GET", "/health")
    except ConnectionRefusedError:
        return "refused"
    assert answer is not None, "the connection was accepted, then dropped without an answer"
    assert (answer.status, answer.header("connection")) == (503, "close")
    return "503"


def test_sigterm_drains_streams_sessions_and_requests(tmp_path: Path) -> None:
    """Everything in flight ends cleanly and in time; the markers of every clean-up are written."""
    server, marks = started(tmp_path, "vivace")
    try:
        events = open_stream(server.port, "/events")
        stream = open_stream(server.port, "/stream")
        websocket = RawWebSocket(server.port, "/ws")
        slow_thread, slow = in_background(lambda: get(server.port, "/slow"))
        wait_for(marks / "slow-started")

        sent = time.monotonic()
        server.process.terminate()
        events_thread, events_end = in_background(events._chunked)
        stream_thread, stream_end = in_background(stream._chunked)
        assert websocket.close_code() == 1001
        events_thread.join(30)
        # the SSE stream ended cleanly (the chunked body's terminator arrived) well before the grace ran out
        assert "error" not in events_end, events_end
        assert time.monotonic() - sent < 4
        assert refused_or_503(server.port) in ("refused", "503")

        finished_in_flight(slow_thread, slow, stream_thread, stream_end)
        assert server.process.wait(timeout=30) is not None
        elapsed = time.monotonic() - sent
    finally:
        server.kill()
        for connection in (events, stream, websocket):
            connection.sock.close()
    log = server.output()
    assert "timeout graceful shutdown exceeded" not in log, log
    assert elapsed < DEADLINE + 2
    assert "Traceback" not in log, log
    for name in ("generator-finally", "dependency-teardown", "stream-finally", "ws-left-1001", "lifespan-shutdown"):
        assert (marks / name).exists(), f"{name} missing; log:\n{log}"
    lifespan_at = float((marks / "lifespan-shutdown").read_text())
    assert all(float((marks / name).read_text()) <= lifespan_at for name in ("generator-finally", "stream-finally"))


def test_fastapi_keeps_serving_the_stream_after_sigterm(tmp_path: Path) -> None:
    """The differential: on FastAPI the SSE stream goes on after SIGTERM and holds the process (until uvicorn's
    deadline cancels it), with no clean end of stream for the client."""
    server, _ = started(tmp_path, "fastapi")
    events = open_stream(server.port, "/events")
    try:
        server.process.terminate()
        events.sock.settimeout(1)
        received = b""
        until = time.monotonic() + 2
        with contextlib.suppress(TimeoutError):
            while time.monotonic() < until and (chunk := events.sock.recv(4096)):
                received += chunk
        assert b"data: " in received  # events keep coming
        assert b"\r\n0\r\n\r\n" not in received
        assert server.process.poll() is None
    finally:
        events.sock.close()
        server.kill()


def vivace_run(directory: Path, *options: str) -> ServerProcess:
    """`python -m vivace run app.py` serving APP (as vivace) in a child process, ready."""
    (directory / "app.py").write_text(APP)
    marks = directory / "marks"
    marks.mkdir()
    port = free_port()
    command = [sys.executable, "-m", "vivace", "run", "app.py", "--host", "127.0.0.1", "--port", str(port), *options]
    env = {**os.environ, "MARKS": str(marks), "PYTHONPATH": os.pathsep.join([str(directory), str(ROOT / "src")])}
    log = directory / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=directory, env=env, stdout=out, stderr=subprocess.STDOUT)
    server = ServerProcess(process, port, log)
    server.wait_ready()
    return server


def test_vivace_run_passes_its_deadline_to_the_drain(tmp_path: Path) -> None:
    """`vivace run --timeout-graceful-shutdown 4`: an endless stream gets 80 % of it (3.2 s), then ends cleanly; the
    SSE stream ends at once; the process exits before uvicorn's deadline, the lifespan shutdown having run."""
    server = vivace_run(tmp_path, "--timeout-graceful-shutdown", "4")
    marks = tmp_path / "marks"
    try:
        events = open_stream(server.port, "/events")
        stream = open_stream(server.port, "/stream")
        sent = time.monotonic()
        server.process.terminate()
        events._chunked()
        assert time.monotonic() - sent < 2.5
        stream._chunked()
        ended = time.monotonic() - sent
        assert server.process.wait(timeout=30) is not None
    finally:
        server.kill()
        for connection in (events, stream):
            connection.sock.close()
    assert 2.5 < ended < 6, ended  # NOTE: the grace is 3.2 s; 30 s had the deadline not reached the app
    assert "timeout graceful shutdown exceeded" not in server.output()
    for name in ("generator-finally", "dependency-teardown", "stream-finally", "lifespan-shutdown"):
        assert (marks / name).exists(), f"{name} missing; log:\n{server.output()}"
