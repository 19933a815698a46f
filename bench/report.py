"""Present a run: a Markdown table on stdout, JSON for tools, and a bar chart when matplotlib is present."""

import importlib
import json
import math
from pathlib import Path
from typing import Any

import peers
from results import Results
from scenarios import Scenario

LABELS = {"vivace": "vivace", "fastapi": "FastAPI", "raw": "raw ASGI"}
COLORS = {"vivace": "#2a9d8f", "fastapi": "#e76f51", "raw": "#8d99ae"}  # fixed, so charts compare at a glance
NUMERIC_COLUMNS = frozenset({1, 2, 3, 5, 6})  # right-aligned in the table: the rates and the ratios
NOT_SERVED = "-"  # the framework has no such scenario (raw serves only a few)
MISSING = "n/a"  # the framework was not run, or failed the scenario


def _rate_cell(results: Results, framework: str, scenario: Scenario) -> str:
    if framework not in scenario.frameworks:
        return NOT_SERVED
    rate = results.rate(framework, scenario.name)
    return MISSING if rate is None else f"{rate:,.0f}"


def _ratio_cell(results: Results, scenario: Scenario, over: str) -> str:
    if over not in scenario.frameworks:
        return NOT_SERVED
    value = ratio(results, scenario, over)
    return MISSING if value is None else f"{value:.2f}x"


def ratio(results: Results, scenario: Scenario, over: str) -> float | None:
    top, bottom = results.rate("vivace", scenario.name), results.rate(over, scenario.name)
    return None if top is None or bottom is None else top / bottom


def target_cell(scenario: Scenario) -> str:
    raw = f", >= {scenario.target_raw:.2f}x raw" if scenario.target_raw is not None else ""
    return f">= {scenario.target_fastapi:.1f}x FastAPI{raw}"


def target_met(results: Results, scenario: Scenario) -> bool | None:
    """Whether every target of the scenario is met; None when a ratio it needs is missing."""
    checks = [(ratio(results, scenario, "fastapi"), scenario.target_fastapi)]
    if scenario.target_raw is not None:
        checks.append((ratio(results, scenario, "raw"), scenario.target_raw))
    if any(value is None for value, _ in checks):
        return None
    return all(value is not None and value >= target for value, target in checks)


def table_rows(results: Results, scenarios: tuple[Scenario, ...]) -> list[list[str]]:
    rows = [["scenario", "vivace", "FastAPI", "raw", "unit", "vivace/FastAPI", "vivace/raw", "target", "met"]]
    for s in scenarios:
        rates = [_rate_cell(results, fw, s) for fw in ("vivace", "fastapi", "raw")]
        met = {True: "yes", False: "**no**", None: MISSING}[target_met(results, s)]
        ratios = [_ratio_cell(results, s, "fastapi"), _ratio_cell(results, s, "raw")]
        rows.append([s.name, *rates, s.unit, *ratios, target_cell(s), met])
    rows.append(http_mean_row(results, scenarios))
    return rows


HTTP_GEOMEAN_TARGET = 3.5


def http_mean_row(results: Results, scenarios: tuple[Scenario, ...]) -> list[str]:
    """vivace/FastAPI's geometric mean over the scenarios held to FastAPI alone (the server-bound ones, held to the
    raw app, are left out); n/a when one of them is missing."""
    held = [s for s in scenarios if s.target_fastapi > 1.0]
    ratios = [ratio(results, s, "fastapi") for s in held]
    known = [value for value in ratios if value is not None]
    mean = geometric_mean(known) if held and len(known) == len(held) else None
    met = MISSING if mean is None else ("yes" if mean >= HTTP_GEOMEAN_TARGET else "**no**")
    shown = MISSING if mean is None else f"{mean:.2f}x"
    label = f"geometric mean ({len(held)} scenarios)"
    return [label, "", "", "", "", shown, "", f">= {HTTP_GEOMEAN_TARGET:.1f}x FastAPI", met]


def markdown_table(rows: list[list[str]], numeric_columns: frozenset[int] = NUMERIC_COLUMNS) -> str:
    """A pipe table (numbers right, text left), padded so it also reads well as plain text."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    numeric = [i in numeric_columns for i in range(len(rows[0]))]

    def line(cells: list[str]) -> str:
        padded = [
            cell.rjust(w) if numeric[i] else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join(("-" * (w + 1) + ":") if numeric[i] else ("-" * (w + 2)) for i, w in enumerate(widths)) + "|"
    return "\n".join([line(rows[0]), rule, *(line(row) for row in rows[1:])])


def error_lines(results: Results) -> list[str]:
    """One line per framework and error, listing the scenarios it hit (a dead server fails them all alike)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for framework, scenario, error in results.errors():
        grouped.setdefault((framework, error), []).append(scenario)
    return [f"{LABELS.get(fw, fw)} / {', '.join(names)}: {error}" for (fw, error), names in grouped.items()]


def write_json(
    path: Path,
    results: Results,
    meta: dict[str, Any],
    scenarios: tuple[Scenario, ...],
    extra: dict[str, Any] | None = None,
) -> None:
    """Everything measured, with each scenario's ratios and targets (peers' and the realistic app's included)."""
    targets = {
        s.name: {
            "unit": s.unit,
            "vivace_over_fastapi": ratio(results, s, "fastapi"),
            "vivace_over_raw": ratio(results, s, "raw"),
            "target_over_fastapi": s.target_fastapi,
            "target_over_raw": s.target_raw,
            "met": target_met(results, s),
        }
        for s in scenarios
    }
    for s in scenarios:
        best = fastest_peer(results, s)
        if best is not None:
            targets[s.name] |= {
                "fastest_peer": best[0],
                "vivace_over_fastest_peer": peer_ratio(results, s),
                "target_over_fastest_peer": peers.TARGET,
            }
    app_ratios = [ratio(results, s, "fastapi") for s in scenarios if s.app == "realistic"]
    if app_ratios and None not in app_ratios:
        targets["realistic-geometric-mean"] = {
            "vivace_over_fastapi": geometric_mean([r for r in app_ratios if r is not None]),
            "target_over_fastapi": REALISTIC_GEOMEAN_TARGET,
        }
    document = {**meta, "results": results.as_dict(), "targets": targets, **(extra or {})}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n")


def write_chart(path: Path, results: Results, scenarios: tuple[Scenario, ...]) -> str:
    """Two panels: vivace/FastAPI per scenario against its target, and every rate on a log scale.

    Returns what happened, for the log. NOTE: the rates span three orders of magnitude (a 1 MiB upload
    against an SSE event), so on a linear axis most bars would be invisible.
    """
    try:
        # NOTE: imported by name so matplotlib stays optional and the type checker needs no stubs for it.
        matplotlib: Any = importlib.import_module("matplotlib")
    except ImportError:
        return "matplotlib is not installed: chart skipped"
    matplotlib.use("Agg")
    pyplot: Any = importlib.import_module("matplotlib.pyplot")
    figure, (ratios, rates) = pyplot.subplots(2, 1, figsize=(11, 8), dpi=110)
    _ratio_panel(ratios, results, scenarios)
    _rate_panel(rates, results, scenarios)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    pyplot.close(figure)
    return f"chart written to {path}"


def _ratio_panel(axes: Any, results: Results, scenarios: tuple[Scenario, ...]) -> None:
    values = [ratio(results, s, "fastapi") or 0.0 for s in scenarios]
    xs = range(len(scenarios))
    bars = axes.bar(xs, values, 0.6, color=COLORS["vivace"], label="vivace / FastAPI")
    axes.bar_label(bars, labels=[f"{v:.2f}x" if v else "n/a" for v in values], fontsize=8, padding=2)
    axes.scatter(xs, [s.target_fastapi for s in scenarios], marker="_", s=900, color="black", label="target")
    axes.axhline(1.0, color=COLORS["fastapi"], linewidth=1, linestyle="--")
    # NOTE: headroom above the tallest bar, so its label stays clear of the legend
    axes.set_ylim(0, max([*values, *(s.target_fastapi for s in scenarios)]) * 1.3)
    axes.set_xticks(xs, [s.name for s in scenarios], fontsize=8)
    axes.set_ylabel("vivace / FastAPI (higher is better)")
    axes.set_title("Same run, uvicorn + uvloop + httptools, 1 worker pinned to 1 core")
    axes.legend(loc="upper right")
    axes.grid(axis="y", alpha=0.3)


def _rate_panel(axes: Any, results: Results, scenarios: tuple[Scenario, ...]) -> None:
    frameworks = [fw for fw in ("vivace", "fastapi", "raw") if fw in results.frameworks]
    width = 0.8 / max(len(frameworks), 1)
    for i, fw in enumerate(frameworks):
        rates = [results.rate(fw, s.name) or 0.0 for s in scenarios]
        xs = [x + (i - (len(frameworks) - 1) / 2) * width for x in range(len(scenarios))]
        axes.bar(xs, rates, width, label=LABELS[fw], color=COLORS[fw])
    axes.set_yscale("log")
    axes.set_xticks(range(len(scenarios)), [f"{s.name}\n({s.unit})" for s in scenarios], fontsize=8)
    axes.set_ylabel("per second, log scale")
    axes.legend(loc="upper left", fontsize=8, ncol=3)
    axes.grid(axis="y", alpha=0.3, which="both")


# --- peers and the realistic application ----------------------------------------------------------------------


def fastest_peer(results: Results, scenario: Scenario) -> tuple[str, float] | None:
    """The fastest peer that is compared on `scenario` and measured it, with its rate."""
    rates = [
        (peer, rate)
        for peer in peers.PEERS
        if (peer, scenario.name) not in peers.NOT_COMPARED and (rate := results.rate(peer, scenario.name)) is not None
    ]
    return max(rates, key=lambda found: found[1]) if rates else None


def peer_ratio(results: Results, scenario: Scenario) -> float | None:
    ours, best = results.rate("vivace", scenario.name), fastest_peer(results, scenario)
    return None if ours is None or best is None else ours / best[1]


def _peer_cell(results: Results, peer: str, scenario: Scenario) -> str:
    rate = results.rate(peer, scenario.name)
    if rate is None:
        return MISSING
    return f"{rate:,.0f}" + (" (not compared)" if (peer, scenario.name) in peers.NOT_COMPARED else "")


def peer_rows(results: Results, scenarios: tuple[Scenario, ...]) -> list[list[str]]:
    """vivace against each peer, and against the fastest one compared on each scenario."""
    labels = [peers.LABELS[p] for p in peers.PEERS]
    rows = [["scenario", "vivace", *labels, "unit", "fastest peer", "vivace/fastest", "target", "met"]]
    for s in scenarios:
        best, value = fastest_peer(results, s), peer_ratio(results, s)
        met = MISSING if value is None else ("yes" if value >= peers.TARGET else "**no**")
        ours = results.rate("vivace", s.name)
        rows.append(
            [
                s.name,
                MISSING if ours is None else f"{ours:,.0f}",
                *(_peer_cell(results, p, s) for p in peers.PEERS),
                s.unit,
                MISSING if best is None else peers.LABELS[best[0]],
                MISSING if value is None else f"{value:.2f}x",
                f">= {peers.TARGET:.2f}x",
                met,
            ]
        )
    return rows


PEER_NUMERIC = frozenset({1, 2, 3, 4, 7})
REALISTIC_NUMERIC = frozenset({1, 2, 4})
REALISTIC_GEOMEAN_TARGET = 1.3


def geometric_mean(values: list[float]) -> float | None:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def realistic_rows(results: Results, scenarios: tuple[Scenario, ...]) -> list[list[str]]:
    """vivace/FastAPI per route of the realistic application, then their geometric mean."""
    rows = [["route", "vivace", "FastAPI", "unit", "vivace/FastAPI", "target", "met"]]
    ratios = []
    for s in scenarios:
        value = ratio(results, s, "fastapi")
        if value is not None:
            ratios.append(value)
        met = {True: "yes", False: "**no**", None: MISSING}[target_met(results, s)]
        cells = [_rate_cell(results, fw, s) for fw in ("vivace", "fastapi")]
        rows.append([f"{s.method} {s.path}", *cells, s.unit, _ratio_cell(results, s, "fastapi"), target_cell(s), met])
    mean = geometric_mean(ratios) if len(ratios) == len(scenarios) else None
    mean_met = MISSING if mean is None else ("yes" if mean >= REALISTIC_GEOMEAN_TARGET else "**no**")
    shown = MISSING if mean is None else f"{mean:.2f}x"
    rows.append(["geometric mean", "", "", "", shown, f">= {REALISTIC_GEOMEAN_TARGET:.1f}x FastAPI", mean_met])
    return rows
