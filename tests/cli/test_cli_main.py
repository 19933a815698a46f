"""The `vivace` entry point itself: version, help, usage errors, `python -m`."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cli_support import Runner

from vivace import __version__


def test_version_prints_the_package_version(vivace: Runner) -> None:
    """`vivace --version` prints `vivace X.Y.Z` and exits 0."""
    result = vivace("--version")
    assert (result.code, result.out) == (0, f"vivace {__version__}\n")


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_lists_every_command(vivace: Runner, flag: str) -> None:
    """-h and --help describe the five commands and exit 0."""
    result = vivace(flag)
    assert result.code == 0
    for command in ("dev", "run", "routes", "openapi", "check"):
        assert f"    {command} " in result.out


def test_command_help_shows_its_options(vivace: Runner) -> None:
    """`vivace run -h` documents the production options and the app discovery rules."""
    result = vivace("run", "-h")
    assert result.code == 0
    for option in ("--host", "--port", "--workers", "--server", "--proxy-headers", "--no-reload", "--factory"):
        assert option in result.out
    assert "main.py, app.py, api.py" in result.out


def test_no_command_is_a_usage_error(vivace: Runner) -> None:
    """Without a command the usage is printed on stderr with exit status 2."""
    result = vivace()
    assert result.code == 2
    assert "usage: vivace" in result.err


@pytest.mark.parametrize("argv", [["dev", "--port", "0"], ["run", "--port", "70000"], ["run", "--workers", "0"]])
def test_bad_option_values_are_usage_errors(vivace: Runner, argv: list[str]) -> None:
    """Ports outside 1-65535 and a worker count below 1 are refused before anything is imported."""
    result = vivace(*argv)
    assert result.code == 2
    assert "error: argument" in result.err


@pytest.mark.parametrize("module", ["vivace", "vivace.cli"])
def test_python_dash_m_runs_the_cli(module: str) -> None:
    """`python -m vivace` and `python -m vivace.cli` are the same command (warnings are errors)."""
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-m", module, "--version"], capture_output=True, text=True, timeout=30
    )
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, f"vivace {__version__}\n", "")
