"""tools/check_imports.py: vivace's imports flow one way, and the checker really finds what it looks for."""

from __future__ import annotations

import importlib.util
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
