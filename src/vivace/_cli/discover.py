"""Find the user's application: the file, the importable module name, and the app object inside it.

The rules follow FastAPI's CLI so a project moves over unchanged: without a PATH the first file of
`DEFAULT_FILES` that exists is used; a file inside packages is imported by its dotted name with the directory
above the top package on `sys.path`; the app is the variable `app` or `api` (or any app found in the module),
`--app NAME` picks another, and `--factory` calls a function that builds it.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from vivace._cli.errors import CLIError, UserCodeError
from vivace.applications import Vivace

__all__ = ["DEFAULT_FILES", "LoadedApp", "ModuleLocation", "display_path", "load_app", "locate"]

DEFAULT_FILES = ("main.py", "app.py", "api.py", "app/main.py", "app/app.py", "app/api.py", "app/__init__.py")
_APP_NAMES = ("app", "api")
_FACTORY_NAME = "create_app"


@dataclass(frozen=True)
class ModuleLocation:
    """A Python file and how to import it: `module` is importable once `root` is on `sys.path`."""

    file: Path
    module: str
    root: Path


@dataclass(frozen=True)
class LoadedApp:
    """The application and where it came from (servers with reload or workers import it again by name)."""

    app: Vivace
    location: ModuleLocation
    attr: str
    factory: bool

    @property
    def import_string(self) -> str:
        return f"{self.location.module}:{self.attr}"


def display_path(path: Path | str) -> str:
    """`path` relative to the working directory when it is inside it (shorter and clickable in terminals)."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(Path.cwd()))
    except ValueError:
        return str(resolved)


def _find_file(path: str | None) -> Path:
    if path is None:
        return _first_existing(Path.cwd(), DEFAULT_FILES, where="the current directory")
    target = Path(path)
    if not target.exists():
        raise CLIError(f"Path does not exist: {path}", hint="pass a Python file or a package directory")
    if target.is_dir():
        return _first_existing(target, ("__init__.py", "main.py", "app.py", "api.py"), where=str(target))
    if target.suffix != ".py":
        raise CLIError(f"Not a Python file: {path}", hint="pass a .py file or a package directory")
    return target


def _first_existing(directory: Path, names: tuple[str, ...], where: str) -> Path:
    for name in names:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise CLIError(
        f"No app file found in {where}: looked for {', '.join(names)}",
        hint="pass the file or package that defines the app, e.g. `vivace dev src/myproject/main.py`",
    )


def locate(path: str | None) -> ModuleLocation:
    """The file to import and its dotted module name, walking up through packages (`__init__.py`)."""
    file = _find_file(path).resolve()
    parts = [] if file.name == "__init__.py" else [file.stem]
    directory = file.parent
    while (directory / "__init__.py").is_file():
        parts.insert(0, directory.name)
        directory = directory.parent
    return ModuleLocation(file=file, module=".".join(parts), root=directory)


def _forget_stale(location: ModuleLocation) -> None:
    """Drop an already imported module of the same name that comes from another directory.

    NOTE: only matters when `load_app` runs more than once in a process (tests, notebooks): two projects both
    have a `main`, and `import_module` would return the first one from `sys.modules`.
    """
    top = location.module.split(".")[0]
    if top in sys.stdlib_module_names:
        raise CLIError(
            f"{display_path(location.file)} would be imported as {top!r}, the name of a standard library module",
            hint="rename the file (or its package)",
        )
    cached = sys.modules.get(top)
    origin = getattr(cached, "__file__", None)
    if cached is None or (origin is not None and Path(origin).resolve().is_relative_to(location.root)):
        return
    for name in [name for name in sys.modules if name == top or name.startswith(top + ".")]:
        del sys.modules[name]


def _import(location: ModuleLocation) -> ModuleType:
    root = str(location.root)
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)  # first, so the project's `main` wins over any other module of that name
    _forget_stale(location)
    importlib.invalidate_caches()  # a file created since the last import would otherwise be missed
    try:
        return importlib.import_module(location.module)
    except Exception as exc:
        raise UserCodeError(
            f"Could not import {location.module!r} ({display_path(location.file)}); the error is in your code:",
            exc,
        ) from exc


def _apps_in(module: ModuleType) -> list[str]:
    return [name for name, value in vars(module).items() if isinstance(value, Vivace)]


_FOREIGN_HINT = (
    "the module builds its app with the `fastapi` package: import FastAPI from vivace instead "
    "(`from vivace import FastAPI`), or call `vivace.compat.install()` before importing fastapi"
)


def _is_foreign_app(value: Any) -> bool:
    """A FastAPI or Starlette application object (not vivace's): a common slip when migrating."""
    return type(value).__module__.split(".")[0] in ("fastapi", "starlette") and hasattr(value, "router")


def _pick_name(module: ModuleType, location: ModuleLocation, name: str | None, factory: bool) -> str:
    if name is not None:
        if not hasattr(module, name):
            found = ", ".join(_apps_in(module)) or "none"
            raise CLIError(
                f"{display_path(location.file)} has no variable {name!r}", hint=f"apps found in the module: {found}"
            )
        return name
    if factory:
        if hasattr(module, _FACTORY_NAME):
            return _FACTORY_NAME
        raise CLIError(
            f"No {_FACTORY_NAME}() in {display_path(location.file)}",
            hint="name the factory with --app NAME (it is called without arguments and returns the app)",
        )
    for candidate in (*_APP_NAMES, *_apps_in(module)):
        if isinstance(getattr(module, candidate, None), Vivace):
            return candidate
    hint = "name the variable `app`, or pass --app NAME"
    if any(_is_foreign_app(value) for value in vars(module).values()):
        hint = _FOREIGN_HINT
    elif inspect.isfunction(getattr(module, "app", None)) or hasattr(module, _FACTORY_NAME):
        hint += " (add --factory if a function builds the app)"
    raise CLIError(
        f"No vivace app found in {display_path(location.file)} (module {location.module!r}): looked for a variable "
        f"named {' or '.join(map(repr, _APP_NAMES))} and for any vivace/FastAPI app among its variables",
        hint=hint,
    )


def load_app(path: str | None, *, name: str | None = None, factory: bool = False) -> LoadedApp:
    """Import the user's module and return the app it defines (calling the factory when asked to)."""
    location = locate(path)
    module = _import(location)
    attr = _pick_name(module, location, name, factory)
    value = getattr(module, attr)
    where = f"{location.module}:{attr}"
    if factory:
        if not callable(value):
            raise CLIError(f"{where} is not callable, so it cannot be an app factory", hint="drop --factory")
        try:
            value = value()
        except Exception as exc:
            raise UserCodeError(f"The app factory {where}() raised:", exc) from exc
    if not isinstance(value, Vivace):
        hint = "pass --factory if it is a function that builds the app" if inspect.isfunction(value) else None
        hint = _FOREIGN_HINT if _is_foreign_app(value) else hint
        raise CLIError(f"{where} is a {type(value).__name__}, not a vivace (FastAPI) app", hint=hint)
    return LoadedApp(app=value, location=location, attr=attr, factory=factory)
