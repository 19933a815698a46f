"""Module attributes loaded on first use (PEP 562), for public modules whose names cost a lot to define.

`__getattr__ = lazy_names(__name__, {"Name": "vivace._module"})` in a module makes `module.Name` and
`from module import Name` import `vivace._module` the first time either runs; the value is then stored in the
module, so later lookups never reach the hook.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from importlib import import_module
from typing import Any

__all__ = ["lazy_names"]


def lazy_names(module: str, sources: Mapping[str, str]) -> Callable[[str], Any]:
    """A module `__getattr__` that loads each name in `sources` from the module it maps to."""

    def __getattr__(name: str) -> Any:
        source = sources.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        value = getattr(import_module(source), name)
        setattr(sys.modules[module], name, value)
        return value

    return __getattr__
