"""The app granian's worker processes load: the user's app, behind granian's proxy-header wrapper.

granian imports its target by name in every worker, so the options of `vivace run` travel to the workers in
one environment variable instead of as Python objects. uvicorn needs none of this: it has the options itself.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any

__all__ = ["ENV", "TARGET", "build", "environment"]

ENV = "VIVACE_GRANIAN_APP"
TARGET = f"{__name__}:build"


def environment(import_string: str, *, root: str, factory: bool, trusted: str | None) -> dict[str, str]:
    """The variable `build` reads: the user's app by name, and the proxies to trust (None: no proxy headers)."""
    return {ENV: json.dumps({"target": import_string, "root": root, "factory": factory, "trusted": trusted})}


def build() -> Any:
    """Import the user's app (calling its factory if asked) and wrap it to apply X-Forwarded-* headers."""
    settings = json.loads(os.environ[ENV])
    if settings["root"] not in sys.path:
        sys.path.insert(0, settings["root"])
    module_name, _, attr = settings["target"].partition(":")
    app = getattr(importlib.import_module(module_name), attr)
    if settings["factory"]:
        app = app()
    if settings["trusted"] is None:
        return app
    proxies = importlib.import_module("granian.utils.proxies")
    return proxies.wrap_asgi_with_proxy_headers(app, trusted_hosts=settings["trusted"])
