"""vivace's own worker threads (src/vivace/_core/threads.py): named, reused, and gone with their event loop."""

import threading
import time

from vivace import Vivace
from vivace.testclient import TestClient

WORKER_NAME = "vivace worker thread"


def _live_workers() -> list[threading.Thread]:
    return [thread for thread in threading.enumerate() if thread.name == WORKER_NAME and thread.is_alive()]


def test_sync_endpoints_reuse_an_idle_worker() -> None:
    """Sequential sync requests are answered by one worker thread, not a new thread each."""
    app = Vivace()

    @app.get("/who")
    def who() -> list[object]:
        thread = threading.current_thread()
        return [thread.name, thread.ident]

    with TestClient(app) as client:
        answers = {tuple(client.get("/who").json()) for _ in range(5)}
    assert len(answers) == 1 and next(iter(answers))[0] == WORKER_NAME


def test_worker_threads_end_with_their_event_loop() -> None:
    """Once the loop that started them has closed, the workers exit (they poll about once a second)."""
    app = Vivace()

    @app.get("/sync")
    def sync_endpoint() -> str:
        return "ok"

    with TestClient(app) as client:
        assert client.get("/sync").json() == "ok"
        assert _live_workers()
    deadline = time.monotonic() + 5
    while _live_workers() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _live_workers() == []
