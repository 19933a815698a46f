"""Fixtures for tests in a real headless Chromium that can reach 127.0.0.1 and nothing else.

The browser and its driver are the Debian packages (`chromium`, `chromium-driver`, installed by .ci/run);
nothing here downloads a browser: Selenium is given both paths, so Selenium Manager never runs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.request import urlopen

import pytest
import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from starlette.types import ASGIApp

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

# Every request to another host fails: names other than 127.0.0.1 resolve to nothing, and anything that
# would not resolve locally (a proxy-resolved name) goes to a closed port. Loopback bypasses the proxy.
OFFLINE_FLAGS = [
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
]
QUIET_FLAGS = [
    "--headless",
    "--no-sandbox",  # the CI container runs as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # small /dev/shm in containers crashes tabs
    "--window-size=1280,1000",
]


# CI sets this (in .ci/run): there, a missing browser is a failure, never a silent skip.
REQUIRE_BROWSER = "VIVACE_REQUIRE_BROWSER"
MISSING = "needs /usr/bin/chromium and /usr/bin/chromedriver (apt: chromium chromium-driver)"


def browser_installed() -> bool:
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if browser_installed() or os.environ.get(REQUIRE_BROWSER):
        return
    skip = pytest.mark.skip(reason=f"{MISSING}; set {REQUIRE_BROWSER}=1 to make this a failure")
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    """One headless Chromium for the session, with a fresh profile and no route off the machine."""
    if not browser_installed():
        pytest.fail(f"{REQUIRE_BROWSER} is set but the browser is missing: {MISSING}")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*QUIET_FLAGS, *OFFLINE_FLAGS]:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # "performance" records every network request the page attempts, including those the rules block.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=str(CHROMEDRIVER)))
    driver.set_page_load_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def _serve(app: ASGIApp) -> Iterator[str]:
    """Run `app` under uvicorn on a free 127.0.0.1 port in a thread; yield its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", ws="none", http="h11", log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


@pytest.fixture(scope="session")
def live_server() -> Callable[[ASGIApp], AbstractContextManager[str]]:
    """`with live_server(app) as base_url:` serves an ASGI app over real HTTP for the browser."""
    return _serve


@contextmanager
def _serve_process(target: str, cwd: Path, env: Mapping[str, str] | None = None) -> Iterator[str]:
    """Run `uvicorn target` (lifespan on) as a child process on a free 127.0.0.1 port; yield its base URL."""
    port = _free_port()
    command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(port),
               "--lifespan", "on", "--log-level", "warning"]
    log = cwd / "uvicorn.log"
    with log.open("wb") as out:
        # NOTE: the repository root on PYTHONPATH makes `examples.app` importable from any working directory.
        child_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
        proc = subprocess.Popen(command, cwd=cwd, env=child_env, stdout=out, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base_url, proc, log)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()



def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_until_up(base_url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"uvicorn exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            with urlopen(f"{base_url}/openapi.json", timeout=2):
                return
        except (URLError, ConnectionError):
            time.sleep(0.1)
    raise RuntimeError(f"uvicorn did not answer within 30 s:\n{log.read_text(errors='replace')}")


def _network_requests(driver: webdriver.Chrome) -> list[dict[str, Any]]:
    """Every request the browser attempted since the last call: url, and whether a response ever came back.

    Read from the DevTools performance log, so requests the offline rules blocked are listed too.
    """
    requests: dict[str, dict[str, Any]] = {}
    for entry in driver.get_log("performance"):  # type: ignore[no-untyped-call]  # untyped in selenium
        message = json.loads(entry["message"])["message"]
        params = message.get("params", {})
        if message["method"] == "Network.requestWillBeSent":
            requests.setdefault(params["requestId"], {"url": params["request"]["url"], "answered": False})
        elif message["method"] == "Network.responseReceived" and params["requestId"] in requests:
            requests[params["requestId"]]["answered"] = True
    return list(requests.values())


ProcessServer = Callable[..., AbstractContextManager[str]]


@pytest.fixture(scope="session")
def process_server() -> ProcessServer:
    """`with process_server("pkg.module:app", cwd=dir, env={...}) as base_url:` runs a real uvicorn process."""
    return _serve_process


@pytest.fixture(scope="session")
def network_requests() -> Callable[[webdriver.Chrome], list[dict[str, Any]]]:
    """`network_requests(browser)`: the requests attempted since the last call (see `_network_requests`)."""
    return _network_requests
