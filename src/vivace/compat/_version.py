"""What the `fastapi` alias answers to version checks: FastAPI's version, not vivace's.

Libraries gate their FastAPI support on the version (an error reporter turns its integration off below a minimum,
tracing instrumentation checks `importlib.metadata` for a distribution named `fastapi`). Through the alias those
checks see the FastAPI release whose public API vivace mirrors; `vivace.__version__` stays vivace's own.

Two pieces, both active exactly while the alias is installed and never written to disk:

* `AliasPackage`: the top-level `fastapi` module. A thin module of its own (so it can carry its own `__version__`)
  that reads every other name from vivace and writes every assignment through to vivace, so `fastapi.X is
  vivace.X` and a monkeypatch of `fastapi.X` patches vivace, as when the two names were one module;
* `AliasDistribution`: the metadata record `importlib.metadata.version("fastapi")` finds, naming vivace as the
  provider. It lives in the process only, so pip, `pip check` and other processes still see what is installed.
"""

from __future__ import annotations

import importlib.metadata
import os
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["FASTAPI_VERSION", "AliasDistribution", "AliasPackage", "is_fastapi_name"]

#: the FastAPI release whose public API vivace mirrors (docs/differences.md lists where it differs)
FASTAPI_VERSION = "0.165.0"


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


class AliasPackage(ModuleType):
    """The `fastapi` module under the alias: FastAPI's `__version__`, everything else vivace's."""

    def __init__(self, target: ModuleType) -> None:
        super().__init__("fastapi", target.__doc__)
        object.__setattr__(self, "_vivace", target)
        self.__version__ = FASTAPI_VERSION
        self.__alias_of__ = target.__name__  # NOTE: what tools that check which `fastapi` ran read
        # NOTE: a package needs `__path__` for `import fastapi.X`; the alias finder answers for those names first
        self.__path__ = list(target.__path__)

    def __getattr__(self, name: str) -> Any:
        return getattr(object.__getattribute__(self, "_vivace"), name)

    def __setattr__(self, name: str, value: Any) -> None:
        # NOTE: dunder names are the import system's bookkeeping of this module; the rest is vivace's
        if _is_dunder(name):
            object.__setattr__(self, name, value)
        else:
            setattr(object.__getattribute__(self, "_vivace"), name, value)

    def __delattr__(self, name: str) -> None:
        if _is_dunder(name):
            object.__delattr__(self, name)
        else:
            delattr(object.__getattribute__(self, "_vivace"), name)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(object.__getattribute__(self, "_vivace"))) | set(self.__dict__))

    def __repr__(self) -> str:
        return f"<module 'fastapi' (vivace alias, FastAPI {FASTAPI_VERSION} API)>"


def is_fastapi_name(name: str | None) -> bool:
    """Whether a distribution name asked for is FastAPI's (names compare normalised, as in PEP 503)."""
    if not name:
        return False
    return name.lower().replace("_", "-").replace(".", "-") == "fastapi"


class AliasDistribution(importlib.metadata.Distribution):
    """A `fastapi` distribution record in this process's metadata, provided by the installed vivace."""

    def __init__(self, target: ModuleType) -> None:
        self._root = Path(target.__path__[0]).parent
        self._provider = getattr(target, "__version__", "")

    def read_text(self, filename: str) -> str | None:
        if filename != "METADATA":
            return None
        return (
            "Metadata-Version: 2.1\n"
            "Name: fastapi\n"
            f"Version: {FASTAPI_VERSION}\n"
            f"Summary: the fastapi import alias of vivace {self._provider} (vivace.compat)\n"
        )

    def locate_file(self, path: str | os.PathLike[str]) -> Path:
        return self._root / path
