"""The command outputs quoted in docs/guide/cli.md are what the commands print today."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cli_support import Runner

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "guide" / "cli.md"
CONSOLE = re.compile(r"```console\n(?P<body>.*?)```", re.DOTALL)
# commands whose output depends only on files in the repository (not on a running server or the machine)
CHECKED = ("routes", "check", "openapi")


def quoted_runs() -> list[tuple[list[str], str]]:
    """(argv, expected output) for each console block that runs one CHECKED command on a file in the repo."""
    runs = []
    for match in CONSOLE.finditer(GUIDE.read_text()):
        command, *output = match["body"].splitlines()
        argv = shlex.split(command.removeprefix("$ "))
        if argv[:1] == ["vivace"] and argv[1] in CHECKED and any(arg.startswith("docs/") for arg in argv):
            runs.append((argv[1:], "\n".join(output) + "\n"))
    return runs


@pytest.fixture
def in_repository(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Run from the repository root; unload the sample modules the commands import."""
    monkeypatch.chdir(ROOT)
    saved_path = list(sys.path)
    yield
    sys.path[:] = saved_path
    samples = ROOT / "docs" / "examples"
    for name, module in list(sys.modules.items()):
        if getattr(module, "__file__", None) and Path(module.__file__).resolve().parent == samples:
            del sys.modules[name]


def test_the_guide_quotes_commands() -> None:
    """The guide shows the routes table, the plans and a check report (so the next test checks something)."""
    assert [argv[:2] for argv, _ in quoted_runs()] == [
        ["routes", "docs/examples/first_steps.py"],
        ["routes", "--plans"],
        ["check", "docs/examples/cli_check.py"],
    ]


@pytest.mark.parametrize(("argv", "expected"), quoted_runs(), ids=[" ".join(argv) for argv, _ in quoted_runs()])
def test_quoted_output_is_current(in_repository: None, vivace: Runner, argv: list[str], expected: str) -> None:
    """Running the quoted command prints exactly the quoted output."""
    result = vivace(*argv)
    assert result.out == expected
