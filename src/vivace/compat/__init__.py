"""The `fastapi` import alias: `install()` makes `import fastapi.X` give the module `vivace.X`.

This is for code that cannot be edited (a third-party library, a test suite written for FastAPI).
Every submodule is the *same module object*, so `fastapi.responses.JSONResponse is vivace.responses.JSONResponse`
and `isinstance` checks work across both names. The top-level `fastapi` is a thin module over `vivace` whose only
own name is `__version__`: FastAPI's version, which libraries check before they instrument; the same check through
`importlib.metadata.version("fastapi")` is answered too, while the alias is installed (see `_version.py`).
Call `install()` before anything imports `fastapi`.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.metadata
import importlib.util
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

from vivace.compat._version import FASTAPI_VERSION, AliasDistribution, AliasPackage, is_fastapi_name

__all__ = ["ALIAS", "FASTAPI_VERSION", "TARGET", "install", "installed", "uninstall"]

ALIAS = "fastapi"
TARGET = "vivace"


def _target_name(fullname: str) -> str | None:
    """Map `fastapi` / `fastapi.X.Y` to `vivace` / `vivace.X.Y`; other names are not ours."""
    if fullname == ALIAS:
        return TARGET
    if fullname.startswith(ALIAS + "."):
        return TARGET + fullname[len(ALIAS) :]
    return None


def _is_alias_entry(name: str, module: object) -> bool:
    """True for a `sys.modules` entry that this alias put there (a `fastapi*` key holding a vivace module)."""
    if _target_name(name) is None:
        return False
    if isinstance(module, AliasPackage):
        return True
    real = getattr(module, "__name__", "")
    return isinstance(real, str) and (real == TARGET or real.startswith(TARGET + "."))


class _AliasLoader(importlib.abc.Loader):
    """Hands the import system the already-importable vivace module instead of building a new one."""

    def __init__(self, target: str) -> None:
        self._target = target
        self._real_spec: ModuleSpec | None = None

    def create_module(self, spec: ModuleSpec) -> ModuleType:
        module = importlib.import_module(self._target)
        if self._target == TARGET:
            return AliasPackage(module)  # NOTE: a module of its own, for FastAPI's `__version__`
        self._real_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        # NOTE: between create_module and here the import system has replaced `module.__spec__` with the
        # alias spec (Python sets it unconditionally). Left that way, `__spec__.parent` ("fastapi...") no
        # longer matches `__package__` ("vivace..."), and every later relative import inside the module
        # emits an ImportWarning. Putting the real spec back keeps vivace's modules exactly as they were.
        if self._real_spec is not None:
            module.__spec__ = self._real_spec


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Answers for `fastapi` and `fastapi.*` only; first on `sys.meta_path` so no other copy can win."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        target_name = _target_name(fullname)
        if target_name is None:
            return None
        # NOTE: returning None for a vivace submodule that does not exist lets the import fail with the
        # usual "No module named 'fastapi.X'": the next finders search `fastapi.__path__`, which is
        # vivace's own directory, so they cannot find a real FastAPI module either.
        real_spec = importlib.util.find_spec(target_name)
        if real_spec is None:
            return None
        return importlib.util.spec_from_loader(
            fullname,
            _AliasLoader(target_name),
            is_package=real_spec.submodule_search_locations is not None,
        )

    def find_distributions(self, context: Any = None) -> list[importlib.metadata.Distribution]:
        """`importlib.metadata`'s hook: a `fastapi` distribution record (FastAPI's version) while installed."""
        name = getattr(context, "name", None)
        if not is_fastapi_name(name):
            return []  # NOTE: a listing of every distribution (name None) keeps showing what is on disk
        return [AliasDistribution(importlib.import_module(TARGET))]


_finder = _AliasFinder()


def installed() -> bool:
    """Whether the alias is active."""
    return _finder in sys.meta_path


def install() -> None:
    """Make `import fastapi…` resolve to vivace in this process. Idempotent.

    Raises RuntimeError if a real `fastapi` is already imported: two frameworks under one name would
    give objects that look alike but fail each other's `isinstance` checks.
    """
    current = sys.modules.get(ALIAS)
    if current is not None and not _is_alias_entry(ALIAS, current):
        raise RuntimeError(
            "vivace.compat.install() must run before anything imports the real 'fastapi' "
            f"(already imported from {getattr(current, '__file__', '?')})"
        )
    if not installed():
        sys.meta_path.insert(0, _finder)


def uninstall() -> None:
    """Remove the alias and forget the `fastapi*` names it created; vivace's own modules stay loaded."""
    while _finder in sys.meta_path:
        sys.meta_path.remove(_finder)
    for name, module in list(sys.modules.items()):
        if _is_alias_entry(name, module):
            del sys.modules[name]
