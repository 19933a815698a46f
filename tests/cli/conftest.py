"""Fixtures for the command-line tests: throwaway projects in tmp_path and an in-process `vivace` runner.

NOTE: the CLI imports the project's modules into this test process (`main`, `app`...). The `project` fixture
removes them again, with the `sys.path` entry the CLI added, so each test sees only its own project.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Project, Result, Runner

from vivace.cli import main


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Project]:
    """An empty project directory, made the working directory; its modules are unloaded afterwards."""
    root = tmp_path.resolve()
    monkeypatch.chdir(root)
    saved_path = list(sys.path)
    yield Project(root)
    sys.path[:] = saved_path
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and Path(file).resolve().is_relative_to(root):
            del sys.modules[name]


@pytest.fixture
def vivace(capsys: pytest.CaptureFixture[str]) -> Runner:
    """`vivace("routes", "main.py")` runs the command in this process and returns its Result."""

    def run(*args: str) -> Result:
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run
