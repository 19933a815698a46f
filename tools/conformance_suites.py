"""The selections of FastAPI's test suite that tools/conformance.py can run against vivace.

- `tutorial`: tests/test_tutorial/, one section per directory. The ratchet (`check`, the floor) is about it.
- `core`: every other test module under tests/ (one section per top-level module or directory), without the
  benchmarks and the modules that import a package this venv lacks or that the work tree does not hold (such
  as FastAPI's release scripts). Report-only for now.

Each suite has its own cached baseline, last-run file and run directories, so neither overwrites the other.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

TESTS = "tests"
TUTORIAL_DIR = f"{TESTS}/test_tutorial"
# NOTE: benchmarks skip themselves without --codspeed; memory benchmarks measure FastAPI, not behaviour.
CORE_EXCLUDED = frozenset({"test_tutorial", "benchmarks", "memory_benchmarks"})


@dataclass(frozen=True)
class Suite:
    name: str
    title: str  # as printed: "FastAPI 0.165.0's <title>"
    root: str  # relative to the work tree
    file_tag: str  # "" for the tutorial suite, so its cache files keep their historical names

    def cache_name(self, stem: str, suffix: str = "") -> str:
        """`baseline` -> `baseline-core`; the tutorial suite's names carry no tag."""
        return f"{stem}-{self.file_tag}{suffix}" if self.file_tag else f"{stem}{suffix}"

    def sections(self, tree: Path) -> list[str]:
        """Every section the suite holds, by name."""
        base = tree / self.root
        if self.name == "tutorial":
            return sorted(p.name for p in base.iterdir() if p.is_dir())
        modules = [p.stem for p in base.glob("test_*.py")]
        folders = [p.name for p in base.iterdir() if p.is_dir() and p.name.startswith("test_")]
        return sorted(name for name in [*modules, *folders] if name not in CORE_EXCLUDED)

    def target(self, tree: Path, section: str) -> str:
        """The path pytest is given to run one section."""
        path = f"{self.root}/{section}"
        return path if (tree / path).is_dir() else f"{path}.py"

    def runs_whole_root(self) -> bool:
        """Whether pytest may be given the root itself when every section runs (else sections one by one)."""
        return self.name == "tutorial"

    def section_of(self, nodeid: str) -> str:
        """`tests/test_tutorial/test_body/test_tutorial001.py::t` -> `test_body`; `tests/test_x.py::t` -> `test_x`."""
        parts = nodeid.split("::")[0].split("/")
        depth = len(self.root.split("/"))
        if len(parts) > depth + 1:
            return parts[depth]
        return parts[-1].removesuffix(".py")

    def section_of_conftest(self, relative: tuple[str, ...]) -> str | None:
        """The section owning a conftest.py at `relative` (parts below the root), if it is inside one."""
        return relative[0] if len(relative) > 1 else None


TUTORIAL = Suite("tutorial", "tutorial tests", TUTORIAL_DIR, "")
CORE = Suite("core", "core tests (tests/ without test_tutorial)", TESTS, "core")
SUITES = {suite.name: suite for suite in (TUTORIAL, CORE)}


def _imported_roots(source: str) -> set[str]:
    """Top-level names of a module's absolute imports made at import time (not those inside functions)."""
    roots: set[str] = set()
    pending: list[ast.AST] = [ast.parse(source)]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            pending.extend(ast.iter_child_nodes(node))
    return roots


def missing_imports(tree: Path, section_path: Path) -> list[str]:
    """Packages a section imports that neither this venv nor the work tree provides.

    NOTE: a static scan is enough here: a module needing an absent package fails on FastAPI too, so it could
    never count in B; leaving it out only keeps its noise out of the report. Imports inside functions are not
    looked at: a test that needs one fails on FastAPI as well and so stays out of B by itself.
    """
    files = sorted(section_path.rglob("*.py")) if section_path.is_dir() else [section_path]
    missing: set[str] = set()
    for path in files:
        for root in _imported_roots(path.read_text(encoding="utf-8")):
            if root in ("fastapi", "vivace") or (tree / root).exists():
                continue
            if importlib.util.find_spec(root) is None:
                missing.add(root)
    return sorted(missing)


def runnable_sections(suite: Suite, tree: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The suite's sections that can run here, and those left out with the packages they lack."""
    if suite.name == "tutorial":
        return suite.sections(tree), {}
    runnable: list[str] = []
    left_out: dict[str, list[str]] = {}
    for section in suite.sections(tree):
        missing = missing_imports(tree, tree / suite.target(tree, section))
        if missing:
            left_out[section] = missing
        else:
            runnable.append(section)
    return runnable, left_out
