"""pytest plugin loaded by tools/conformance.py with `-p vivace_conformance_plugin` (tools/ is on PYTHONPATH).

Configured through environment variables, because xdist workers inherit the environment:
- VIVACE_CONFORMANCE_MODE: "vivace" installs the `fastapi` -> vivace alias when this module is imported, which
  happens in every process before collection and before any conftest; "fastapi" leaves the real FastAPI.
- VIVACE_CONFORMANCE_DIR: where the controller appends one JSON line per test report and per collection error
  (written as they arrive, so a run cut short still leaves its results), and where every process writes a
  guard file saying which `fastapi` it had imported at the end.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path
from typing import Any

import pytest

MODE = os.environ.get("VIVACE_CONFORMANCE_MODE", "")
OUT_DIR = Path(os.environ.get("VIVACE_CONFORMANCE_DIR", "."))

if MODE == "vivace":
    # NOTE: at import time, not in a hook: `-p` plugins are imported before entry-point plugins and before
    # any conftest, so nothing can have imported the real fastapi yet (install() raises if something did).
    import vivace.compat

    vivace.compat.install()

_MAX_TEXT = 4000
_MESSAGE_LINES = 8
# xdist's loadgroup mode appends "@group" to the node ids of tests marked xdist_group.
_GROUP_SUFFIX = re.compile(r"@\w+$")

# Frames in a native traceback (the runner passes --tb=native).
_FRAME = re.compile(r'^  File "([^"]+)", line (\d+)', re.MULTILINE)
_VIVACE_SRC = str(Path(vivace.compat.__file__).parent.parent) + os.sep if MODE == "vivace" else ""

_config: pytest.Config | None = None


def _is_worker() -> bool:
    return _config is not None and hasattr(_config, "workerinput")


def normalise_nodeid(nodeid: str) -> str:
    """The node id without xdist's "@group" suffix, so ids match across runs and modes."""
    head = _GROUP_SUFFIX.sub("", nodeid)
    if head != nodeid and ("[" not in head or head.endswith("]")):
        return head
    return nodeid


def _message(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The first lines that say what went wrong: the exception, else the `E ` lines, else the last lines."""
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        lines = str(crash.message).splitlines()
    else:
        text = report.longreprtext
        lines = [line[2:].strip() for line in text.splitlines() if line.startswith("E ")]
        lines = lines or text.strip().splitlines()[-_MESSAGE_LINES:]
    return "\n".join(lines[:_MESSAGE_LINES])


def _where(report: pytest.TestReport | pytest.CollectReport) -> str:
    """`path:line` of the deepest vivace frame, else of the deepest test or tutorial frame, else the crash."""
    frames = _FRAME.findall(report.longreprtext)
    suite_root = os.getcwd() + os.sep
    for wanted in (_VIVACE_SRC, suite_root):
        ours = [f"{path}:{line}" for path, line in frames if wanted and path.startswith(wanted)]
        if ours:
            return ours[-1]
    crash = getattr(report.longrepr, "reprcrash", None)
    return f"{crash.path}:{crash.lineno}" if crash is not None else ""


def _append(record: dict[str, Any]) -> None:
    with (OUT_DIR / "reports.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    global _config
    _config = config


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if _is_worker():
        return  # the controller receives every worker's reports and writes them once
    record: dict[str, Any] = {
        "kind": "test",
        "nodeid": normalise_nodeid(report.nodeid),
        "when": report.when,
        "outcome": report.outcome,
        "xfail": hasattr(report, "wasxfail"),
        "duration": round(report.duration, 4),
    }
    if report.failed:
        record["message"] = _message(report)
        record["where"] = _where(report)
        record["text"] = report.longreprtext[-_MAX_TEXT:]
    _append(record)


def pytest_collectreport(report: pytest.CollectReport) -> None:
    if _is_worker() or not report.failed:
        return
    record = {
        "kind": "collect",
        "nodeid": normalise_nodeid(report.nodeid),
        "message": _message(report),
        "where": _where(report),
        "text": report.longreprtext[-_MAX_TEXT:],
    }
    _append(record)


def _fastapi_modules() -> dict[str, str]:
    """Every imported `fastapi*` module name and the name of the module object it really is."""
    found: dict[str, str] = {}
    for name, module in list(sys.modules.items()):
        if name == "fastapi" or name.startswith("fastapi."):
            # NOTE: the alias's top-level `fastapi` is a thin module of its own over vivace (vivace.compat)
            found[name] = str(getattr(module, "__alias_of__", None) or getattr(module, "__name__", "?"))
    return found


def pytest_sessionfinish(session: pytest.Session) -> None:
    fastapi = sys.modules.get("fastapi")
    guard = {
        "pid": os.getpid(),
        "role": "worker" if _is_worker() else "controller",
        "mode": MODE,
        "fastapi_file": getattr(fastapi, "__file__", None),
        "fastapi_version": getattr(fastapi, "__version__", None),
        "modules": _fastapi_modules(),
    }
    (OUT_DIR / f"guard-{os.getpid()}.json").write_text(json.dumps(guard), encoding="utf-8")
