"""`vivace openapi`: the document as JSON or YAML, to stdout or a file, without starting the app."""

from __future__ import annotations

import json
import sys

import pytest
import yaml
from cli_support import HELLO_APP, Project, Runner

LIFESPAN_APP = '''
from contextlib import asynccontextmanager
from pathlib import Path

from vivace import FastAPI


@asynccontextmanager
async def lifespan(app):
    Path("started").touch()
    yield


app = FastAPI(title="Lifespan", lifespan=lifespan)


@app.get("/ping")
async def ping() -> dict[str, bool]:
    return {"pong": True}
'''


def expected_document(project: Project) -> dict[str, object]:
    """The document the app itself builds (the CLI has already imported main)."""
    main = sys.modules["main"]
    assert main.__file__ == str(project.root / "main.py")
    document: dict[str, object] = main.app.openapi()
    return document


def test_json_to_stdout(project: Project, vivace: Runner) -> None:
    """Without options the document is printed as indented JSON, equal to app.openapi()."""
    project.write("main.py", HELLO_APP)
    result = vivace("openapi")
    assert result.code == 0, result.err
    assert json.loads(result.out) == expected_document(project)
    assert result.out.startswith('{\n  "openapi": "3.1.0",\n  "info": {\n    "title": "Hello"')


def test_yaml_to_a_file(project: Project, vivace: Runner) -> None:
    """--yaml --output FILE writes YAML with the same content and says where on stderr."""
    project.write("main.py", HELLO_APP)
    result = vivace("openapi", "--yaml", "--output", "openapi.yaml")
    assert (result.code, result.out) == (0, "")
    assert result.err == "OpenAPI document written to openapi.yaml\n"
    written = (project.root / "openapi.yaml").read_text()
    assert written.startswith("openapi: 3.1.0\ninfo:\n  title: Hello\n")
    assert yaml.safe_load(written) == expected_document(project)


def test_the_app_is_not_started(project: Project, vivace: Runner) -> None:
    """Writing the document does not run the lifespan (no server, no startup side effects)."""
    project.write("main.py", LIFESPAN_APP)
    result = vivace("openapi", "-o", "api.json")
    assert result.code == 0, result.err
    assert "/ping" in json.loads((project.root / "api.json").read_text())["paths"]
    assert not (project.root / "started").exists()


def test_yaml_without_pyyaml_is_a_clear_error(
    project: Project, vivace: Runner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--yaml when PyYAML cannot be imported: exit 2 with an install hint, and no file written."""
    project.write("main.py", HELLO_APP)
    monkeypatch.setitem(sys.modules, "yaml", None)  # makes `import yaml` raise ImportError
    result = vivace("openapi", "--yaml", "-o", "out.yaml")
    assert result.code == 2
    assert result.err == "Error: --yaml needs PyYAML, which is not installed\nHint: pip install pyyaml\n"
    assert not (project.root / "out.yaml").exists()


def test_unwritable_output_is_a_clear_error(project: Project, vivace: Runner) -> None:
    """An output path in a missing directory: exit 2 with the OS reason."""
    project.write("main.py", HELLO_APP)
    result = vivace("openapi", "-o", "missing/dir/openapi.json")
    assert result.code == 2
    assert result.err == "Error: Cannot write missing/dir/openapi.json: No such file or directory\n"


def test_a_model_that_breaks_the_document(project: Project, vivace: Runner) -> None:
    """A schema that cannot be generated: Pydantic's message without its internal frames, a hint, exit 2."""
    project.write(
        "main.py",
        """
        from pydantic import BaseModel, ConfigDict

        from vivace import FastAPI


        class Connection:
            pass


        class Status(BaseModel):
            model_config = ConfigDict(arbitrary_types_allowed=True)
            connection: Connection


        app = FastAPI()


        @app.get("/status")
        async def status() -> Status: ...
        """,
    )
    result = vivace("openapi")
    assert result.code == 2
    assert result.err.startswith("Error: Building the OpenAPI document failed:\n")
    assert "PydanticInvalidForJsonSchema: Cannot generate a JsonSchema" in result.err
    assert "Traceback" not in result.err
    assert "Hint: `vivace check` names the routes" in result.err
