"""Version checks through the `fastapi` alias answer what the real FastAPI 0.165 answers.

Each side runs in a fresh interpreter (warnings are errors): the alias and the real package cannot share one.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CHECKS = """
import importlib.metadata, json
import fastapi
from fastapi import __version__
print(json.dumps([fastapi.__version__, __version__, importlib.metadata.version("fastapi")]))
"""


def answers(tmp_path: Path, alias: bool) -> list[str]:
    """What the version checks print, with the real FastAPI or through the alias."""
    prelude = "import vivace.compat\nvivace.compat.install()\n" if alias else ""
    proc = subprocess.run(
        [sys.executable, "-W", "error", "-c", prelude + textwrap.dedent(CHECKS)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, ""), proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_version_checks_answer_fastapis_version_through_the_alias(tmp_path: Path) -> None:
    """`fastapi.__version__`, `from fastapi import __version__` and importlib.metadata agree with FastAPI's."""
    real = answers(tmp_path, alias=False)
    assert real == ["0.165.0"] * 3
    assert answers(tmp_path, alias=True) == real


def test_vivace_keeps_its_own_version(tmp_path: Path) -> None:
    """Under the alias `vivace.__version__` is still vivace's, and differs from the FastAPI version it mirrors."""
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            "-c",
            "import vivace.compat, vivace; vivace.compat.install(); import fastapi;"
            "print(vivace.__version__, fastapi.__version__, vivace.compat.FASTAPI_VERSION)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    vivace_version, fastapi_version, mirrored = proc.stdout.split()
    assert fastapi_version == mirrored == "0.165.0"
    assert vivace_version != fastapi_version
