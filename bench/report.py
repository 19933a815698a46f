"""Present a run: a Markdown table on stdout, JSON for tools, and a bar chart when matplotlib is present."""

import importlib
import json
from pathlib import Path
from typing import Any

from results import Results
from scenarios import Scenario

LABELS = {"vivace": "vivace", "fastapi": "FastAPI", "raw": "raw ASGI"}
COLORS = {"vivace": "#2a9d8f", "fastapi": "#e76f51", "raw": "#8d99ae"}  # fixed, so charts compare at a glance
NOT_SERVED = "-"  # the framework has no such scenario (raw answers /hello only)
MISSING = "n/a"  # the framework was not run, or failed the scenario


def _rate_cell(results: Results, framework: str, scenario: Scenario) -> str:
    if framework not in scenario.frameworks:
        return NOT_SERVED
    rate = results.rate(framework, scenario.name)
    return MISSING if rate is None else f"{rate:,.0f}"


def _ratio_cell(results: Results, scenario: Scenario, over: str) -> str:
    if over not in scenario.frameworks:
        return NOT_SERVED
    top, bottom = results.rate("vivace", scenario.name), results.rate(over, scenario.name)
    return MISSING if top is None or bottom is None else f"{top / bottom:.2f}x"


def table_rows(results: Results, scenarios: tuple[Scenario, ...]) -> list[list[str]]:
    rows = [["scenario", "vivace req/s", "FastAPI req/s", "raw req/s", "vivace/FastAPI", "vivace/raw"]]
    for s in scenarios:
        rates = [_rate_cell(results, fw, s) for fw in ("vivace", "fastapi", "raw")]
        rows.append([s.name, *rates, _ratio_cell(results, s, "fastapi"), _ratio_cell(results, s, "raw")])
    return rows


def markdown_table(rows: list[list[str]]) -> str:
    """A pipe table (text left, numbers right), padded so it also reads well as plain text."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 2)) if i == 0 else ("-" * (w + 1) + ":") for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def error_lines(results: Results) -> list[str]:
    """One line per framework and error, listing the scenarios it hit (a dead server fails them all alike)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for framework, scenario, error in results.errors():
        grouped.setdefault((framework, error), []).append(scenario)
    return [f"{LABELS.get(fw, fw)} / {', '.join(names)}: {error}" for (fw, error), names in grouped.items()]


def write_json(path: Path, results: Results, meta: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**meta, "results": results.as_dict()}, indent=2) + "\n")


def write_chart(path: Path, results: Results, scenarios: tuple[Scenario, ...]) -> str:
    """Render grouped bars (req/s per scenario and framework); returns what happened, for the log."""
    try:
        # NOTE: imported by name so matplotlib stays optional and the type checker needs no stubs for it.
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return "matplotlib is not installed: chart skipped"
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    frameworks = [fw for fw in ("vivace", "fastapi", "raw") if fw in results.frameworks]
    width = 0.8 / max(len(frameworks), 1)
    figure, axes = pyplot.subplots(figsize=(10, 4.5), dpi=120)
    for i, fw in enumerate(frameworks):
        rates = [results.rate(fw, s.name) or 0.0 for s in scenarios]
        xs = [x + (i - (len(frameworks) - 1) / 2) * width for x in range(len(scenarios))]
        bars = axes.bar(xs, rates, width, label=LABELS[fw], color=COLORS[fw])
        axes.bar_label(bars, labels=[f"{r:,.0f}" if r else "" for r in rates], fontsize=7, padding=2)
    axes.set_xticks(range(len(scenarios)), [s.name for s in scenarios])
    axes.set_ylabel("requests / second (higher is better)")
    axes.set_title("uvicorn + uvloop + httptools, 1 worker on 1 core")
    axes.legend()
    axes.grid(axis="y", alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return f"chart written to {path}"
