"""Startup: importing the framework, building a 200-route app and serving its first requests, in fresh processes.

    python bench/startup.py [--runs 7] [--cpu 0]
    python bench/startup.py --instructions      # instruction counts under callgrind instead (needs valgrind)

Each measured run is a new interpreter (bench/startup_child.py) that imports the framework, builds
bench/startup_app.py (25 routers of 8 routes, included with prefixes) and sends, straight into the ASGI app,
the app's first request (`GET /r0/1`), then the first request of another route that has not run yet (a cold
route: body, auth dependency chain) and the same request again (warm). The difference between the last two is
the work a framework defers to a route's first use. The child reports each phase's wall time, the CPU time
of the whole process (interpreter start-up included) and its peak RSS (VmHWM).

The frameworks alternate run by run (vivace, FastAPI, FastAPI, vivace, ...) so drift on a shared machine
hits both alike; each figure is the median over the runs. One unmeasured run per framework comes first, so
both start from compiled bytecode.

With `--instructions` each framework runs once unmeasured (to write its bytecode), then once under
`valgrind --tool=callgrind`, stopping after the first
request, and the table gives the instructions executed: `import` alone, then import + build + first request.
The counts are the same on every run, however busy the machine is.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
FRAMEWORKS = ("vivace", "fastapi")
NUMERIC_COLUMNS = frozenset({1, 2, 4})  # right-aligned in the table


@dataclass(frozen=True, slots=True)
class Measure:
    """One row of the startup table: a key in the child's report, how to show it, and the target, if any."""

    key: str
    label: str
    unit: str
    target: float | None = None  # vivace/FastAPI must be at most this


MEASURES = (
    Measure("import_ms", "import the framework", "ms"),
    Measure("build_ms", "build the 200-route app", "ms"),
    Measure("first_request_ms", "first request (GET /r0/1)", "ms"),
    Measure("startup_ms", "import + build + first request", "ms", target=0.5),
    Measure("cpu_ms", "CPU time of the process", "ms"),
    Measure("peak_rss_mb", "peak RSS", "MB", target=1.0),
    Measure("cold_route_ms", "a cold route's first request", "ms"),
    Measure("warm_route_ms", "the same request again", "ms"),
    Measure("every_route_ms", "then one request to each of the 200 routes", "ms"),
)


# --- the parent: alternating fresh processes ----------------------------------------------------------------


def child_environment() -> dict[str, str]:
    """This process's environment without PYTHONDONTWRITEBYTECODE: every run must start from compiled bytecode.

    NOTE: with the variable set (as in some shells and CI images) the installed FastAPI still loads its shipped
    `.pyc` files while vivace, run from a source checkout, recompiles every module on every start: ~0.6 G
    instructions that a deployed application never pays.
    """
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def run_child(framework: str, prefix: list[str], timeout: float = 120.0, *arguments: str) -> dict[str, float]:
    command = [*prefix, sys.executable, str(BENCH_DIR / "startup_child.py"), framework, *arguments]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd=BENCH_DIR, env=child_environment()
    )
    if done.returncode != 0:
        raise RuntimeError(f"{framework} startup run failed: {(done.stderr or done.stdout).strip()[-500:]}")
    report: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def alternating(frameworks: tuple[str, ...], runs: int) -> list[str]:
    """vivace, fastapi, fastapi, vivace, vivace, fastapi...: each framework goes first in half the pairs."""
    order: list[str] = []
    for n in range(runs):
        pair = list(frameworks) if n % 2 == 0 else list(reversed(frameworks))
        order.extend(pair)
    return order


def measure(
    runs: int, prefix: list[str], frameworks: tuple[str, ...] = FRAMEWORKS, log: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Every run's report and the per-measure medians, per framework; one warm-up run each first."""
    for framework in frameworks:
        run_child(framework, prefix)
    reports: dict[str, list[dict[str, float]]] = {fw: [] for fw in frameworks}
    for framework in alternating(frameworks, runs):
        report = run_child(framework, prefix)
        reports[framework].append(report)
        if log is not None:
            log(f"  {framework:<8} startup {report['startup_ms']:7.1f} ms, peak RSS {report['peak_rss_mb']:.1f} MB")
    medians = {fw: {m.key: statistics.median(r[m.key] for r in reports[fw]) for m in MEASURES} for fw in frameworks}
    return {"runs": runs, "medians": medians, "reports": reports}


def count_instructions(code: list[str], timeout: float = 600.0) -> int:
    """Instructions a fresh interpreter executes running `code` (arguments after `python`), counted by callgrind."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, *code]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=timeout, check=False, cwd=BENCH_DIR, env=child_environment()
    )
    found = re.search(r"Collected : (\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"callgrind run failed: {(done.stderr or done.stdout).strip()[-500:]}")
    return int(found.group(1))


IMPORTS = {"vivace": "from vivace.compat import install; install(); import fastapi", "fastapi": "import fastapi"}


def instruction_rows(frameworks: tuple[str, ...] = FRAMEWORKS) -> list[list[str]]:
    """Millions of instructions: the framework's import, then import + 200-route app + first request."""
    for framework in frameworks:
        run_child(framework, [], 120.0, "first-only")  # unmeasured: writes the bytecode the counted runs load
    counts = {
        fw: (count_instructions(["-c", IMPORTS[fw]]), count_instructions(["startup_child.py", fw, "first-only"]))
        for fw in frameworks
    }
    rows = [["instructions (callgrind)", "vivace", "FastAPI", "unit", "vivace/FastAPI", "target"]]
    for index, label, target in ((0, "import the framework", ""), (1, "import + build + first request", "<= 0.50x")):
        cells = [f"{counts[fw][index] / 1e6:,.0f}" if fw in counts else "n/a" for fw in FRAMEWORKS]
        both = "vivace" in counts and "fastapi" in counts
        shown = f"{counts['vivace'][index] / counts['fastapi'][index]:.2f}x" if both else "n/a"
        rows.append([label, *cells, "M", shown, target])
    return rows


def ratio(found: dict[str, Any], key: str) -> float | None:
    medians = found["medians"]
    if "vivace" not in medians or "fastapi" not in medians or not medians["fastapi"][key]:
        return None
    return float(medians["vivace"][key] / medians["fastapi"][key])


def table_rows(found: dict[str, Any]) -> list[list[str]]:
    """The startup table: one row per measure, medians of the runs, vivace/FastAPI and the target."""
    rows = [[f"startup (median of {found['runs']} runs)", "vivace", "FastAPI", "unit", "vivace/FastAPI", "target"]]
    medians = found["medians"]
    for m in MEASURES:
        cells = [f"{medians[fw][m.key]:,.1f}" if fw in medians else "n/a" for fw in FRAMEWORKS]
        value = ratio(found, m.key)
        shown = "n/a" if value is None else f"{value:.2f}x"
        target = "" if m.target is None else f"<= {m.target:.2f}x" + (" (met)" if value and value <= m.target else "")
        if m.target is not None and value is not None and value > m.target:
            target += " (**missed**)"
        rows.append([m.label, *cells, m.unit, shown, target])
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=7, help="measured runs per framework (7)")
    parser.add_argument("--cpu", default="0", help="CPU to pin each run to ('none': unpinned)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind instead")
    args = parser.parse_args(argv)
    from report import markdown_table
    from servers import taskset_prefix

    if args.instructions:
        if shutil.which("valgrind") is None:
            raise SystemExit("--instructions needs valgrind (apt-get install -y valgrind)")
        print(markdown_table(instruction_rows(), NUMERIC_COLUMNS))
        return 0

    cpu = None if args.cpu.lower() in {"", "none", "-1"} else int(args.cpu)
    found = measure(args.runs, taskset_prefix(cpu), log=lambda line: print(line, file=sys.stderr, flush=True))
    print(markdown_table(table_rows(found), NUMERIC_COLUMNS))
    if args.json is not None:
        args.json.write_text(json.dumps(found, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
