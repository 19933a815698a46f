"""Every public FastAPI module path exists in vivace and exposes the same public names.

FastAPI's public names are read from its installed source, not hard-coded: a module's public
names are those it defines at top level (functions, classes, assignments, also inside
`try:`/`if` blocks but not in `except` fallbacks or `if TYPE_CHECKING:`) plus those it
re-exports with the explicit `import X as X` form (PEP 484's re-export convention), minus
names starting with `_`. Plain imports (`from typing import Any`) are not exports.
"""

import ast
import importlib
import importlib.util
import inspect
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from starlette.exceptions import StarletteDeprecationWarning

import vivace

# The FastAPI module paths that vivace mirrors.
MIRRORED_MODULES = [
    "fastapi",
    "fastapi.applications",
    "fastapi.background",
    "fastapi.concurrency",
    "fastapi.datastructures",
    "fastapi.encoders",
    "fastapi.exception_handlers",
    "fastapi.exceptions",
    "fastapi.logger",
    "fastapi.middleware",
    "fastapi.middleware.cors",
    "fastapi.middleware.gzip",
    "fastapi.middleware.httpsredirect",
    "fastapi.middleware.trustedhost",
    "fastapi.middleware.wsgi",
    "fastapi.openapi",
    "fastapi.openapi.constants",
    "fastapi.openapi.docs",
    "fastapi.openapi.models",
    "fastapi.openapi.utils",
    "fastapi.param_functions",
    "fastapi.params",
    "fastapi.requests",
    "fastapi.responses",
    "fastapi.routing",
    "fastapi.security",
    "fastapi.security.api_key",
    "fastapi.security.base",
    "fastapi.security.http",
    "fastapi.security.oauth2",
    "fastapi.security.open_id_connect_url",
    "fastapi.security.utils",
    "fastapi.sse",
    "fastapi.staticfiles",
    "fastapi.telemetry",
    "fastapi.templating",
    "fastapi.testclient",
    "fastapi.types",
    "fastapi.utils",
    "fastapi.websockets",
]

# FastAPI modules without a vivace counterpart, and why.
NOT_MIRRORED_MODULES = {
    "fastapi.cli": "vivace has its own command line (vivace.cli) with its own commands",
    "fastapi.dependencies": "internal dependency-solving machinery; vivace compiles route plans instead",
    "fastapi.dependencies.models": "internal (see fastapi.dependencies)",
    "fastapi.dependencies.utils": "internal (see fastapi.dependencies)",
    "fastapi.middleware.asyncexitstack": "internal plumbing of FastAPI's middleware stack",
}

# Public-looking FastAPI names that vivace deliberately does not provide, and why.
NOT_MIRRORED_NAMES = {
    ("fastapi.utils", "create_model_field"): "builds FastAPI's private `_compat.ModelField`",
    **{
        ("fastapi.routing", name): "FastAPI's per-request handler machinery over its private Dependant and "
        "ModelField; vivace runs compiled plans (`APIRoute.get_route_handler()` still returns a handler)"
        for name in ("get_request_handler", "get_websocket_app", "run_endpoint_function", "serialize_response")
    },
}

# Importing these warns by design (Starlette deprecated the class they re-export), in both frameworks.
WARNS_ON_IMPORT = {"middleware.wsgi": StarletteDeprecationWarning}


def vivace_path(fastapi_path: str) -> str:
    return "vivace" + fastapi_path.removeprefix("fastapi")


def import_module(name: str) -> ModuleType:
    category = WARNS_ON_IMPORT.get(name.partition(".")[2])
    with warnings.catch_warnings():
        if category is not None:
            warnings.simplefilter("ignore", category)
        return importlib.import_module(name)


_TYPE_CHECKING = {"TYPE_CHECKING", "typing.TYPE_CHECKING"}


def _defined_names(body: list[ast.stmt]) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update(a.asname for a in node.names if a.asname == a.name.rpartition(".")[2])
        elif isinstance(node, ast.Try):
            names |= _defined_names(node.body)
        elif isinstance(node, ast.If) and ast.unparse(node.test) not in _TYPE_CHECKING:
            names |= _defined_names(node.body) | _defined_names(node.orelse)
    return names


def fastapi_public_names(module_path: str) -> set[str]:
    """The public names of a FastAPI module, read from its source without importing it."""
    spec = importlib.util.find_spec(module_path)
    assert spec is not None and spec.origin is not None, module_path
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    names = _defined_names(tree.body)
    return {n for n in names if not n.startswith("_") and (module_path, n) not in NOT_MIRRORED_NAMES}


def public_fastapi_modules() -> set[str]:
    """Every FastAPI module whose dotted path has no `_`-private part."""
    spec = importlib.util.find_spec("fastapi")
    assert spec is not None and spec.origin is not None
    root = Path(spec.origin).parent
    found = set()
    for file in root.rglob("*.py"):
        parts = file.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if not any(part.startswith("_") for part in parts):
            found.add(".".join(("fastapi", *parts)))
    return found


def test_every_fastapi_module_is_classified() -> None:
    """Each public FastAPI module is either mirrored or listed, with a reason, as not mirrored."""
    classified = set(MIRRORED_MODULES) | set(NOT_MIRRORED_MODULES)
    assert public_fastapi_modules() - classified == set()
    assert classified - public_fastapi_modules() == set()


@pytest.mark.parametrize("module_path", MIRRORED_MODULES)
def test_module_exposes_fastapi_names(module_path: str) -> None:
    """The vivace module at FastAPI's path exists and exposes every public name FastAPI's has."""
    module = import_module(vivace_path(module_path))
    missing = sorted(name for name in fastapi_public_names(module_path) if not hasattr(module, name))
    assert missing == [], f"{vivace_path(module_path)} lacks {missing}"


@pytest.mark.parametrize("module_path", MIRRORED_MODULES)
def test_classes_stay_classes(module_path: str) -> None:
    """A name that is a class in FastAPI is a class in vivace too (users subclass and isinstance them)."""
    theirs, ours = import_module(module_path), import_module(vivace_path(module_path))
    wrong = sorted(
        name
        for name in fastapi_public_names(module_path)
        # names missing altogether are reported by test_module_exposes_fastapi_names
        if inspect.isclass(getattr(theirs, name, None)) and not inspect.isclass(getattr(ours, name, int))
    )
    assert wrong == [], f"not classes in {vivace_path(module_path)}: {wrong}"


def test_status_constants() -> None:
    """`vivace.status` has every constant of `fastapi.status`, with the same values."""
    import fastapi

    from vivace import status

    expected = {name: getattr(fastapi.status, name) for name in fastapi.status.__all__}
    assert {name: getattr(status, name, None) for name in expected} == expected


def test_status_deprecated_aliases_warn() -> None:
    """Deprecated status aliases still resolve and warn, as they do through `fastapi.status`."""
    from vivace import status

    with pytest.warns(StarletteDeprecationWarning, match="HTTP_422_UNPROCESSABLE_CONTENT"):
        assert status.HTTP_422_UNPROCESSABLE_ENTITY == 422
    with pytest.raises(AttributeError):
        _ = status.HTTP_999_NOT_A_STATUS  # type: ignore[attr-defined]


def _package_public_attributes(package: ModuleType) -> set[str]:
    """Public names bound in the package itself (submodules count only if listed in __all__)."""
    listed = set(getattr(package, "__all__", ()))
    return {
        name
        for name, value in vars(package).items()
        if not name.startswith("_") and (not isinstance(value, ModuleType) or name in listed)
    }


def test_all_is_sorted() -> None:
    """`vivace.__all__` is sorted and has no duplicates."""
    names: list[str] = list(getattr(vivace, "__all__", ()))
    assert names, "vivace.__all__ is missing or empty"
    assert names == sorted(set(names))


def test_all_is_complete() -> None:
    """`vivace.__all__` lists every FastAPI top-level name and every public name vivace binds."""
    listed = set(getattr(vivace, "__all__", ()))
    assert sorted(fastapi_public_names("fastapi") - listed) == []
    assert sorted(_package_public_attributes(vivace) - listed) == []
    unbound: list[Any] = sorted(name for name in listed if not hasattr(vivace, name))
    assert unbound == []
