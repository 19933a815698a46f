"""One app source served twice by real uvicorn processes, once on vivace and once on FastAPI, for the reliability
tests that compare the two on the wire.

`app_source` writes the part every such app shares: the framework chosen by the FRAMEWORK environment variable,
a `/health` route, and a list the endpoints append to (what ran, what was cleaned up) that a test reads over HTTP.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import pytest
from process_support import ServerProcess, uvicorn_process
from wire import get

HEAD = """\
import os
{modules}

if os.environ.get("FRAMEWORK") == "fastapi":
{fastapi}
else:
{vivace}

app = FastAPI()

@app.get("/health")
async def health():
    return {{"ok": True}}
"""

LOG = """
{log} = []

@app.get("/{log}")
async def seen():
    return {log}
"""


def app_source(imports: str, body: str, *, log: str | None = "events") -> str:
    """An app module: `imports` written for FastAPI (each `from fastapi...` line is switched to vivace in the
    vivace twin; the other lines are kept as they are), the shared routes, then `body`. With `log`, a list of that
    name is served at `/<log>`."""
    lines = textwrap.dedent(imports).strip().splitlines()
    switched = [line for line in lines if line.startswith("from fastapi")]
    modules = "\n".join(line for line in lines if line not in switched).strip()
    fastapi = textwrap.indent("\n".join(switched), "    ")
    vivace = fastapi.replace("from fastapi", "from vivace")
    source = HEAD.format(modules=modules, fastapi=fastapi, vivace=vivace)
    if log is not None:
        source += LOG.format(log=log)
    return source + textwrap.dedent(body)


@contextmanager
def served_by_both(
    source: str, tmp_path_factory: pytest.TempPathFactory, env: Mapping[str, str] | None = None
) -> Iterator[dict[str, ServerProcess]]:
    """{"vivace": ..., "fastapi": ...}: `source` served by each, with `env` added to both environments."""
    on_fastapi = {**(env or {}), "FRAMEWORK": "fastapi"}
    with (
        uvicorn_process(source, tmp_path_factory.mktemp("vivace"), env=env) as vivace,
        uvicorn_process(source, tmp_path_factory.mktemp("fastapi"), env=on_fastapi) as fastapi,
    ):
        yield {"vivace": vivace, "fastapi": fastapi}


def recorded(port: int, log: str = "events") -> list[Any]:
    """The app's log list as it is now."""
    answer = get(port, f"/{log}")
    assert answer is not None
    result: list[Any] = answer.json()
    return result
