"""Blocking calls inside `async def` code, found by reading the function's source (AST), not by running it.

An `async def` endpoint or dependency runs on the event loop, so a blocking call there stalls every other
request. Calls are resolved against the function's module globals, so `from time import sleep` and
`import requests as r` are recognised too. Plain functions of the project called directly from async code are
followed (a few levels deep), since their body runs on the event loop as well.
"""

from __future__ import annotations

import ast
import builtins
import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from vivace._cli.errors import is_framework_frame

__all__ = ["BlockingCall", "Scanner", "rule_for"]

# `Path(...).read_text()`: file IO through a pathlib object built in the same expression
_PATH_CLASSES = ("pathlib.Path", "pathlib.PosixPath", "pathlib.WindowsPath")
_PATH_IO = ("read_text", "read_bytes", "write_text", "write_bytes", "open")

_SLEEP = "use `await asyncio.sleep(...)` (or `await anyio.sleep(...)`)"
_HTTP = "use an async HTTP client such as `httpx.AsyncClient`"
_FILE = "use `await anyio.open_file(...)` or `await anyio.Path(...).read_text()`"
_DB = "use an async driver (aiosqlite, asyncpg, psycopg 3's AsyncConnection, aiomysql)"
_PROCESS = "use `await asyncio.create_subprocess_exec(...)`"

_EXACT = {
    "time.sleep": _SLEEP,
    "urllib.request.urlopen": _HTTP,
    "builtins.open": _FILE,
    **{f"pathlib.Path.{name}": _FILE for name in _PATH_IO},
    "sqlite3.connect": _DB,
    "psycopg2.connect": _DB,
    "pymysql.connect": _DB,
    "MySQLdb.connect": _DB,
    "mysql.connector.connect": _DB,
    "os.system": _PROCESS,
    **{f"subprocess.{name}": _PROCESS for name in ("run", "call", "check_call", "check_output")},
    **{f"httpx.{name}": _HTTP for name in ("get", "post", "put", "patch", "delete", "head", "options", "request",
                                            "stream", "Client")},
}
_PREFIXES = {"requests.": _HTTP, "urllib3.": _HTTP}
# implementation modules that public names resolve to at runtime
_ALIASES = (("_sqlite3.", "sqlite3."), ("posix.", "os."), ("nt.", "os."), ("io.open", "builtins.open"),
            ("httpx._api.", "httpx."), ("httpx._client.", "httpx."))
_MAX_DEPTH = 3


def rule_for(name: str) -> str | None:
    """The fix hint for a blocking callable's dotted name, or None when it is not known to block."""
    for private, public in _ALIASES:
        if name.startswith(private):
            name = public + name[len(private):]
    if name in _EXACT:
        return _EXACT[name]
    return next((hint for prefix, hint in _PREFIXES.items() if name.startswith(prefix)), None)


@dataclass(frozen=True)
class BlockingCall:
    file: str
    line: int
    column: int
    written: str  # the call as written: `sleep`, `requests.get`
    name: str  # what it resolved to: `time.sleep`, `requests.get`
    hint: str
    via: tuple[str, ...]  # helper functions between the endpoint/dependency and the call


def _dotted(expr: ast.expr) -> list[str] | None:
    if isinstance(expr, ast.Name):
        return [expr.id]
    if isinstance(expr, ast.Attribute):
        head = _dotted(expr.value)
        return None if head is None else [*head, expr.attr]
    return None


def _qualified(value: Any) -> str | None:
    if isinstance(value, ModuleType):
        return value.__name__
    module, qualname = getattr(value, "__module__", None), getattr(value, "__qualname__", None)
    return f"{module}.{qualname}" if isinstance(module, str) and isinstance(qualname, str) else None


class _DirectCalls(ast.NodeVisitor):
    """Calls executed when the function body runs: nested functions, lambdas and classes are skipped."""

    def __init__(self) -> None:
        self.calls: list[ast.Call] = []
        self.imports: dict[str, str] = {}

    def visit_Call(self, node: ast.Call) -> None:
        self.calls.append(node)
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            local = alias.asname or alias.name.split(".")[0]
            self.imports[local] = alias.name if alias.asname else local

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.module and not node.level:
            for alias in node.names:
                self.imports[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def _skip(self, node: ast.AST) -> None:
        pass

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = visit_ClassDef = _skip


@dataclass
class Scanner:
    """Scans functions for blocking calls; parsed files are cached, so shared dependencies cost one parse."""

    project_root: Path
    _trees: dict[str, ast.Module | None] = field(default_factory=dict)

    def _tree(self, file: str) -> ast.Module | None:
        if file not in self._trees:
            try:
                self._trees[file] = ast.parse(Path(file).read_text(encoding="utf-8"), filename=file)
            except (OSError, SyntaxError, ValueError):
                self._trees[file] = None
        return self._trees[file]

    def _definition(self, function: Any) -> tuple[str, ast.FunctionDef | ast.AsyncFunctionDef] | None:
        code = getattr(function, "__code__", None)
        file = inspect.getsourcefile(function) if code is not None else None
        tree = self._tree(file) if file else None
        if code is None or file is None or tree is None:
            return None
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == code.co_name:
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                if first == code.co_firstlineno:
                    return file, node
        return None

    def _is_project_function(self, value: Any) -> bool:
        if not inspect.isfunction(value):
            return False
        file = value.__code__.co_filename
        path = Path(file)
        return path.is_relative_to(self.project_root) and "site-packages" not in path.parts and not (
            is_framework_frame(file)
        )

    def scan(self, function: Callable[..., Any]) -> list[BlockingCall]:
        """Blocking calls `function` makes when it runs (following the project's own helpers)."""
        return list(self._scan(inspect.unwrap(function), (), set()))

    def _scan(self, function: Any, via: tuple[str, ...], seen: set[Any]) -> Iterator[BlockingCall]:
        seen.add(function)
        found = self._definition(function)
        if found is None:
            return
        file, node = found
        visitor = _DirectCalls()
        for statement in node.body:
            visitor.visit(statement)
        namespace: dict[str, Any] = getattr(function, "__globals__", {})
        for call in visitor.calls:
            callee = _callee(call, namespace, visitor.imports)
            if callee is None:
                continue
            written, name, target = callee
            hint = rule_for(name)
            if hint is not None:
                yield BlockingCall(file, call.lineno, call.col_offset + 1, written, name, hint, via)
            elif len(via) < _MAX_DEPTH and self._is_project_function(target) and target not in seen:
                yield from self._scan(target, (*via, written), seen)


_MISSING = object()


def _callee(call: ast.Call, namespace: dict[str, Any], imports: dict[str, str]) -> tuple[str, str, Any] | None:
    """(as written, resolved dotted name, object if known) for `f()`, `mod.f()` and `Path(...).read_text()`."""
    parts = _dotted(call.func)
    if parts is not None:
        return (".".join(parts), *_resolve(parts, namespace, imports))
    func = call.func
    if not (isinstance(func, ast.Attribute) and func.attr in _PATH_IO and isinstance(func.value, ast.Call)):
        return None
    built = _dotted(func.value.func)
    if built is None or _resolve(built, namespace, imports)[0] not in _PATH_CLASSES:
        return None
    return f"{'.'.join(built)}(...).{func.attr}", f"pathlib.Path.{func.attr}", None


def _resolve(parts: list[str], namespace: dict[str, Any], imports: dict[str, str]) -> tuple[str, Any]:
    """The dotted name a call refers to, and the object when it can be looked up without running anything."""
    head, rest = parts[0], parts[1:]
    if head in imports:  # an import inside the function body
        return ".".join([imports[head], *rest]), None
    value = namespace.get(head, _MISSING)
    if value is _MISSING:
        base = f"builtins.{head}" if hasattr(builtins, head) else head
        return ".".join([base, *rest]), None
    base_name = _qualified(value)
    for attribute in rest:
        value = getattr(value, attribute, None) if isinstance(value, ModuleType) else None
    return ".".join([base_name or head, *rest]), value
