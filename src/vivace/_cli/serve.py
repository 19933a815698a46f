"""`vivace dev` and `vivace run`: check the port, print where the app is, hand over to uvicorn or granian."""

from __future__ import annotations

import errno
import importlib
import inspect
import os
import socket
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from vivace._cli import granian_entry, servers
from vivace._cli.discover import LoadedApp, display_path
from vivace._cli.errors import CLIError
from vivace._core.drain import GRANIAN_DEADLINE_ENV

__all__ = ["SERVERS", "ServeOptions", "banner", "ensure_port_free", "require_server", "serve"]

SERVERS = ("uvicorn", "granian")
_INSTALL = {"uvicorn": "pip install 'vivace[standard]'", "granian": "pip install granian"}


@dataclass(frozen=True)
class ServeOptions:
    command: str  # "dev" or "run", for the banner
    host: str
    port: int
    reload: bool
    workers: int = 1
    root_path: str = ""
    proxy_headers: bool = True
    forwarded_allow_ips: str | None = None
    server: str = "uvicorn"
    #: seconds the server waits for what is in flight after a shutdown signal (vivace drains streams before it):
    #: uvicorn's `timeout_graceful_shutdown`, granian's `workers_kill_timeout`
    graceful_timeout: float = 10.0


def require_server(name: str) -> ModuleType:
    """Servers are optional dependencies: import them only when asked for, with an install hint if missing."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise CLIError(
            f"{name} is not installed, so it cannot serve the app", hint=f"install it: {_INSTALL[name]}"
        ) from exc


def ensure_port_free(host: str, port: int) -> None:
    """Fail with a clear message before the server starts (and prints its own traceback) on a busy port."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as exc:
        raise CLIError(f"Cannot resolve host {host!r}: {exc.strerror}", hint="pass --host with an IP address") from exc
    with socket.socket(family, kind, proto) as probe:
        # NOTE: SO_REUSEADDR as the servers set it, so a port left in TIME_WAIT is not reported as busy
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CLIError(
                    f"Port {port} is already in use on {host}",
                    hint=f"stop the program using it, or pick another port, e.g. --port {port + 1}",
                ) from exc
            raise CLIError(f"Cannot listen on {host}:{port}: {exc.strerror}") from exc


def _base_url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


# the addresses meaning "every interface", and the loopback address to open in a browser instead
_WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def banner(loaded: LoadedApp, options: ServeOptions) -> str:
    """What the user needs before the server's own log starts: which app, its URL and its docs pages."""
    url = _base_url(options.host, options.port)
    app = loaded.app
    lines = [f"vivace {options.command}: serving {loaded.import_string} from {display_path(loaded.location.file)}"]
    if options.host in _WILDCARDS:
        # NOTE: 0.0.0.0 is where the server listens, not an address a browser can open; give a local one too
        local = _base_url(_WILDCARDS[options.host], options.port)
        lines.append(f"  URL:      {url} (every interface; on this machine: {local})")
        url = local
    else:
        lines.append(f"  URL:      {url}")
    if app.openapi_url and app.docs_url:
        lines.append(f"  Docs:     {url}{app.docs_url}")
    if app.openapi_url and app.redoc_url:
        lines.append(f"  ReDoc:    {url}{app.redoc_url}")
    if options.reload:
        lines.append(f"  Reload:   on, watching {display_path(loaded.location.root)}")
    if options.workers > 1:
        lines.append(f"  Workers:  {options.workers}")
    if options.root_path:
        lines.append(f"  Root path: {options.root_path}")
    lines.append(f"  Server:   {options.server}")
    return "\n".join(lines)


def _serve_uvicorn(loaded: LoadedApp, options: ServeOptions) -> None:
    uvicorn = require_server("uvicorn")
    # NOTE: reload and workers start new processes that import the app by name; otherwise the object already
    # imported is served, so the user's module is not executed twice.
    by_name = options.reload or options.workers > 1
    uvicorn.run(
        loaded.import_string if by_name else loaded.app,
        host=options.host,
        port=options.port,
        reload=options.reload,
        reload_dirs=[str(loaded.location.root)] if options.reload else None,
        workers=options.workers if options.workers > 1 else None,
        root_path=options.root_path,
        proxy_headers=options.proxy_headers,
        forwarded_allow_ips=options.forwarded_allow_ips,
        factory=loaded.factory and by_name,
        app_dir=str(loaded.location.root),
        timeout_graceful_shutdown=options.graceful_timeout,
    )


def _serve_granian(loaded: LoadedApp, options: ServeOptions) -> None:
    granian = require_server("granian")
    constants = importlib.import_module("granian.constants")
    root = loaded.location.root
    # NOTE: the proxies uvicorn trusts by default, so --proxy-headers means the same with either server
    trusted = (options.forwarded_allow_ips or "127.0.0.1") if options.proxy_headers else None
    interface, reason = servers.granian_interface(loaded.app)  # RSGI unless the app needs ASGI (see servers.py)
    print(f"  Interface: {interface.upper()} ({reason})", flush=True)
    deadline = granian_kill_timeout(options.graceful_timeout)
    os.environ.update(
        granian_entry.environment(
            loaded.import_string, root=str(root), factory=loaded.factory, trusted=trusted, interface=interface,
            root_path=options.root_path,
        )
    )
    # NOTE: the workers inherit the environment: their drain reads the deadline granian enforces from here
    os.environ[GRANIAN_DEADLINE_ENV] = str(deadline)
    wanted: dict[str, Any] = {
        "address": options.host,
        "port": options.port,
        "interface": constants.Interfaces.RSGI if interface == servers.RSGI else constants.Interfaces.ASGI,
        "workers": options.workers,
        "reload": options.reload,
        "reload_paths": [root],
        "factory": True,  # granian_entry.build is the factory, whether or not the user's app has one
        "working_dir": root,
        "url_path_prefix": options.root_path or None,
        "workers_kill_timeout": deadline,
    }
    # NOTE: granian's keyword arguments changed across releases; pass only those this version accepts.
    accepted = inspect.signature(granian.Granian).parameters
    kwargs = {key: value for key, value in wanted.items() if key in accepted}
    granian.Granian(granian_entry.TARGET, **kwargs).serve()


def granian_kill_timeout(graceful_timeout: float) -> float:
    """granian's `workers_kill_timeout` for `--timeout-graceful-shutdown`.

    granian reads 0 (or None) as "no deadline": the smallest positive value keeps 0 meaning what it means to
    uvicorn, no time for what is in flight.
    """
    return max(graceful_timeout, 0.001)


def serve(loaded: LoadedApp, options: ServeOptions) -> None:
    """Start the chosen server in this process; returns when it stops."""
    require_server(options.server)
    ensure_port_free(options.host, options.port)
    print(banner(loaded, options), flush=True)
    if options.server == "granian":
        _serve_granian(loaded, options)
    else:
        _serve_uvicorn(loaded, options)
