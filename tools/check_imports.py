"""Check that vivace's own imports flow one way: no import circles, `_core/app.py` kept inside `_core/`, short modules.

Usage: `python tools/check_imports.py [--root src/vivace]`; exit 1 with every finding printed, 0 when clean.

How the module graph is built (every module under the root, parsed with `ast`, never imported):

* every import statement counts, at any depth: module level, inside functions, under `if TYPE_CHECKING:` (a
  circle that only type checkers walk is still a circle a reader has to untangle);
* relative imports are resolved against the importing module's package;
* `import vivace.a.b` is an edge to the module `vivace.a.b` only (not to the packages `vivace` and `vivace.a`
  Python also runs on the way: a package's `__init__` importing its own submodules is the normal shape);
* `from vivace.a import b` is an edge to the submodule `vivace.a.b` when `b` is one, else to `vivace.a` itself
  (its `__init__`, or the module `a.py`). So `from vivace import Something` inside vivace is an edge to
  `vivace/__init__.py`, which imports nearly everything: such an import closes a circle, and the fix is to
  import the name from the module that defines it;
* imports of other packages (starlette, pydantic...) are not part of the graph; a module importing itself
  (a package's `__init__` naming its own package) is not an edge; neither is a call such as
  `importlib.import_module(...)`, which is not an import statement.

What fails:

* a circle: any strongly connected component of more than one module, printed with one circle through it and
  the line of each import on the way;
* a module outside `_core/` that imports `vivace._core.app` (the ASGI entry behind the middleware stack): the
  names other layers need from it live in `_core/exports.py`, see ARCHITECTURE.md;
* a module over 700 lines (the house style splits a module there);
* a deferred module (`DEFERRED`: the OpenAPI models, the security schemes, the RSGI entry, the CLI...) that
  `import vivace` would run: reachable from the package through eager imports only. An import is eager when it
  runs with its module: at module level or in a class body, not inside a function and not under
  `if TYPE_CHECKING:`; importing `vivace.a.b` also runs the package `vivace.a`. Such a module must be loaded
  on first use (a function-level import, a PEP 562 `__getattr__`), so startup pays nothing for it. The finding
  prints the chain of imports that pulls it in.
"""

from __future__ import annotations

import argparse
import ast
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "src" / "vivace"
MAX_LINES = 700
#: (the private package, the module inside it that nothing outside that package may import)
SEALED = ("_core", "_core.app")
#: modules `import vivace` must not run (each is loaded where it is first used); a package covers its submodules
DEFERRED = (
    "_cli",
    "_docs_assets",
    "_route_private",
    "_rsgi",
    "_sse_event",
    "asyncapi",
    "cache",
    "channels",
    "cli",
    "compat",
    "dependencies",
    "middleware.http",
    "openapi._security_models",
    "openapi.models",
    "openapi.utils",
    "ratelimit",
    "security.api_key",
    "security.base",
    "security.http",
    "security.oauth2",
    "security.open_id_connect_url",
    "tasks",
    "templating",
    "testclient",
    "versioning",
)


@dataclass(frozen=True)
class Edge:
    """One import: `source` imports `target` at `line` of its file."""

    source: str
    target: str
    line: int
    eager: bool = True  # runs with the module (module level or class body, not under TYPE_CHECKING)


@dataclass
class Graph:
    """The package's modules (dotted name -> file) and the imports between them."""

    package: str
    files: dict[str, Path]
    edges: dict[str, list[Edge]] = field(default_factory=dict)

    def targets(self, module: str) -> set[str]:
        return {edge.target for edge in self.edges.get(module, [])}


# -- reading the package --------------------------------------------------------------------------------------


def module_files(root: Path) -> dict[str, Path]:
    """Every module under `root` by dotted name; `pkg/__init__.py` is the module `pkg`."""
    files: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        parts = [root.name, *path.relative_to(root).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        files[".".join(parts)] = path
    return files


def _is_package(module: str, files: dict[str, Path]) -> bool:
    path = files.get(module)
    return path is None or path.name == "__init__.py"  # NOTE: a directory with no __init__ is a namespace package


def _base(module: str, level: int, files: dict[str, Path]) -> str:
    """The package a relative import of `level` dots starts from, inside `module`."""
    parts = module.split(".")
    if not _is_package(module, files):
        parts.pop()
    return ".".join(parts[: len(parts) - (level - 1)])


def imported_modules(node: ast.Import | ast.ImportFrom, module: str, files: dict[str, Path]) -> Iterator[str]:
    """The modules of the package an import statement names (see the module docstring for the rules)."""
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    source = node.module or ""
    if node.level:
        base = _base(module, node.level, files)
        source = f"{base}.{source}" if source else base
    for alias in node.names:
        submodule = f"{source}.{alias.name}"
        yield submodule if submodule in files else source


def build_graph(root: Path) -> Graph:
    files = module_files(root)
    graph = Graph(root.name, files)
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges = graph.edges.setdefault(module, [])
        eager = {id(node) for node in eager_imports(tree)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            for target in dict.fromkeys(imported_modules(node, module, files)):  # once per statement
                if target in files and target != module:
                    edges.append(Edge(module, target, node.lineno, id(node) in eager))
    return graph


def eager_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """The import statements that run when the module is imported: not in a function, not under TYPE_CHECKING."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            yield from (found for child in node.orelse for found in eager_imports(ast.Module([child], [])))
        else:
            yield from eager_imports(node)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


# -- circles --------------------------------------------------------------------------------------------------


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components in no particular order, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for start in sorted(graph.files):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.targets(start))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    components.append(_pop_component(node, stack, on_stack))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(graph.targets(child)))))
            elif child in on_stack:
                low[node] = min(low[node], index[child])
    return components


def _pop_component(root: str, stack: list[str], on_stack: set[str]) -> list[str]:
    component: list[str] = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return sorted(component)


def one_circle(graph: Graph, component: Sequence[str]) -> list[Edge]:
    """A shortest circle from the component's first module back to itself, staying inside the component."""
    members = set(component)
    start = component[0]
    came_by: dict[str, Edge] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for module in frontier:
            for edge in graph.edges.get(module, []):
                if edge.target == start:
                    return _walk_back(came_by, edge, start)
                if edge.target in members and edge.target not in came_by:
                    came_by[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    raise AssertionError(f"no circle through {start}")  # pragma: no cover - a component always has one


def _walk_back(came_by: dict[str, Edge], last: Edge, start: str) -> list[Edge]:
    path = [last]
    while path[0].source != start:
        path.insert(0, came_by[path[0].source])
    return path


# -- the checks -----------------------------------------------------------------------------------------------


def circle_problems(graph: Graph) -> list[str]:
    problems = []
    for component in sorted(c for c in strongly_connected(graph) if len(c) > 1):
        steps = "\n".join(f"    {e.source} -> {e.target}  ({_where(graph, e)})" for e in one_circle(graph, component))
        problems.append(f"import circle among {', '.join(component)}:\n{steps}")
    return problems


def sealed_problems(graph: Graph) -> list[str]:
    package, sealed = (f"{graph.package}.{name}" for name in SEALED)
    return [
        f"{_where(graph, edge)}: {edge.source} imports {sealed}; outside {package} use {package}.exports"
        for module, edges in sorted(graph.edges.items())
        if module != package and not module.startswith(package + ".")
        for edge in edges
        if edge.target == sealed
    ]


def deferred_problems(graph: Graph, deferred: Sequence[str] = DEFERRED) -> list[str]:
    """Each deferred module that `import <package>` runs, with the chain of eager imports that reaches it."""
    came_by = _eager_reach(graph)
    prefixes = tuple(f"{graph.package}.{name}" for name in deferred)
    problems = []
    for module in sorted(came_by):
        if not any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            continue
        chain: list[str] = []
        step = came_by[module]
        while step is not None:
            chain.insert(0, f"    {step.source} -> {step.target}  ({_where(graph, step)})")
            step = came_by[step.source]
        problems.append(f"{module} is deferred, but `import {graph.package}` runs it:\n" + "\n".join(chain))
    return problems


def _eager_reach(graph: Graph) -> dict[str, Edge | None]:
    """Every module `import <package>` runs, with the eager import that first reaches it (None: the package)."""
    came_by: dict[str, Edge | None] = {graph.package: None}
    frontier = [graph.package]
    while frontier:
        following: list[str] = []
        for module in frontier:
            for edge in _eager_edges(graph, module):
                if edge.target not in came_by:
                    came_by[edge.target] = edge
                    following.append(edge.target)
        frontier = following
    return came_by


def _eager_edges(graph: Graph, module: str) -> Iterator[Edge]:
    """A module's eager imports, each preceded by the packages Python runs on the way to its target."""
    for edge in graph.edges.get(module, []):
        if not edge.eager:
            continue
        parts = edge.target.split(".")
        for depth in range(2, len(parts)):
            package = ".".join(parts[:depth])
            if package in graph.files and package != module:
                yield Edge(module, package, edge.line)
        yield edge


def length_problems(graph: Graph) -> list[str]:
    problems = []
    for module, path in sorted(graph.files.items()):
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            problems.append(f"{_shown(path)}: {module} has {lines} lines (more than {MAX_LINES}: split it)")
    return problems


def _where(graph: Graph, edge: Edge) -> str:
    return f"{_shown(graph.files[edge.source])}:{edge.line}"


def _shown(path: Path) -> Path:
    """`path` relative to the working directory when it is below it (as editors and terminals link it)."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the package directory (default: src/vivace)")
    args = parser.parse_args(argv)
    graph = build_graph(args.root)
    problems = [*circle_problems(graph), *sealed_problems(graph), *deferred_problems(graph), *length_problems(graph)]
    for problem in problems:
        print(problem)
    count = sum(len(edges) for edges in graph.edges.values())
    verdict = f"{len(problems)} problem(s)" if problems else "no circles, nothing over the limits"
    print(f"{len(graph.files)} modules, {count} imports inside {graph.package}: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
