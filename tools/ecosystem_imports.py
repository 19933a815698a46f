"""Which of the `fastapi` names a library's code uses does vivace lack? A static look, no test run needed.

    .venv/bin/python tools/ecosystem_imports.py DIR [DIR ...]     # prints JSON: {DIR: {name: [file:line, ...]}}

Reads every .py file under each directory (a library's unpacked sdist: its code and its tests) for
`from fastapi.X import Y`, `import fastapi.X` and dotted uses such as `fastapi.routing.get_request_handler`, then
resolves each through the `fastapi` -> vivace alias in this process. What does not resolve is listed with where it
is used. A test run stops at a library's first missing import; this lists all of them at once.

Run as its own process (tools/ecosystem.py does): it installs the alias, which must come before any real `fastapi`.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

ALIAS = "fastapi"
_MISSING = object()  # not None: an attribute may well be None


def _dotted(node: ast.expr) -> str | None:
    """`a.b.c` for an attribute chain on a plain name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def _is_fastapi(name: str) -> bool:
    return name == ALIAS or name.startswith(ALIAS + ".")


def used_names(source: str) -> Iterator[tuple[str, int]]:
    """Every dotted `fastapi` name the module uses, with its line: imported modules, imported names, and the
    outermost attribute chains read from `fastapi` (`fastapi.routing.get_request_handler`)."""
    tree = ast.parse(source)
    inner: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and _is_fastapi(node.module):
            yield from ((f"{node.module}.{alias.name}", node.lineno) for alias in node.names if alias.name != "*")
        elif isinstance(node, ast.Import):
            yield from ((alias.name, node.lineno) for alias in node.names if _is_fastapi(alias.name))
        elif isinstance(node, ast.Attribute) and id(node) not in inner:
            inner.add(id(node.value))  # only the outermost chain counts: `fastapi.a.b`, not also `fastapi.a`
            name = _dotted(node)
            if name and name.startswith(ALIAS + ".") and not isinstance(node.ctx, ast.Store):
                yield name, node.lineno


def _step(current: object, module_name: str, part: str) -> object:
    """`current.part`, or the submodule `module_name.part` if `current` is a package; _MISSING if neither exists."""
    found: object = getattr(current, part, _MISSING)
    if found is _MISSING and isinstance(current, ModuleType) and hasattr(current, "__path__"):
        with contextlib.suppress(ImportError):
            found = importlib.import_module(f"{module_name}.{part}")
    return found


def resolves(name: str) -> bool:
    """Whether a dotted `fastapi` name (module, submodule, attribute) exists under the alias."""
    parts = name.split(".")
    current: object = importlib.import_module(ALIAS)
    for index, part in enumerate(parts[1:], start=1):
        current = _step(current, ".".join(parts[:index]), part)
        if current is _MISSING:
            return False
    return True


def scan(tree: Path) -> dict[str, list[str]]:
    """Unresolved `fastapi` names under `tree`, each with the places (`path:line`) that use it."""
    missing: dict[str, list[str]] = {}
    for path in sorted(tree.rglob("*.py")):
        try:
            uses = list(used_names(path.read_text(encoding="utf-8", errors="replace")))
        except SyntaxError:
            continue
        for name, line in uses:
            if not resolves(name):
                missing.setdefault(name, []).append(f"{path.relative_to(tree)}:{line}")
    return dict(sorted(missing.items()))


def main(argv: list[str]) -> int:
    import vivace.compat

    vivace.compat.install()
    print(json.dumps({directory: scan(Path(directory)) for directory in argv}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
