"""`vivace run --server granian` picks granian's RSGI interface where it behaves as ASGI does, and serves it with
the CLI's options (root path, forwarded headers) applied; the app class itself is an RSGI application."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from process_support import ROOT, free_port
from starlette.applications import Starlette
from starlette.routing import Mount, WebSocketRoute
from starlette.staticfiles import StaticFiles

from vivace import APIRouter, Vivace, WebSocket
from vivace._cli.servers import granian_interface
from vivace.middleware.cors import CORSMiddleware

pytest.importorskip("granian")


def test_plain_app_is_served_over_rsgi() -> None:
    """HTTP routes only, no middleware: RSGI."""
    app = Vivace()

    @app.get("/")
    async def root() -> str:
        return "hi"

    app.mount("/static", StaticFiles(directory=str(ROOT), check_dir=False))
    assert granian_interface(app) == ("rsgi", "native")


def test_middleware_falls_back_to_asgi() -> None:
    """User middleware is ASGI code: served through granian's ASGI interface."""
    app = Vivace()
    app.add_middleware(CORSMiddleware, allow_origins=["*"])
    assert granian_interface(app) == ("asgi", "the app declares middleware")


def test_websockets_fall_back_to_asgi() -> None:
    """A WebSocket route anywhere (an included router, a mounted app) needs close codes: ASGI."""
    app = Vivace()
    router = APIRouter()

    @router.websocket("/ws")
    async def socket(websocket: WebSocket) -> None:
        await websocket.accept()

    app.include_router(router)
    assert granian_interface(app)[0] == "asgi"

    async def endpoint(websocket: object) -> None:
        return None

    mounted = Vivace()
    mounted.mount("/sub", Starlette(routes=[WebSocketRoute("/ws", endpoint)]))
    assert granian_interface(mounted)[0] == "asgi"
    opaque = Vivace()
    opaque.router.routes.append(Mount("/other", app=lambda scope, receive, send: None))
    assert granian_interface(opaque)[0] == "asgi"  # an app vivace cannot see into


def test_not_a_vivace_app_is_served_over_asgi() -> None:
    """A foreign ASGI app (no __rsgi__) keeps ASGI."""
    assert granian_interface(Starlette()) == ("asgi", "not a vivace app")


APP = textwrap.dedent(
    """
    from vivace import Request, Vivace

    app = Vivace()


    @app.get("/whoami")
    async def whoami(request: Request) -> dict[str, str]:
        return {"client": request.client.host, "scheme": request.url.scheme, "url": str(request.url)}
    """
)
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}


def _answer(port: int, process: subprocess.Popen[str], path: str) -> httpx.Response:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise AssertionError(f"vivace run exited:\n{process.communicate()[0]}")
        try:
            return httpx.get(f"http://127.0.0.1:{port}{path}", headers=FORWARDED, timeout=5)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_run_serves_over_rsgi_with_root_path_and_proxy_headers(tmp_path: Path) -> None:
    """`vivace run --server granian --root-path /api`: RSGI, forwarded headers trusted, the root path in URLs."""
    (tmp_path / "main.py").write_text(APP)
    port = free_port()
    command = [
        sys.executable, "-m", "vivace.cli", "run", "--server", "granian", "--host", "127.0.0.1",
        "--port", str(port), "--root-path", "/api",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(tmp_path)])}
    process = subprocess.Popen(
        command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        response = _answer(port, process, "/whoami")
        assert response.json() == {
            "client": "203.0.113.7",
            "scheme": "https",
            "url": f"https://127.0.0.1:{port}/api/whoami",
        }
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output = process.communicate(timeout=30)[0]
    assert "  Interface: RSGI (native)" in output
