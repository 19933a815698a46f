"""The `fastapi` -> vivace import alias (vivace.compat).

Each scenario runs in a fresh interpreter with warnings as errors: the real FastAPI is installed in this
venv, and an alias left in this process's `sys.modules` would leak into every later test.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `code` in a new interpreter (warnings are errors) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_runs(code: str, cwd: Path) -> None:
    """Run `code` and fail with its stderr unless it exits 0 and prints nothing to stderr."""
    proc = run_python(code, cwd)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""


def test_top_level_name_reads_vivace_with_fastapis_version(tmp_path: Path) -> None:
    """After install(), `fastapi.X is vivace.X` for every name but `__version__`, which is FastAPI's."""
    assert_runs(
        """
        import vivace.compat
        vivace.compat.install()
        import fastapi, vivace
        assert fastapi.FastAPI is vivace.FastAPI and fastapi.Depends is vivace.Depends
        assert fastapi.__all__ == vivace.__all__
        assert fastapi.__version__ == vivace.compat.FASTAPI_VERSION == "0.165.0"
        assert vivace.__version__ != fastapi.__version__
        assert vivace.compat.installed()
        """,
        tmp_path,
    )


def test_submodules_are_the_same_objects(tmp_path: Path) -> None:
    """`fastapi.X.Y` is the module object `vivace.X.Y`, so names imported either way are identical."""
    assert_runs(
        """
        import sys
        import vivace.compat
        vivace.compat.install()
        import fastapi.compat.fastapi_alias
        from fastapi.compat import install
        import vivace.compat.fastapi_alias
        assert fastapi.compat.fastapi_alias is vivace.compat.fastapi_alias
        assert sys.modules["fastapi.compat"] is vivace.compat
        assert install is vivace.compat.install
        """,
        tmp_path,
    )


def test_missing_submodule_raises_module_not_found_with_alias_name(tmp_path: Path) -> None:
    """A vivace submodule that does not exist fails like any missing module, named `fastapi.X`."""
    assert_runs(
        """
        import vivace.compat
        vivace.compat.install()
        try:
            import fastapi.no_such_module
        except ModuleNotFoundError as exc:
            assert exc.name == "fastapi.no_such_module", exc.name
            assert "fastapi.no_such_module" in str(exc)
        else:
            raise AssertionError("import succeeded")
        try:
            from fastapi.compat import no_such_name
        except ImportError as exc:
            assert "no_such_name" in str(exc)
        else:
            raise AssertionError("import succeeded")
        """,
        tmp_path,
    )


def test_real_spec_is_restored_so_relative_imports_do_not_warn(tmp_path: Path) -> None:
    """Aliased modules keep their own `__spec__`; a relative import in their namespace emits no warning."""
    assert_runs(
        """
        import vivace.compat
        vivace.compat.install()
        import fastapi.compat, vivace
        assert vivace.__spec__.name == "vivace"
        assert fastapi.compat.__spec__.name == "vivace.compat"
        # The same statement a function inside vivace.compat would run lazily, in that module's globals;
        # with the alias spec left in place this raises ImportWarning (an error under -W error).
        exec("from . import fastapi_alias", vars(fastapi.compat))
        """,
        tmp_path,
    )


def test_alias_wins_over_a_fastapi_directory_on_sys_path(tmp_path: Path) -> None:
    """A `fastapi/` package earlier on sys.path (like FastAPI's sdist root) is never imported."""
    shadow = tmp_path / "fastapi"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("raise SystemExit('the shadowing fastapi/ was imported')\n")
    (shadow / "only_here.py").write_text("raise SystemExit('the shadowing fastapi/ was imported')\n")
    assert_runs(
        """
        import sys
        assert sys.path[0] == "", sys.path[:1]
        import vivace.compat
        vivace.compat.install()
        import fastapi, vivace
        assert fastapi.APIRouter is vivace.APIRouter
        try:
            import fastapi.only_here
        except ModuleNotFoundError as exc:
            assert exc.name == "fastapi.only_here"
        else:
            raise AssertionError("import succeeded")
        """,
        tmp_path,
    )


def test_install_refuses_when_real_fastapi_is_already_imported(tmp_path: Path) -> None:
    """install() raises RuntimeError instead of mixing a real FastAPI with the alias."""
    assert_runs(
        """
        import fastapi
        import vivace.compat
        try:
            vivace.compat.install()
        except RuntimeError as exc:
            assert "before anything imports the real 'fastapi'" in str(exc)
        else:
            raise AssertionError("install() accepted a real fastapi")
        assert not vivace.compat.installed()
        """,
        tmp_path,
    )


def test_install_is_idempotent_and_first_on_meta_path(tmp_path: Path) -> None:
    """Calling install() twice leaves one finder, at the front of sys.meta_path."""
    assert_runs(
        """
        import sys
        import vivace.compat
        vivace.compat.install()
        import fastapi
        vivace.compat.install()
        ours = [f for f in sys.meta_path if type(f).__name__ == "_AliasFinder"]
        assert len(ours) == 1, sys.meta_path
        assert sys.meta_path[0] is ours[0]
        """,
        tmp_path,
    )


def test_uninstall_restores_the_real_fastapi(tmp_path: Path) -> None:
    """uninstall() drops the finder and the aliased names; the next `import fastapi` is the real one."""
    assert_runs(
        """
        import sys
        import vivace.compat
        vivace.compat.install()
        import fastapi.compat
        vivace.compat.uninstall()
        assert not vivace.compat.installed()
        assert not [name for name in sys.modules if name.split(".")[0] == "fastapi"]
        import fastapi
        assert fastapi.__name__ == "fastapi"
        assert "vivace" not in fastapi.__file__
        assert "vivace.compat" in sys.modules
        """,
        tmp_path,
    )


def test_importing_fastapi_alias_module_installs_the_alias(tmp_path: Path) -> None:
    """`import vivace.compat.fastapi_alias` is enough to make `import fastapi` give vivace."""
    assert_runs(
        """
        import vivace.compat.fastapi_alias
        import fastapi, vivace
        assert fastapi.FastAPI is vivace.FastAPI
        """,
        tmp_path,
    )


def test_assignments_through_the_alias_reach_vivace(tmp_path: Path) -> None:
    """Setting or deleting `fastapi.X` (a monkeypatch, an instrumentor swapping `FastAPI`) changes `vivace.X`."""
    assert_runs(
        """
        import vivace.compat
        vivace.compat.install()
        import fastapi, vivace
        original = fastapi.FastAPI
        class Patched(original):
            pass
        fastapi.FastAPI = Patched
        assert vivace.FastAPI is Patched
        fastapi.FastAPI = original
        fastapi.extra_name = 1
        assert vivace.extra_name == 1
        del fastapi.extra_name
        assert not hasattr(vivace, "extra_name")
        """,
        tmp_path,
    )


def test_metadata_names_fastapi_only_while_the_alias_is_installed(tmp_path: Path) -> None:
    """`importlib.metadata.version("fastapi")` answers FastAPI's version under the alias, and only then."""
    assert_runs(
        """
        import importlib.metadata, sys
        import vivace.compat
        vivace.compat.install()
        import fastapi
        # NOTE: this venv also has the real FastAPI installed; hide its record (everything is imported by now)
        sys.path[:] = [p for p in sys.path if "site-packages" not in p]
        assert importlib.metadata.version("fastapi") == "0.165.0"
        assert importlib.metadata.version("FastAPI") == "0.165.0"
        assert "vivace" in importlib.metadata.metadata("fastapi")["Summary"]
        vivace.compat.uninstall()
        try:
            importlib.metadata.version("fastapi")
        except importlib.metadata.PackageNotFoundError:
            pass
        else:
            raise AssertionError("a fastapi record outlived the alias")
        """,
        tmp_path,
    )
