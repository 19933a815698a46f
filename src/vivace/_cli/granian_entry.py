"""The app granian's worker processes load: the user's app, behind granian's proxy-header wrapper.

granian imports its target by name in every worker, so the options of `vivace run` travel to the workers in
one environment variable instead of as Python objects. uvicorn needs none of this: it has the options itself.
Over RSGI (`vivace._cli.servers` decides) the worker gets the app's RSGI entry, with the root path set on it
(granian gives its `url_path_prefix` to ASGI apps only) and the forwarded headers applied to the ASGI scope the
entry builds.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

from vivace._rsgi.entry import RSGIEntry

__all__ = ["ENV", "TARGET", "build", "environment"]

ENV = "VIVACE_GRANIAN_APP"
TARGET = f"{__name__}:build"


def environment(
    import_string: str,
    *,
    root: str,
    factory: bool,
    trusted: str | None,
    interface: str = "asgi",
    root_path: str = "",
) -> dict[str, str]:
    """The variable `build` reads: the user's app by name, the proxies to trust (None: no proxy headers), the
    interface granian serves ("asgi" or "rsgi") and the root path."""
    settings = {
        "target": import_string, "root": root, "factory": factory, "trusted": trusted, "interface": interface,
        "root_path": root_path,
    }  # fmt: skip
    return {ENV: json.dumps(settings)}


def build() -> Any:
    """Import the user's app (calling its factory if asked) and wrap it to apply X-Forwarded-* headers."""
    settings = json.loads(os.environ[ENV])
    if settings["root"] not in sys.path:
        sys.path.insert(0, settings["root"])
    module_name, _, attr = settings["target"].partition(":")
    app = getattr(importlib.import_module(module_name), attr)
    if settings["factory"]:
        app = app()
    trusted = settings["trusted"]
    if settings.get("interface") == "rsgi":
        outer = None if trusted is None else (lambda inner: _with_proxy_headers(inner, trusted))
        return RSGIEntry(app, root_path=settings.get("root_path", ""), outer=outer)
    if trusted is None:
        return app
    return _with_proxy_headers(app, trusted)


def _with_proxy_headers(app: Any, trusted: str) -> Any:
    proxies = importlib.import_module("granian.utils.proxies")
    return proxies.wrap_asgi_with_proxy_headers(app, trusted_hosts=trusted)
