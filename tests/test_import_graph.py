"""tools/check_imports.py: vivace's imports flow one way, and the checker really finds what it looks for."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]

Check = Callable[[dict[str, str]], tuple[int, str]]


def load_tool() -> ModuleType:
    path = ROOT / "tools" / "check_imports.py"
    spec = importlib.util.spec_from_file_location("check_imports", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    return load_tool()


@pytest.fixture
def check(tool: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Check:
    """Write a fake package `pkg` ({relative path: source}) and run the checker on it: (exit code, output)."""

    def run(files: dict[str, str]) -> tuple[int, str]:
        root = tmp_path / "pkg"
        for name, source in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(textwrap.dedent(source))
        code = tool.main(["--root", str(root)])
        return code, capsys.readouterr().out

    return run


def test_vivace_has_no_import_circle_and_nothing_over_the_limits(tool: ModuleType) -> None:
    """The real package passes: no circle, `_core/app.py` imported only inside `_core/`, no module over 700 lines."""
    assert tool.main([]) == 0


def test_a_circle_through_type_checking_imports_fails_and_is_printed(check: Check) -> None:
    """An import under `if TYPE_CHECKING:` counts: a <-> b is a circle, printed with each import's line."""
    code, out = check({
        "__init__.py": "",
        "a.py": "from pkg.b import B\n",
        "b.py": """\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pkg.a import A
            """,
    })
    assert code == 1
    assert "import circle among pkg.a, pkg.b" in out
    assert "pkg.a -> pkg.b" in out and "a.py:1" in out
    assert "pkg.b -> pkg.a" in out and "b.py:3" in out


def test_relative_imports_inside_functions_are_resolved(check: Check) -> None:
    """`from . import y` and a function-level `from .x import f` are edges: x -> y -> x is a circle."""
    code, out = check({
        "__init__.py": "",
        "sub/__init__.py": "",
        "sub/x.py": "from . import y\n",
        "sub/y.py": """\
            def later():
                from .x import f
                return f
            """,
    })
    assert code == 1
    assert "import circle among pkg.sub.x, pkg.sub.y" in out


def test_a_longer_circle_is_one_finding(check: Check) -> None:
    """a -> b -> c -> a is reported once, as a component of three modules."""
    code, out = check({
        "__init__.py": "",
        "a.py": "import pkg.b\n",
        "b.py": "from pkg import c\n",
        "c.py": "from .a import thing\n",
    })
    assert code == 1
    assert out.count("import circle") == 1
    assert "import circle among pkg.a, pkg.b, pkg.c" in out


def test_a_package_re_exporting_its_submodules_is_no_circle(check: Check) -> None:
    """`__init__` importing its submodules, a submodule importing a sibling module by name: one way only."""
    code, out = check({
        "__init__.py": "from pkg.a import A\nfrom pkg import b\n",
        "a.py": "from pkg import b\nA = b.B\n",
        "b.py": "import pkg.b\nB = 1\n",  # a module importing itself is no edge
    })
    assert code == 0, out
    assert "no circles" in out


def test_importing_a_name_from_the_package_init_closes_a_circle(check: Check) -> None:
    """`from pkg import Name` inside pkg is an edge to `pkg/__init__.py`, which imports the module back."""
    code, out = check({
        "__init__.py": "from pkg.a import A\n__version__ = '1'\n",
        "a.py": "from pkg import __version__\nA = __version__\n",
    })
    assert code == 1
    assert "import circle among pkg, pkg.a" in out


def test_core_app_is_imported_only_inside_core(check: Check) -> None:
    """A module outside `_core/` importing `_core.app` fails; `_core/` modules and `_core.exports` users pass."""
    code, out = check({
        "__init__.py": "",
        "_core/app.py": "KEY = 'k'\n",
        "_core/exports.py": "from pkg._core.app import KEY\n",
        "fine.py": "from pkg._core.exports import KEY\n",
        "reaching.py": "from ._core import app\n",
    })
    assert code == 1
    assert "reaching.py:1: pkg.reaching imports pkg._core.app" in out
    assert "fine" not in out and "exports.py" not in out


def test_a_module_over_700_lines_fails(check: Check) -> None:
    """701 lines is a finding; 700 is not."""
    code, out = check({"__init__.py": "", "long.py": "x = 1\n" * 701, "limit.py": "x = 1\n" * 700})
    assert code == 1
    assert "pkg.long has 701 lines" in out
    assert "pkg.limit" not in out


# -- deferred modules: what `import vivace` must not run --------------------------------------------------------


def test_a_deferred_module_reached_by_eager_imports_fails_with_its_chain(tool: ModuleType, tmp_path: Path) -> None:
    """pkg -> pkg.a -> pkg.heavy at module level: the deferred `heavy` is reported with the chain of imports."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text("from pkg import a\n")
    (root / "a.py").write_text("import os\n\nfrom pkg.heavy import H\n")
    (root / "heavy.py").write_text("H = 1\n")
    problems = tool.deferred_problems(tool.build_graph(root), ("heavy",))
    assert len(problems) == 1
    assert "pkg.heavy is deferred, but `import pkg` runs it" in problems[0]
    assert "pkg -> pkg.a" in problems[0] and "pkg.a -> pkg.heavy" in problems[0] and "a.py:3" in problems[0]


def test_function_level_and_type_checking_imports_of_a_deferred_module_pass(tool: ModuleType, tmp_path: Path) -> None:
    """An import inside a function, or under `if TYPE_CHECKING:`, runs later (or never): no finding."""
    root = tmp_path / "pkg"
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent("""\
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from pkg.heavy import H
            else:
                from pkg import light
            def later():
                from pkg.heavy import H
                return H
            """)
    )
    (root / "light.py").write_text("class C:\n    def method(self):\n        import pkg.heavy\n")
    (root / "heavy.py").write_text("H = 1\n")
    assert tool.deferred_problems(tool.build_graph(root), ("heavy",)) == []


def test_a_deferred_package_covers_its_submodules_and_parents_run(tool: ModuleType, tmp_path: Path) -> None:
    """Importing `pkg.sub.x` runs `pkg/sub/__init__.py`: a deferred `sub.y` imported there is reported."""
    root = tmp_path / "pkg"
    (root / "sub").mkdir(parents=True)
    (root / "__init__.py").write_text("from pkg.sub.x import X\n")
    (root / "sub" / "__init__.py").write_text("from pkg.sub import y\n")
    (root / "sub" / "x.py").write_text("X = 1\n")
    (root / "sub" / "y.py").write_text("Y = 1\n")
    problems = tool.deferred_problems(tool.build_graph(root), ("sub.y",))
    assert [problem.splitlines()[0] for problem in problems] == ["pkg.sub.y is deferred, but `import pkg` runs it:"]


def test_vivace_runs_none_of_its_deferred_modules(tool: ModuleType) -> None:
    """The real package, read statically: no deferred module is reachable through eager imports."""
    assert tool.deferred_problems(tool.build_graph(tool.ROOT)) == []


#: third-party modules `import vivace` must not import either (each belongs to a feature used later, if at all)
DEFERRED_THIRD_PARTY = (
    "anyio._backends._asyncio",
    "email_validator",
    "granian",
    "httpx",
    "jinja2",
    "pydantic.color",  # named by the jsonable_encoder tables, built on first use
    "pydantic.networks",
    "redis",
    "ujson",  # for the deprecated UJSONResponse, imported on first use
    "uvicorn",
)


def test_import_vivace_imports_no_deferred_module(tool: ModuleType) -> None:
    """In a fresh interpreter, `import vivace` leaves every deferred module (vivace's and third-party) unloaded."""
    code = "import json, sys, vivace; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded = set(json.loads(done.stdout))
    deferred = [f"vivace.{name}" for name in tool.DEFERRED] + list(DEFERRED_THIRD_PARTY)
    found = sorted(m for m in loaded if any(m == name or m.startswith(name + ".") for name in deferred))
    assert found == []
    assert "vivace.applications" in loaded  # the probe really imported vivace


def test_a_security_scheme_imports_its_models_but_not_the_document_models() -> None:
    """`from vivace.security import OAuth2PasswordBearer` loads oauth2 and the scheme models, not the other schemes
    or the forty document models; the lazily loaded names are the submodules' own objects."""
    code = textwrap.dedent("""\
        import json, sys
        from vivace.security import OAuth2PasswordBearer
        print(json.dumps(sorted(sys.modules)))
        """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    loaded = set(json.loads(done.stdout))
    assert {"vivace.security.oauth2", "vivace.openapi._security_models"} <= loaded
    assert not loaded & {"vivace.openapi.models", "vivace.security.api_key", "vivace.security.http"}


def test_lazy_security_names_are_the_submodules_objects() -> None:
    """Every name of `vivace.security.__all__` resolves (to its submodule's object), shows in dir(); others fail."""
    import vivace.security as security
    from vivace.security import http, oauth2

    assert all(getattr(security, name) is not None for name in security.__all__)
    assert security.HTTPBearer is http.HTTPBearer and security.OAuth2PasswordBearer is oauth2.OAuth2PasswordBearer
    assert security.SecurityScopes is oauth2.SecurityScopes
    assert set(security.__all__) <= set(dir(security))
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        security.Nope  # noqa: B018
