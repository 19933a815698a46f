"""`make run-cluster` (examples/cluster.py): Redis and two uvicorn workers on one port, all stopped by Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import redis
from app_support import DEMO, SECRET_KEY
from process_support import ROOT
from redis_support import free_port

from examples import cluster

TIMEOUT = 60.0  # generous: starting Redis, two workers and a database on a loaded machine


def wait_until(condition: str, check: Callable[[], bool], deadline: float, log: Path) -> None:
    while not check():
        assert time.monotonic() < deadline, f"never {condition}:\n{log.read_text(errors='replace')}"
        time.sleep(0.1)


def answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.redis
@pytest.mark.parametrize("stop", ["ctrl-c", "sigterm"])
def test_run_cluster_serves_two_workers_through_redis_and_stops_cleanly(tmp_path: Path, stop: str) -> None:
    """The script serves the app from two worker processes on one port with Redis behind them (the login
    counters and the notes cache are in it); Ctrl-C in its terminal, or a SIGTERM to the script alone, stops
    the workers and Redis and removes Redis' directory."""
    port, redis_port = free_port(), free_port()
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "TMPDIR": str(temp),
        "VIVACE_EXAMPLE_DB": str(tmp_path / "example.db"),
        "VIVACE_EXAMPLE_SECRET_KEY": SECRET_KEY,
    }
    log = tmp_path / "cluster.log"
    command = [sys.executable, "-m", "examples.cluster", "--port", str(port), "--redis-port", str(redis_port)]
    with log.open("wb") as out:
        # NOTE: a session of its own, whose process group stands for a terminal's foreground job
        script = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    probe = redis.Redis(port=redis_port)
    try:
        deadline = time.monotonic() + TIMEOUT
        wait_until("served", lambda: answers(f"http://127.0.0.1:{port}/health"), deadline, log)
        wait_until("two workers", lambda: log.read_text().count("Application startup complete") == 2, deadline, log)
        assert len(list(temp.iterdir())) == 1  # Redis' working directory
        login = httpx.post(f"http://127.0.0.1:{port}/token", data={"username": "demo", "password": "demo-password"})
        assert login.status_code == 200, login.text
        assert httpx.get(f"http://127.0.0.1:{port}/notes", headers=DEMO).headers["etag"]
        # the login counters and the cached list are in Redis: "vivace-notes:ratelimit:...", "vivace-notes:GET:..."
        assert {b"ratelimit", b"GET"} <= {key.split(b":")[1] for key in probe.keys("vivace-notes:*")}
        if stop == "ctrl-c":
            os.killpg(script.pid, signal.SIGINT)  # a terminal sends SIGINT to its foreground process group
        else:
            script.terminate()
        assert script.wait(timeout=TIMEOUT) == 0, log.read_text()
    finally:
        if script.poll() is None:
            os.killpg(script.pid, signal.SIGKILL)
            script.wait()
        probe.close()
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=redis_port, socket_connect_timeout=2).ping()
    assert not answers(f"http://127.0.0.1:{port}/health")
    assert list(temp.iterdir()) == []
    assert "Traceback" not in log.read_text()


def test_run_cluster_needs_redis_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without redis-server on PATH the script stops at once and says what to install."""
    monkeypatch.setattr(cluster.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="redis-server is not installed"):
        cluster.main([])
