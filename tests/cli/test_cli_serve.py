"""`vivace dev` and `vivace run`: real servers in subprocesses, the options handed to them, and a busy port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cli_support import HELLO_APP, Project, Runner, free_port

from vivace import Vivace

VIVACE_SCRIPT = Path(sys.executable).parent / "vivace"
# the hello app, plus a route that shows the client address and scheme the server reported
SERVED_APP = HELLO_APP + '''

from vivace import Request


@app.get("/whoami")
async def whoami(request: Request) -> dict[str, str]:
    return {"client": request.client.host, "scheme": request.url.scheme}
'''
FORWARDED = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}
STARTUP_TIMEOUT = 12.0


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=2) as response:
        return response.status, response.read()


def whoami(port: int) -> dict[str, str]:
    """What the app saw of a request sent through a (pretend) proxy on 127.0.0.1."""
    result: dict[str, str] = json.loads(get(f"http://127.0.0.1:{port}/whoami", FORWARDED)[1])
    return result


@dataclass
class Served:
    """A server process; `output` (its stdout and stderr) is filled in once it has stopped."""

    proc: subprocess.Popen[str]
    output: str = ""


@contextmanager
def server(command: list[str], cwd: Path, port: int) -> Iterator[Served]:
    """Start `command` in its own process group, wait until the port answers, stop the group afterwards."""
    proc = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True
    )
    served = Served(proc)
    try:
        wait_until_listening(proc, port)
        yield served
    finally:
        stop(proc)
        served.output = proc.communicate()[0]
        print(served.output)  # pytest shows it when the test fails


def wait_until_listening(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}")
        try:
            get(f"http://127.0.0.1:{port}/hello")
            return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.1)
    pytest.fail(f"the server did not answer within {STARTUP_TIMEOUT} s")


def stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM to the server's process group (reloader and workers included), SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def assert_serves_the_app(port: int) -> None:
    assert get(f"http://127.0.0.1:{port}/hello") == (200, b'{"message":"hello"}')
    status, page = get(f"http://127.0.0.1:{port}/docs")
    assert status == 200
    assert b"swagger-ui" in page.lower()
    assert json.loads(get(f"http://127.0.0.1:{port}/openapi.json")[1])["info"]["title"] == "Hello"


# -- real servers -----------------------------------------------------------------------------------------


def test_dev_serves_with_reload(project: Project) -> None:
    """`vivace dev` (the installed script) serves the app on 127.0.0.1 with reload and prints its URLs."""
    project.write("main.py", SERVED_APP)
    port = free_port()
    with server([str(VIVACE_SCRIPT), "dev", "--port", str(port)], project.root, port) as served:
        assert_serves_the_app(port)
    out = served.output
    assert out.startswith(
        "vivace dev: serving main:app from main.py\n"
        f"  URL:      http://127.0.0.1:{port}\n"
        f"  Docs:     http://127.0.0.1:{port}/docs\n"
        f"  ReDoc:    http://127.0.0.1:{port}/redoc\n"
        "  Reload:   on, watching .\n"
    )
    assert "Started reloader process" in out


def test_run_serves_with_production_defaults(project: Project) -> None:
    """`python -m vivace.cli run`: every interface, no reload, proxy headers trusted, a local URL for /docs."""
    project.write("main.py", SERVED_APP)
    port = free_port()
    with server([sys.executable, "-m", "vivace.cli", "run", "--port", str(port)], project.root, port) as served:
        assert_serves_the_app(port)
        assert whoami(port) == {"client": "203.0.113.7", "scheme": "https"}  # proxy headers are trusted
    out = served.output
    assert out.startswith(
        "vivace run: serving main:app from main.py\n"
        f"  URL:      http://0.0.0.0:{port} (every interface; on this machine: http://127.0.0.1:{port})\n"
        f"  Docs:     http://127.0.0.1:{port}/docs\n"
    )
    assert "reloader" not in out
    assert "Server:   uvicorn" in out


def test_run_with_granian(project: Project) -> None:
    """`vivace run --server granian` serves the same app with granian, trusting proxy headers like uvicorn."""
    pytest.importorskip("granian")
    project.write("main.py", SERVED_APP)
    port = free_port()
    command = [str(VIVACE_SCRIPT), "run", "--server", "granian", "--host", "127.0.0.1", "--port", str(port)]
    with server(command, project.root, port) as served:
        assert_serves_the_app(port)
        assert whoami(port) == {"client": "203.0.113.7", "scheme": "https"}  # proxy headers, as with uvicorn
    out = served.output
    assert "Server:   granian" in out
    assert "Starting granian" in out


# -- a busy port ------------------------------------------------------------------------------------------


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize("command", ["dev", "run"])
def test_port_in_use_is_reported(project: Project, vivace: Runner, busy_port: int, command: str) -> None:
    """A port already in use: which port, a --port suggestion, exit 2, and the server is never started."""
    project.write("main.py", HELLO_APP)
    host = "127.0.0.1" if command == "dev" else "0.0.0.0"
    result = vivace(command, "--port", str(busy_port))
    assert (result.code, result.out) == (2, "")
    assert result.err == (
        f"Error: Port {busy_port} is already in use on {host}\n"
        f"Hint: stop the program using it, or pick another port, e.g. --port {busy_port + 1}\n"
    )


def test_port_in_use_from_the_real_script(project: Project, busy_port: int) -> None:
    """The installed script reports a busy port in two lines on stderr, without a traceback."""
    project.write("main.py", HELLO_APP)
    proc = subprocess.run(
        [str(VIVACE_SCRIPT), "dev", "--port", str(busy_port)], cwd=project.root, capture_output=True, text=True,
        timeout=30,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr.splitlines()[0] == f"Error: Port {busy_port} is already in use on 127.0.0.1"
    assert "Traceback" not in proc.stderr


# -- what the servers are given ---------------------------------------------------------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, dict[str, Any]]]:
    """Replaces uvicorn.run with a recorder, to check the options without starting a server."""
    calls: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kwargs: calls.append((app, kwargs)))
    return calls


def test_run_options_reach_uvicorn(project: Project, vivace: Runner, uvicorn_calls: list[Any]) -> None:
    """--workers, --root-path, --no-proxy-headers and --forwarded-allow-ips are passed on; workers import by name."""
    project.write("main.py", HELLO_APP)
    port = free_port()
    result = vivace(
        "run", "--port", str(port), "--workers", "3", "--root-path", "/api", "--no-proxy-headers",
        "--forwarded-allow-ips", "10.0.0.1",
    )
    assert result.code == 0, result.err
    [(app, options)] = uvicorn_calls
    assert app == "main:app"
    assert {key: options[key] for key in ("host", "port", "reload", "workers", "root_path", "proxy_headers")} == {
        "host": "0.0.0.0", "port": port, "reload": False, "workers": 3, "root_path": "/api", "proxy_headers": False,
    }
    assert (options["forwarded_allow_ips"], options["app_dir"]) == ("10.0.0.1", str(project.root))
    assert "  Workers:  3\n  Root path: /api\n" in result.out


def test_run_defaults_trust_proxy_headers(project: Project, vivace: Runner, uvicorn_calls: list[Any]) -> None:
    """Without options, run serves the imported app object itself, with proxy headers on and no reload."""
    project.write("main.py", HELLO_APP)
    assert vivace("run", "--port", str(free_port())).code == 0
    [(app, options)] = uvicorn_calls
    assert isinstance(app, Vivace)
    assert (options["proxy_headers"], options["reload"], options["workers"]) == (True, False, None)


def test_dev_reload_with_a_factory(project: Project, vivace: Runner, uvicorn_calls: list[Any]) -> None:
    """With reload the app is imported again by name, so a factory is passed as `module:function` + factory."""
    project.write("app/__init__.py")
    project.write("app/main.py", "from vivace import FastAPI\n\n\ndef create_app() -> FastAPI:\n    return FastAPI()\n")
    assert vivace("dev", "--factory", "--port", str(free_port())).code == 0
    [(app, options)] = uvicorn_calls
    assert (app, options["factory"], options["reload"]) == ("app.main:create_app", True, True)
    assert (options["host"], options["reload_dirs"]) == ("127.0.0.1", [str(project.root)])


def test_dev_without_reload(project: Project, vivace: Runner, uvicorn_calls: list[Any]) -> None:
    """--no-reload serves the app object already imported (the module is not executed twice)."""
    project.write("main.py", HELLO_APP)
    assert vivace("dev", "--no-reload", "--port", str(free_port())).code == 0
    [(app, options)] = uvicorn_calls
    assert app is sys.modules["main"].app
    assert options["reload"] is False


@pytest.mark.parametrize(("command", "expected"), [("dev", "development"), ("run", None)])
def test_dev_sets_fastapi_env_before_import(
    project: Project, vivace: Runner, uvicorn_calls: list[Any], monkeypatch: pytest.MonkeyPatch,
    command: str, expected: str | None,
) -> None:
    """`vivace dev` sets FASTAPI_ENV=development before importing the app (app.frontend() reads it); run does not."""
    monkeypatch.setenv("FASTAPI_ENV", "unset")  # recorded, so the test's change is undone afterwards
    monkeypatch.delenv("FASTAPI_ENV")
    project.write("main.py", HELLO_APP + "\nimport os\n\nSEEN = os.environ.get('FASTAPI_ENV')\n")
    assert vivace(command, "--no-reload" if command == "dev" else "--workers=1", "--port", str(free_port())).code == 0
    seen = sys.modules["main"].SEEN
    assert seen == expected


def test_missing_granian_is_a_clear_error(
    project: Project, vivace: Runner, monkeypatch: pytest.MonkeyPatch, uvicorn_calls: list[Any]
) -> None:
    """--server granian without granian installed: an install hint and exit 2, before the app is imported."""
    monkeypatch.setitem(sys.modules, "granian", None)  # makes `import granian` raise ImportError
    result = vivace("run", "--server", "granian")  # no app here: the server is checked first
    assert result.code == 2
    assert result.err == (
        "Error: granian is not installed, so it cannot serve the app\nHint: install it: pip install granian\n"
    )
    assert uvicorn_calls == []


def test_missing_uvicorn_is_a_clear_error(
    project: Project, vivace: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without uvicorn (vivace installed without the standard extra) dev says how to install it."""
    monkeypatch.setitem(sys.modules, "uvicorn", None)
    result = vivace("dev")
    assert result.code == 2
    assert "Hint: install it: pip install 'vivace[standard]'" in result.err


def test_granian_workers_build_the_app_from_the_environment(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What granian's workers import: the user's factory is called and the result trusts the given proxies."""
    from vivace._cli import granian_entry
    from vivace.testclient import TestClient

    project.write("factory.py", SERVED_APP + "\n\ndef create_app():\n    return app\n")
    settings = granian_entry.environment("factory:create_app", root=str(project.root), factory=True, trusted="*")
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    app = granian_entry.build()
    assert not isinstance(app, Vivace)  # wrapped for the forwarded headers

    # NOTE: granian's wrapper is a plain `def` returning a coroutine; TestClient would take it for ASGI 2
    async def asgi3(scope: Any, receive: Any, send: Any) -> None:
        await app(scope, receive, send)

    with TestClient(asgi3) as client:
        assert client.get("/whoami", headers=FORWARDED).json() == {"client": "203.0.113.7", "scheme": "https"}
    monkeypatch.setenv(
        granian_entry.ENV, granian_entry.environment("factory:app", root=str(project.root), factory=False,
                                                     trusted=None)[granian_entry.ENV]
    )
    assert isinstance(granian_entry.build(), Vivace)  # --no-proxy-headers: the app itself
