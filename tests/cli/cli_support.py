"""Helpers shared by the command-line tests (imported by name: pytest puts this directory on sys.path)."""

from __future__ import annotations

import socket
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

HELLO_APP = '''
from vivace import FastAPI

app = FastAPI(title="Hello")


@app.get("/hello")
async def hello() -> dict[str, str]:
    return {"message": "hello"}
'''


@dataclass
class Project:
    """A directory holding a user's project; `write` adds a file (dedented) and returns its path."""

    root: Path

    def write(self, relative: str, source: str = "") -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(source).lstrip("\n"), encoding="utf-8")
        return path


@dataclass
class Result:
    """What one `vivace ...` command did: exit status and captured output."""

    code: int
    out: str
    err: str


Runner = Callable[..., Result]


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
