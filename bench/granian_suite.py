"""The "granian" suite of `make bench`: the same bench/app.py served by granian, over ASGI and over RSGI.

vivace runs on granian's RSGI interface (its native entry, `vivace._rsgi`) and on granian's ASGI interface;
FastAPI and the raw ASGI app run on granian's ASGI interface and, as the reference the targets are stated
against, on uvicorn; the raw RSGI app (bench/raw_rsgi.py) is granian's own ceiling, what no framework on RSGI
can pass. Every server is up for the whole suite and they take turns per scenario and round, as in
the http suite, so the ratios come from one side-by-side run. Targets (issue 18): vivace on RSGI >= the raw ASGI
app on uvicorn for /hello; WebSocket echo on granian >= 2x FastAPI on uvicorn.
"""

from typing import Any

from report import MISSING
from results import Results
from scenarios import SCENARIOS, Scenario

#: (framework, server) pairs, in table order; results are kept under `Server.label` ("vivace@granian-rsgi")
ENTRIES = (
    ("vivace", "granian-rsgi"),
    ("raw", "granian-rsgi"),
    ("vivace", "granian-asgi"),
    ("fastapi", "granian-asgi"),
    ("raw", "granian-asgi"),
    ("fastapi", "uvicorn"),
    ("raw", "uvicorn"),
)
#: the scenarios the suite runs by default: the server-bound ones and two typical API requests
DEFAULT_SCENARIOS = ("hello", "path-query", "post-body", "ws-echo", "sse")
#: (scenario, numerator, denominator, target) the issue sets
TARGETS = (
    ("hello", "vivace@granian-rsgi", "raw", 1.0),
    ("ws-echo", "vivace@granian-rsgi", "fastapi", 2.0),
    ("ws-echo", "vivace@granian-asgi", "fastapi", 2.0),
)
LABELS = {
    "vivace@granian-rsgi": "vivace RSGI",
    "raw@granian-rsgi": "raw RSGI",
    "vivace@granian-asgi": "vivace granian-ASGI",
    "fastapi@granian-asgi": "FastAPI granian-ASGI",
    "raw@granian-asgi": "raw granian-ASGI",
    "fastapi": "FastAPI uvicorn",
    "raw": "raw uvicorn",
}
NUMERIC_COLUMNS = frozenset({1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12})  # the rates and the ratios


def label(framework: str, server: str) -> str:
    return framework if server == "uvicorn" else f"{framework}@{server}"


LABEL_ORDER = tuple(label(framework, server) for framework, server in ENTRIES)


def scenarios(names: list[str]) -> tuple[Scenario, ...]:
    """The bench/app.py scenarios named on the command line (`--scenarios`), else the suite's defaults."""
    wanted = {name for name in names if name in {s.name for s in SCENARIOS}} or set(DEFAULT_SCENARIOS)
    return tuple(s for s in SCENARIOS if s.name in wanted)


def _ratio(results: Results, scenario: str, top: str, bottom: str) -> float | None:
    upper, lower = results.rate(top, scenario), results.rate(bottom, scenario)
    return None if upper is None or lower is None else upper / lower


def _cell(value: float | None, suffix: str = "") -> str:
    return MISSING if value is None else (f"{value:.2f}{suffix}" if suffix else f"{value:,.0f}")


def table_rows(results: Results, chosen: tuple[Scenario, ...]) -> list[list[str]]:
    """Rates per server, then vivace on RSGI over raw and over FastAPI on uvicorn, granian against granian, and
    vivace on RSGI over the raw RSGI app."""
    rows = [
        [
            "scenario", *(LABELS[name] for name in LABEL_ORDER), "unit",
            "RSGI/raw uvicorn", "RSGI/FastAPI uvicorn", "granian: vivace/FastAPI", "RSGI: vivace/raw",
        ]
    ]  # fmt: skip
    for s in chosen:
        rates = [
            _cell(results.rate(name, s.name)) if name.partition("@")[0] in s.frameworks else "-" for name in LABEL_ORDER
        ]
        ratios = [
            _cell(_ratio(results, s.name, "vivace@granian-rsgi", "raw"), "x"),
            _cell(_ratio(results, s.name, "vivace@granian-rsgi", "fastapi"), "x"),
            _cell(_ratio(results, s.name, "vivace@granian-asgi", "fastapi@granian-asgi"), "x"),
            _cell(_ratio(results, s.name, "vivace@granian-rsgi", "raw@granian-rsgi"), "x"),
        ]
        rows.append([s.name, *rates, s.unit, *ratios])
    return rows


def target_lines(results: Results) -> list[str]:
    """One line per target of the issue: the measured ratio and whether it is met."""
    lines = []
    for scenario, top, bottom, goal in TARGETS:
        value = _ratio(results, scenario, top, bottom)
        shown = MISSING if value is None else f"{value:.2f}x"
        met = "n/a" if value is None else ("met" if value >= goal else "MISSED")
        lines.append(f"granian target: {scenario} {LABELS[top]} / {LABELS[bottom]} = {shown} (>= {goal}x: {met})")
    return lines


def as_dict(results: Results, chosen: tuple[Scenario, ...]) -> dict[str, Any]:
    return {
        "entries": [{"framework": fw, "server": server, "label": label(fw, server)} for fw, server in ENTRIES],
        "scenarios": [s.name for s in chosen],
        "results": results.as_dict(),
        "targets": [
            {"scenario": sc, "over": f"{top}/{bottom}", "ratio": _ratio(results, sc, top, bottom), "target": goal}
            for sc, top, bottom, goal in TARGETS
        ],
    }
