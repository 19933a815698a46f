"""Finding the app like FastAPI's CLI does, and the errors when it cannot be found or imported."""

from __future__ import annotations

import pytest
from cli_support import HELLO_APP, Project, Runner

NAMED_APP = '''
from vivace import FastAPI

{name} = FastAPI()


@{name}.get("/{marker}")
async def marker() -> None: ...
'''


def app_source(marker: str, name: str = "app") -> str:
    """An app whose single route `/<marker>` shows which file was picked."""
    return NAMED_APP.format(name=name, marker=marker)


def paths_of(out: str) -> list[str]:
    """The PATH column of `vivace routes` output, without the docs routes."""
    rows = [line.split()[1] for line in out.splitlines()[2:]]
    return [path for path in rows if not path.startswith(("/docs", "/redoc", "/openapi", "/_vivace"))]


@pytest.mark.parametrize(
    ("files", "picked"),
    [
        (["main.py", "app.py", "api.py"], "main.py"),
        (["app.py", "api.py"], "app.py"),
        (["api.py"], "api.py"),
        (["app/__init__.py", "app/main.py"], "app/main.py"),
        (["app/__init__.py", "app/app.py"], "app/app.py"),
        (["app/__init__.py", "app/api.py"], "app/api.py"),
    ],
)
def test_default_files_are_tried_in_order(project: Project, vivace: Runner, files: list[str], picked: str) -> None:
    """Without PATH: main.py, app.py, api.py, then the `app` package's main/app/api modules."""
    for name in files:
        project.write(name, app_source(name.replace("/", "_").removesuffix(".py")) if name != "app/__init__.py" else "")
    result = vivace("routes")
    assert result.code == 0, result.err
    assert paths_of(result.out) == ["/" + picked.replace("/", "_").removesuffix(".py")]


def test_package_directory_as_path(project: Project, vivace: Runner) -> None:
    """PATH may be a package directory: its __init__.py defines the app."""
    project.write("service/__init__.py", app_source("from_init"))
    result = vivace("routes", "service")
    assert paths_of(result.out) == ["/from_init"]


def test_module_in_a_package_is_imported_by_its_dotted_name(project: Project, vivace: Runner) -> None:
    """A file inside packages is imported as `pkg.sub.main`, so its relative imports work."""
    project.write("src/shop/__init__.py")
    project.write("src/shop/api/__init__.py")
    project.write("src/shop/api/routes.py", "PREFIX = '/relative'\n")
    project.write(
        "src/shop/api/main.py",
        """
        from vivace import FastAPI

        from .routes import PREFIX

        app = FastAPI()


        @app.get(PREFIX)
        async def relative() -> None: ...
        """,
    )
    result = vivace("check", "src/shop/api/main.py")
    assert result.code == 0, result.out + result.err
    assert "shop.api.main:app" in result.out


def test_any_app_in_the_module_is_found(project: Project, vivace: Runner) -> None:
    """An app under another name is used when there is no `app` or `api` variable."""
    project.write("main.py", app_source("service", name="service"))
    assert paths_of(vivace("routes").out) == ["/service"]


def test_api_variable_is_found(project: Project, vivace: Runner) -> None:
    """`api = FastAPI()` is found like `app`."""
    project.write("main.py", app_source("api", name="api"))
    assert paths_of(vivace("routes").out) == ["/api"]


def test_app_option_picks_the_variable(project: Project, vivace: Runner) -> None:
    """--app NAME chooses among several apps in one module."""
    project.write("main.py", app_source("first") + app_source("second", name="admin"))
    assert paths_of(vivace("routes", "--app", "admin").out) == ["/second"]
    result = vivace("routes", "--app", "missing")
    assert result.code == 2
    assert "main.py has no variable 'missing'" in result.err
    assert "apps found in the module: app, admin" in result.err


FACTORY = '''
from vivace import FastAPI


def create_app() -> FastAPI:
    app = FastAPI()

    @app.get("/built")
    async def built() -> None: ...

    return app


def build_admin() -> FastAPI:
    admin = FastAPI()

    @admin.get("/admin")
    async def admin_home() -> None: ...

    return admin
'''


def test_factory_builds_the_app(project: Project, vivace: Runner) -> None:
    """--factory calls create_app(), or the function named with --app."""
    project.write("main.py", FACTORY)
    assert paths_of(vivace("routes", "--factory").out) == ["/built"]
    assert paths_of(vivace("routes", "--factory", "--app", "build_admin").out) == ["/admin"]


def test_function_without_factory_flag_gets_a_hint(project: Project, vivace: Runner) -> None:
    """A function named with --app but no --factory: the error suggests --factory."""
    project.write("main.py", FACTORY)
    result = vivace("routes", "--app", "create_app")
    assert result.code == 2
    assert "main:create_app is a function, not a vivace (FastAPI) app" in result.err
    assert "--factory" in result.err


def test_factory_that_raises_shows_the_user_traceback(project: Project, vivace: Runner) -> None:
    """An exception inside the factory is reported with the factory's own frame and exit status 2."""
    project.write("main.py", "def create_app():\n    raise RuntimeError('no database configured')\n")
    result = vivace("routes", "--factory")
    assert result.code == 2
    assert "The app factory main:create_app() raised:" in result.err
    assert 'main.py", line 2, in create_app' in result.err
    assert "RuntimeError: no database configured" in result.err


def test_no_app_file_says_where_it_looked(project: Project, vivace: Runner) -> None:
    """An empty directory: the error lists every file name that was tried."""
    result = vivace("dev")
    assert result.code == 2
    assert result.out == ""
    assert "No app file found in the current directory" in result.err
    assert "main.py, app.py, api.py, app/main.py, app/app.py, app/api.py, app/__init__.py" in result.err
    assert "Traceback" not in result.err


def test_missing_path_and_non_python_file(project: Project, vivace: Runner) -> None:
    """A PATH that does not exist, or is not a .py file, is a clear error."""
    assert "Path does not exist: nowhere.py" in vivace("routes", "nowhere.py").err
    project.write("notes.txt", "hello")
    result = vivace("routes", "notes.txt")
    assert (result.code, "Not a Python file: notes.txt" in result.err) == (2, True)


def test_no_app_in_the_module_says_what_was_searched(project: Project, vivace: Runner) -> None:
    """A module without an app: the error names the variables looked for."""
    project.write("main.py", "value = 1\n")
    result = vivace("routes")
    assert result.code == 2
    assert "No vivace app found in main.py (module 'main')" in result.err
    assert "'app' or 'api'" in result.err


def test_a_fastapi_app_gets_the_migration_hint(project: Project, vivace: Runner) -> None:
    """An app built with the real `fastapi` package is refused with a hint to import vivace instead."""
    project.write("main.py", "from fastapi import FastAPI\n\napp = FastAPI()\n")
    result = vivace("routes")
    assert result.code == 2
    assert "from vivace import FastAPI" in result.err


def test_import_error_shows_only_the_user_traceback(project: Project, vivace: Runner) -> None:
    """An exception while importing the user's code: its traceback through their files, none of vivace's."""
    project.write("main.py", "from vivace import FastAPI\nimport settings\n\napp = FastAPI()\n")
    project.write("settings.py", "def load():\n    return {}['DATABASE_URL']\n\n\nURL = load()\n")
    result = vivace("routes")
    assert result.code == 2
    assert result.out == ""
    lines = result.err.splitlines()
    assert lines[0] == "Error: Could not import 'main' (main.py); the error is in your code:"
    frames = [line.strip() for line in lines if line.strip().startswith("File ")]
    assert [frame.split(", in ")[1] for frame in frames] == ["<module>", "<module>", "load"]
    assert lines[-1] == "KeyError: 'DATABASE_URL'"
    assert "importlib" not in result.err
    assert "vivace/" not in result.err.replace(str(project.root), "")


def test_syntax_error_points_at_the_user_line(project: Project, vivace: Runner) -> None:
    """A syntax error is shown with the file, line and caret of the user's code."""
    project.write("main.py", "from vivace import FastAPI\napp = FastAPI(\n")
    result = vivace("check")
    assert result.code == 2
    assert 'main.py", line 2' in result.err
    assert "SyntaxError" in result.err


def test_two_projects_with_the_same_module_name(project: Project, vivace: Runner) -> None:
    """Loading `main` from a second directory in the same process does not reuse the first `main`."""
    project.write("one/main.py", app_source("one"))
    project.write("two/main.py", app_source("two"))
    assert paths_of(vivace("routes", "one/main.py").out) == ["/one"]
    assert paths_of(vivace("routes", "two/main.py").out) == ["/two"]


def test_standard_library_name_is_refused(project: Project, vivace: Runner) -> None:
    """A file that would shadow a standard library module (json.py) is a clear error, not the wrong module."""
    project.write("json.py", HELLO_APP)
    result = vivace("routes", "json.py")
    assert result.code == 2
    assert "would be imported as 'json', the name of a standard library module" in result.err
