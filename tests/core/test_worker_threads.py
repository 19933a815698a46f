"""vivace's own worker threads (src/vivace/_core/threads.py): named, reused, and gone with their event loop."""

import threading

from vivace import Vivace
from vivace.testclient import TestClient

WORKER_NAME = "vivace worker thread"


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
    """Once the loop that started it has closed, a worker exits (idle workers poll about once a second)."""
    app = Vivace()
    used: list[threading.Thread] = []

    @app.get("/sync")
    def sync_endpoint() -> str:
        used.append(threading.current_thread())
        return "ok"

    with TestClient(app) as client:
        assert client.get("/sync").json() == "ok"
    [worker] = used
    assert worker.name == WORKER_NAME
    worker.join(timeout=5)
    assert not worker.is_alive()
