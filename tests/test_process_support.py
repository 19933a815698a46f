"""The process helper serves an app in a real uvicorn child and shuts it down gracefully."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
from process_support import uvicorn_process

APP = """
import os
from contextlib import asynccontextmanager
from pathlib import Path
from vivace import FastAPI

@asynccontextmanager
async def lifespan(app):
    yield
    Path("shutdown-ran").write_text("yes")

app = FastAPI(lifespan=lifespan)

@app.get("/pid")
async def pid() -> int:
    return os.getpid()
"""


def test_app_is_served_in_another_process(tmp_path: Path) -> None:
    """The answer comes from a child process, and stopping it runs the lifespan's shutdown."""
    with uvicorn_process(APP, tmp_path) as server:
        assert httpx.get(f"{server.url}/pid", timeout=10).json() != os.getpid()
    assert server.process.poll() is not None
    assert (tmp_path / "shutdown-ran").read_text() == "yes"
