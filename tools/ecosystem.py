"""vivace's ecosystem yardstick: popular FastAPI extension libraries' own test suites, run against vivace.

    .venv/bin/python tools/ecosystem.py [--library NAME ...] [--failures NAME|all ...]
    .venv/bin/python tools/ecosystem.py --show [--failures NAME|all ...]     # reprint the last report, no rerun

Each library in tools/ecosystem_libraries.toml is a pinned PyPI sdist that ships its tests. Its suite runs in the
library's own virtualenv (tools/ecosystem_setup.py), in a fresh copy of the sdist, one library at a time, twice:

- on the real FastAPI 0.165.0: B is the number of its tests that pass there (cached per venv; `--rebaseline`);
- on vivace, with the `fastapi` -> vivace alias installed in the pytest process before collection (the plugin
  tools/vivace_conformance_plugin.py, as in tools/conformance.py) and, unless `--keep-fastapi`, the real FastAPI
  package moved out of the venv, as where only vivace is installed: P is how many of the B tests pass.

It prints `NAME: P of B` per library and the total, and writes .cache/ecosystem/report.json with every failing
test id, its outcome and the first lines of its failure. `--failures NAME` prints a library's failures grouped by
their first line, most frequent first. Not part of `make test` (it downloads and installs): `make ecosystem`.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conformance import (
    MESSAGE_LINES,
    TOOLS,
    VERSION,
    Outcome,
    Run,
    check_guards,
    exclusive_lock,
    first_line,
    invoke,
    pytest_environment,
    read_reports,
    result_in_run,
    sync_path,
)
from ecosystem_setup import (
    CACHE,
    Library,
    ensure_sdist,
    ensure_venv,
    fastapi_hidden,
    load_libraries,
    pin_pytest_root,
    restore_fastapi,
    venv_key,
    venv_python,
)

PLUGIN = "vivace_conformance_plugin"
WORK = CACHE / "work"  # one fresh copy of each sdist per run; pytest runs there
RUNS = CACHE / "runs"
REPORT_FILE = CACHE / "report.json"
EXAMPLES_PER_CAUSE = 3


@dataclass
class Options:
    max_seconds: float = 600.0  # per library and mode
    test_timeout: int = 120  # per test (pytest-timeout)
    rebaseline: bool = False
    keep_fastapi: bool = False


# ---------------------------------------------------------------------------------------------- one run


def pytest_command(python: Path, library: Library, options: Options) -> list[str]:
    command = [str(python), "-m", "pytest", *library.tests, "-p", "no:cacheprovider", "-p", PLUGIN]
    # NOTE: command-line values win over the library's ini settings; its own options come last to win over ours.
    command += [f"--timeout={options.test_timeout}", "--continue-on-collection-errors", "-q", "--tb=native"]
    return [*command, *library.pytest_args]


def run_environment(mode: str, run_dir: Path, venv: Path) -> dict[str, str]:
    """conformance's environment for the plugin, with the library's venv first on PATH (tests that start
    `python` or a console script must get the venv's), and no trace of the caller's own venv."""
    env = pytest_environment(mode, run_dir)
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), env.get("PATH", "")])
    return env


def run_library(library: Library, mode: str, sdist: Path, venv: Path, options: Options) -> Run:
    """Run the library's suite once in `mode` ("fastapi" or "vivace") and collect every outcome."""
    work = WORK / library.name
    work.parent.mkdir(parents=True, exist_ok=True)
    sync_path(sdist, work)  # tests write files where they run: each run starts from the pristine sdist
    pin_pytest_root(work)
    for directory in library.missing_dirs:
        (work / directory).mkdir(parents=True, exist_ok=True)
    run_dir = RUNS / library.name / mode
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    run = Run(mode, log=run_dir / "pytest.log")
    command = pytest_command(venv_python(library), library, options)
    started = time.monotonic()
    run.returncode, cut = invoke(command, run_environment(mode, run_dir, venv), run.log, options.max_seconds, work)
    run.seconds = time.monotonic() - started
    read_reports(run, run_dir)
    check_guards(run, run_dir, workers=0)
    if cut:
        run.problems.append(f"cut after {options.max_seconds:.0f} s; tests not reached count as failed")
    if not run.tests and not run.collect_errors:
        tail = run.log.read_text(encoding="utf-8", errors="replace").strip().splitlines()[-3:]
        run.problems.append(f"pytest ran nothing (exit {run.returncode}): " + " | ".join(tail))
    return run


# ---------------------------------------------------------------------------------------------- baseline


def baseline_file(library: Library) -> Path:
    return RUNS / library.name / "baseline.json"


def baseline_of(run: Run, key: str) -> dict[str, Any]:
    counts = collections.Counter(result.outcome for result in run.tests.values())
    return {
        "key": key,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(run.seconds, 1),
        "counts": dict(sorted(counts.items())),
        "problems": run.problems,
        "passing": sorted(nodeid for nodeid, result in run.tests.items() if result.outcome == "passed"),
        "collected": sorted(run.tests),
    }


def baseline_key(library: Library) -> str:
    """What a baseline depends on: the venv, and what the run is given."""
    run = [library.tests, library.pytest_args, library.missing_dirs]
    return venv_key(library) + "-" + hashlib.sha256(json.dumps(run).encode()).hexdigest()[:8]


def load_baseline(library: Library, sdist: Path, venv: Path, options: Options) -> dict[str, Any]:
    """The library's tests passing on FastAPI 0.165.0: cached while its venv stays the same."""
    path, key = baseline_file(library), baseline_key(library)
    if not options.rebaseline and path.is_file():
        cached: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return cached
    print(f"  {library.name}: baseline run on FastAPI {VERSION} ...", flush=True)
    baseline = baseline_of(run_library(library, "fastapi", sdist, venv, options), key)
    if not baseline["problems"]:
        path.write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    return baseline


# ---------------------------------------------------------------------------------------------- comparison


def _failure_entry(result: Outcome) -> dict[str, str]:
    entry = {"outcome": result.outcome, "message": "\n".join(result.message.splitlines()[:MESSAGE_LINES])}
    if result.where:
        entry["where"] = result.where
    return entry


def _function_of(nodeid: str) -> str:
    return nodeid.split("[", 1)[0]


def pair_unstable_ids(baseline: dict[str, Any], run: Run) -> dict[str, str]:
    """Baseline ids missing from the run, each paired with a run id of the same test function that the FastAPI
    run never had, in sorted order.

    NOTE: some suites put random values in parametrized ids (tokens, keys), so the same test has a different id
    in every run; without this those tests would count as not run."""
    known = set(baseline.get("collected", baseline["passing"]))
    spare: dict[str, collections.deque[str]] = collections.defaultdict(collections.deque)
    for nodeid in sorted(run.tests):
        if "[" in nodeid and nodeid not in known:
            spare[_function_of(nodeid)].append(nodeid)
    pairs: dict[str, str] = {}
    for nodeid in baseline["passing"]:
        candidates = spare.get(_function_of(nodeid))
        if nodeid not in run.tests and candidates:
            pairs[nodeid] = candidates.popleft()
    return pairs


def baseline_problems(baseline: dict[str, Any]) -> list[str]:
    problems = [f"baseline: {problem}" for problem in baseline["problems"]]
    if not baseline["passing"]:
        problems.append(f"baseline: no test passes on FastAPI here, so nothing is compared ({baseline['counts']})")
    return problems


def compare(library: Library, baseline: dict[str, Any], run: Run) -> dict[str, Any]:
    """One library's entry in the report: P of B, and how each of the B tests that did not pass fared."""
    failures: dict[str, dict[str, str]] = {}
    pairs = pair_unstable_ids(baseline, run)
    for nodeid in baseline["passing"]:
        result = result_in_run(run, pairs.get(nodeid, nodeid))
        if result.outcome == "not-run" and run.problems:
            result = Outcome("not-run", run.problems[0])  # such as a conftest that failed to import
        if result.outcome != "passed":
            failures[nodeid] = _failure_entry(result)
    counts = collections.Counter(result.outcome for result in run.tests.values())
    return {
        "version": library.version,
        "kind": library.kind,
        "passed": len(baseline["passing"]) - len(failures),
        "baseline": len(baseline["passing"]),
        "seconds": round(run.seconds, 1),
        "baseline_seconds": baseline["seconds"],
        "baseline_counts": baseline["counts"],
        "counts": dict(sorted(counts.items())),
        "problems": [*baseline_problems(baseline), *run.problems],
        "log": str(run.log),
        "failures": failures,
    }


def unresolved_names(sdist: Path) -> dict[str, list[str]]:
    """The `fastapi` names the library's code and tests use that vivace lacks (tools/ecosystem_imports.py, run in
    its own process because it installs the alias)."""
    command = [sys.executable, str(TOOLS / "ecosystem_imports.py"), str(sdist)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    found: dict[str, list[str]] = json.loads(output)[str(sdist)]
    return found


def setup_failure(library: Library, why: str) -> dict[str, Any]:
    """The entry of a library that could not be downloaded or installed: it counts 0 of 0, with the reason."""
    return {
        "version": library.version,
        "kind": library.kind,
        "passed": 0,
        "baseline": 0,
        "problems": [why],
        "failures": {},
    }


def assess(library: Library, options: Options) -> dict[str, Any]:
    """Download, install, run on FastAPI (cached) and on vivace; the library's report entry."""
    try:
        sdist = ensure_sdist(library)
        venv = ensure_venv(library, sdist)
    except subprocess.CalledProcessError as error:
        return setup_failure(library, f"setup failed ({error.cmd[:4]}...): see .cache/ecosystem/venvs/*.log")
    restore_fastapi(venv)
    baseline = load_baseline(library, sdist, venv, options)
    print(f"  {library.name}: running on vivace ...", flush=True)
    if options.keep_fastapi:
        run = run_library(library, "vivace", sdist, venv, options)
    else:
        with fastapi_hidden(venv):
            run = run_library(library, "vivace", sdist, venv, options)
    entry = compare(library, baseline, run)
    entry["unresolved_fastapi_names"] = unresolved_names(sdist)
    return entry


def summarise(libraries: dict[str, dict[str, Any]], options: Options) -> dict[str, Any]:
    """The whole report: every library's entry and the totals."""
    return {
        "fastapi_version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "fastapi_installed_during_vivace_runs": options.keep_fastapi,
        "passed": sum(entry["passed"] for entry in libraries.values()),
        "baseline": sum(entry["baseline"] for entry in libraries.values()),
        "libraries": dict(sorted(libraries.items())),
    }


def previous_entries(known: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The last report's entries for libraries still in the table (a `--library` run updates only its own)."""
    if not REPORT_FILE.is_file():
        return {}
    previous: dict[str, dict[str, Any]] = json.loads(REPORT_FILE.read_text(encoding="utf-8"))["libraries"]
    names = set(known)
    return {name: entry for name, entry in previous.items() if name in names}


# ---------------------------------------------------------------------------------------------- printing


def causes(entry: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """A library's failures grouped by their first line (addresses blanked), most frequent first."""
    groups: dict[str, list[str]] = collections.defaultdict(list)
    for nodeid, failure in entry["failures"].items():
        groups[first_line(failure)].append(nodeid)
    return sorted(groups.items(), key=lambda item: (-len(item[1]), item[0]))


def summary_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"{name}: {entry['passed']} of {entry['baseline']}" for name, entry in report["libraries"].items()]
    return [*lines, f"total: {report['passed']} of {report['baseline']}"]


def print_summary(report: dict[str, Any]) -> None:
    where = "kept installed" if report["fastapi_installed_during_vivace_runs"] else "moved out of each venv"
    print(f"\nFastAPI extensions' own tests on vivace (B: passing on FastAPI {report['fastapi_version']};")
    print(f"the real FastAPI package was {where} for the vivace runs)")
    for line in summary_lines(report):
        print(line)
    for name, entry in report["libraries"].items():
        for problem in entry["problems"]:
            print(f"WARNING {name}: {problem}")


def print_failures(report: dict[str, Any], name: str) -> None:
    for library, entry in report["libraries"].items():
        if name not in ("all", library):
            continue
        print(f"\n{library}: {len(entry['failures'])} of {entry['baseline']} fail on vivace")
        for cause, nodeids in causes(entry):
            print(f"\n{len(nodeids):>5}  {cause}")
            example = entry["failures"][nodeids[0]]
            for line in example["message"].splitlines()[1:MESSAGE_LINES]:
                print(f"         {line}")
            if example.get("where"):
                print(f"         at {example['where']}")
            for nodeid in nodeids[:EXAMPLES_PER_CAUSE]:
                print(f"         e.g. {nodeid}")
        print_unresolved(entry.get("unresolved_fastapi_names", {}))


def print_unresolved(names: dict[str, list[str]]) -> None:
    if names:
        print("\n  `fastapi` names its code and tests use that vivace lacks (static; a run stops at the first):")
    for name, places in names.items():
        print(f"    {name}  ({len(places)} uses, e.g. {places[0]})")


# ---------------------------------------------------------------------------------------------- commands


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--library", action="append", default=[], metavar="NAME", help="run only this (repeatable)")
    parser.add_argument("--failures", action="append", default=[], metavar="NAME", help="print failures (or all)")
    parser.add_argument("--show", action="store_true", help="print the last report again, without running")
    parser.add_argument("--rebaseline", action="store_true", help="rerun on FastAPI even if a baseline is cached")
    parser.add_argument("--keep-fastapi", action="store_true", help="leave FastAPI installed for the vivace runs")
    parser.add_argument("--max-seconds", type=float, default=600.0, help="limit for one library's run in one mode")
    parser.add_argument("--test-timeout", type=int, default=120, help="limit for one test, in seconds")
    return parser.parse_args(argv)


def run_all(libraries: list[Library], options: Options) -> dict[str, Any]:
    with exclusive_lock(CACHE, "ecosystem"):
        entries = previous_entries(library.name for library in load_libraries())
        for library in libraries:
            print(f"{library.name} {library.version} ({library.kind})", flush=True)
            entries[library.name] = assess(library, options)
            print(f"  {library.name}: {entries[library.name]['passed']} of {entries[library.name]['baseline']}")
        report = summarise(entries, options)
        REPORT_FILE.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    libraries = load_libraries()
    known = {library.name: library for library in libraries}
    unknown = [name for name in [*args.library, *args.failures] if name not in known and name != "all"]
    if unknown:
        print(f"not in tools/ecosystem_libraries.toml: {', '.join(unknown)}", file=sys.stderr)
        return 2
    if args.show:
        if not REPORT_FILE.is_file():
            print("no report yet: run without --show first", file=sys.stderr)
            return 2
        report = json.loads(REPORT_FILE.read_text(encoding="utf-8"))
    else:
        options = Options(args.max_seconds, args.test_timeout, args.rebaseline, args.keep_fastapi)
        report = run_all([known[name] for name in args.library] or libraries, options)
    for name in args.failures:
        print_failures(report, name)
    print_summary(report)
    print(f"\nfull report: {REPORT_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
