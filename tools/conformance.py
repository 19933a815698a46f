"""vivace's compatibility yardstick: FastAPI 0.165.0's own tests, run against vivace.

    .venv/bin/python tools/conformance.py report [--suite tutorial|core] [--section S] [--failures S|all]
    .venv/bin/python tools/conformance.py check [--raise]     # the ratchet used by `make test` (tutorial)
    .venv/bin/python tools/conformance.py baseline [--suite tutorial|core]   # rerun a suite on the real FastAPI
    .venv/bin/python tools/conformance.py show [--suite tutorial|core] [--failures S]   # reprint, no rerun

Two suites (tools/conformance_suites.py): `tutorial` (the default) is `tests/test_tutorial/`; `core` is the
rest of FastAPI's tests/ (edge cases), without benchmarks and modules needing packages not installed here.

FastAPI's sdist is downloaded once into .cache/conformance/ (gitignored). The chosen suite runs in
a fresh copy of the sdist's tests, tutorial apps and pyproject.toml (without its `fastapi/` package), with the
sdist's own pytest settings (warnings are errors, 20 s per-test timeout), two xdist workers, and the plugin
tools/vivace_conformance_plugin.py, which installs the `fastapi` -> vivace alias in every process before
collection, records each outcome, and reports which `fastapi` each process really imported.

B is the number of the suite's tests that pass on the real FastAPI in this venv (cached per suite, machine and
package set); P is how many of those B pass on vivace. `check` fails when the tutorial suite's P drops below
tools/conformance-floor.txt; the core suite has no floor yet.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import fcntl
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from conformance_suites import SUITES, TUTORIAL, Suite, runnable_sections

VERSION = "0.165.0"
ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / "tools"
CACHE = ROOT / ".cache" / "conformance"
SDIST_ROOT = CACHE / f"fastapi-{VERSION}"  # pristine, never run in
WORK_TREE = CACHE / "work"  # reset from SDIST_ROOT before each run; pytest runs here
# No `fastapi/` in the work tree: it must never shadow the framework under test.
WORK_ITEMS = ("docs", "docs_src", "tests", "pyproject.toml")
FLOOR_FILE = TOOLS / "conformance-floor.txt"
PLUGIN = "vivace_conformance_plugin"
FAILED_OUTCOMES = frozenset({"failed", "error"})
MESSAGE_LINES = 6
LEAK = "imported the wrong fastapi"  # in a run's problems: its numbers are not about the framework meant


# ---------------------------------------------------------------------------------------------- the sdist


def ensure_sdist() -> Path:
    """FastAPI's extracted sdist, downloaded and unpacked on first use only."""
    marker = SDIST_ROOT / ".vivace-extracted"
    if marker.is_file():
        return SDIST_ROOT
    CACHE.mkdir(parents=True, exist_ok=True)
    archive = CACHE / f"fastapi-{VERSION}.tar.gz"
    if not archive.is_file():
        print(f"downloading FastAPI {VERSION}'s sdist into {CACHE} ...", flush=True)
        pip = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:"]
        subprocess.run([*pip, f"fastapi=={VERSION}", "-d", str(CACHE)], check=True)
    # NOTE: unpack next to the target and rename, so an interrupted extraction is never mistaken for a tree.
    staging = Path(tempfile.mkdtemp(prefix="extract-", dir=CACHE))
    with tarfile.open(archive) as tar:
        tar.extractall(staging, filter="data")
    shutil.rmtree(SDIST_ROOT, ignore_errors=True)
    (staging / f"fastapi-{VERSION}").rename(SDIST_ROOT)
    shutil.rmtree(staging)
    marker.write_text(f"extracted from {archive.name}\n", encoding="utf-8")
    return SDIST_ROOT


@contextlib.contextmanager
def exclusive_lock(directory: Path = CACHE, what: str = "conformance") -> Iterator[None]:
    """One run at a time per checkout and cache directory: runs share their trees, and some tests write to them."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / "lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another {what} run in this checkout to finish ...", flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


def sync_path(source: Path, target: Path) -> None:
    """Make `target` an exact copy of `source`, copying only what differs; `__pycache__` dirs are kept."""
    if source.is_file():
        stat, known = source.stat(), target.stat() if target.is_file() else None
        if known is None or (known.st_size, known.st_mtime_ns) != (stat.st_size, stat.st_mtime_ns):
            shutil.copy2(source, target)
        return
    target.mkdir(exist_ok=True)
    for entry in target.iterdir():
        twin = source / entry.name
        if entry.name != "__pycache__" and (not twin.exists() or twin.is_dir() != entry.is_dir()):
            _remove(entry)
    for child in source.iterdir():
        sync_path(child, target / child.name)


def prepare_work_tree() -> Path:
    """A clean copy of the sdist's tests and tutorial apps: tests write files into the working directory
    (and a failing one may not clean up), which must never leak into the next run or the baseline."""
    sdist = ensure_sdist()
    WORK_TREE.mkdir(exist_ok=True)
    for entry in WORK_TREE.iterdir():
        if entry.name not in WORK_ITEMS:
            _remove(entry)
    for name in WORK_ITEMS:
        sync_path(sdist / name, WORK_TREE / name)
    return WORK_TREE


# ---------------------------------------------------------------------------------------------- one run


@dataclass
class Outcome:
    outcome: str  # passed, failed, error, skipped, xfailed, xpassed, or why it never ran
    message: str = ""
    where: str = ""
    text: str = ""


@dataclass
class Run:
    mode: str
    seconds: float = 0.0
    returncode: int = 0
    log: Path = Path()
    tests: dict[str, Outcome] = field(default_factory=dict)
    collect_errors: dict[str, Outcome] = field(default_factory=dict)  # module or dir id -> why
    broken_conftests: dict[str, Outcome] = field(default_factory=dict)  # ignored directory -> why
    problems: list[str] = field(default_factory=list)  # anything that makes the numbers doubtful
    fastapi_files: set[str] = field(default_factory=set)  # where each process's `fastapi` came from


@dataclass
class Options:
    workers: int = 2
    max_seconds: float = 900.0
    sections: list[str] = field(default_factory=list)
    suite: Suite = TUTORIAL


def baseline_file(suite: Suite) -> Path:
    return CACHE / suite.cache_name("baseline", f"-{VERSION}.json")


def last_run_file(suite: Suite) -> Path:
    return CACHE / suite.cache_name("last-run", ".json")


def _phase_outcome(outcome: str, xfail: bool) -> str:
    if outcome == "passed":
        return "xpassed" if xfail else "passed"
    return "xfailed" if xfail else "skipped"


def _failure(kind: str, record: dict[str, Any]) -> Outcome:
    return Outcome(kind, record.get("message", ""), record.get("where", ""), record.get("text", ""))


def fold_report(tests: dict[str, Outcome], record: dict[str, Any]) -> None:
    """Merge one phase report (setup, call, teardown) into the test's single outcome; a failure sticks."""
    nodeid, when, outcome = record["nodeid"], record["when"], record["outcome"]
    current = tests.get(nodeid)
    if current is not None and current.outcome in FAILED_OUTCOMES:
        return
    if outcome == "failed":
        kind = "failed" if when == "call" else "error"
        tests[nodeid] = _failure(kind, record)
    elif when == "call" or outcome == "skipped":
        tests[nodeid] = Outcome(_phase_outcome(outcome, record["xfail"]))


def read_reports(run: Run, run_dir: Path) -> None:
    """Load what the plugin wrote (possibly partial if the run was cut short)."""
    path = run_dir / "reports.jsonl"
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line cut by a killed run
            record = json.loads(line)
            if record["kind"] == "collect":
                run.collect_errors.setdefault(record["nodeid"], _failure("collection-error", record))
            else:
                fold_report(run.tests, record)


def _is_vivace_module(name: str) -> bool:
    return name == "vivace" or name.startswith("vivace.")


def check_guards(run: Run, run_dir: Path, workers: int) -> None:
    """Verify from each process's guard file that `fastapi` was the framework this run meant to test."""
    guards = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(run_dir.glob("guard-*.json"))]
    for guard in guards:
        modules: dict[str, str] = guard["modules"]
        if guard["fastapi_file"]:
            run.fastapi_files.add(guard["fastapi_file"])
        if run.mode == "vivace":
            leaked = sorted(name for name, real in modules.items() if not _is_vivace_module(real))
        else:
            leaked = sorted(name for name, real in modules.items() if name != real)
            if modules and (guard["fastapi_version"] != VERSION or "site-packages" not in guard["fastapi_file"]):
                leaked.append(f"fastapi {guard['fastapi_version']} from {guard['fastapi_file']}")
        if leaked:
            run.problems.append(f"{guard['role']} {guard['pid']} {LEAK}: {leaked[:5]}")
    worker_guards = sum(1 for guard in guards if guard["role"] == "worker")
    if workers and worker_guards < workers and run.returncode in (0, 1) and run.tests:
        run.problems.append(f"only {worker_guards} of {workers} xdist workers reported which fastapi they used")


_CONFTEST_PATTERNS = (
    re.compile(r"while loading conftest '([^']+)'"),
    re.compile(r"\(from (\S+conftest\.py)\)"),
)


def broken_section(log_text: str, tree: Path, suite: Suite) -> str | None:
    """The section whose conftest.py failed to import and so aborted pytest, if that is what happened."""
    for pattern in _CONFTEST_PATTERNS:
        match = pattern.search(log_text)
        if match:
            with contextlib.suppress(ValueError):
                parts = Path(match.group(1)).resolve().relative_to(tree.resolve() / suite.root).parts
                return suite.section_of_conftest(parts)
    return None


def suite_targets(tree: Path, options: Options, ignored: list[str]) -> list[str]:
    """The paths pytest is asked to run.

    NOTE: once a section is dropped, the others are named one by one: pytest imports the conftest.py of every
    `test*` directory just below each path it is given, before and regardless of `--ignore`.
    """
    suite = options.suite
    if not ignored and not options.sections and suite.runs_whole_root():
        return [suite.root]
    sections = options.sections or runnable_sections(suite, tree)[0]
    return [suite.target(tree, section) for section in sections if section not in ignored]


def pytest_command(targets: list[str], options: Options) -> list[str]:
    command = [sys.executable, "-m", "pytest", *targets, "-p", "no:cacheprovider", "-p", PLUGIN]
    # loadgroup keeps the tests marked xdist_group("workdir_lock") (they chdir and write files) on one worker.
    command += ["-n", str(options.workers)] + (["--dist", "loadgroup"] if options.workers else [])
    # inline-snapshot only compares here: it must never rewrite the sdist's test files.
    command += ["--continue-on-collection-errors", "--inline-snapshot=disable", "-q"]
    # PERF: native tracebacks; pytest's own format looks up every frame's source through inspect.getmodule,
    # which took 40 % of a run where most tests fail.
    return [*command, "--tb=native"]


def pytest_environment(mode: str, run_dir: Path) -> dict[str, str]:
    """The caller's environment minus anything that would change pytest's behaviour, plus the plugin's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_") and k != "PYTHONPATH"}
    env.update(PYTHONPATH=str(TOOLS), VIVACE_CONFORMANCE_MODE=mode, VIVACE_CONFORMANCE_DIR=str(run_dir))
    return env


def invoke(
    command: list[str], env: dict[str, str], log: Path, max_seconds: float, cwd: Path = WORK_TREE
) -> tuple[int, bool]:
    """Run pytest in its own process group in `cwd`, output to `log`; kill the group after `max_seconds`."""
    with log.open("w", encoding="utf-8") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            return proc.wait(timeout=max_seconds), False
        except subprocess.TimeoutExpired:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    return proc.wait(timeout=10), True
            return proc.wait(), True


def run_suite(mode: str, options: Options) -> Run:
    """Run the chosen suite once in `mode` ("vivace" or "fastapi") and collect every outcome."""
    tree = prepare_work_tree()
    suite = options.suite
    run = Run(mode)
    run_dir = CACHE / suite.cache_name("run", f"-{mode}")
    ignored: list[str] = []
    cut = False
    started = time.monotonic()
    while True:
        shutil.rmtree(run_dir, ignore_errors=True)
        run_dir.mkdir(parents=True)
        run.log = run_dir / "pytest.log"
        command = pytest_command(suite_targets(tree, options, ignored), options)
        remaining = options.max_seconds - (time.monotonic() - started)
        run.returncode, cut = invoke(command, pytest_environment(mode, run_dir), run.log, remaining)
        log_text = run.log.read_text(encoding="utf-8", errors="replace")
        broken = broken_section(log_text, tree, suite) if run.returncode == 4 else None
        if broken is None or broken in ignored:
            break
        # NOTE: a conftest that fails to import aborts the whole pytest session, so rerun without its
        # section and count the tests in it as failed instead.
        ignored.append(broken)
        why = "conftest failed to import: " + _first_error_lines(log_text)
        run.broken_conftests[f"{suite.root}/{broken}"] = Outcome("conftest-error", why)
        if not suite_targets(tree, options, ignored):
            break
    run.seconds = time.monotonic() - started
    read_reports(run, run_dir)
    check_guards(run, run_dir, options.workers)
    if cut:
        run.problems.append(f"the run was cut after {options.max_seconds:.0f} s; tests not reached count as failed")
    if not run.tests and not run.collect_errors:
        run.problems.append(f"pytest ran nothing (exit {run.returncode}): " + _first_error_lines(log_text))
    return run


def _first_error_lines(text: str) -> str:
    lines = [line for line in text.splitlines() if line.startswith("E ")] or text.strip().splitlines()[-4:]
    return "\n".join(lines[:MESSAGE_LINES])


# ---------------------------------------------------------------------------------------------- baseline


def environment_fingerprint() -> str:
    """A hash of the interpreter and installed packages (vivace aside): a change means B may change."""
    names = sorted(
        f"{dist.metadata['Name']}=={dist.version}".lower()
        for dist in metadata.distributions()
        if (dist.metadata["Name"] or "").lower() != "vivace"
    )
    return hashlib.sha256("\n".join([platform.python_version(), *names]).encode()).hexdigest()[:16]


def run_baseline(options: Options) -> dict[str, Any]:
    """Run the suite on the real FastAPI 0.165.0 (installed in this venv) and cache the passing ids."""
    try:
        installed = metadata.version("fastapi")
    except metadata.PackageNotFoundError:
        installed = "none"
    if installed != VERSION:
        raise SystemExit(f"baseline needs fastapi=={VERSION} installed in this venv (found {installed})")
    suite = options.suite
    print(f"baseline: running FastAPI {VERSION}'s {suite.title} on FastAPI itself ...", flush=True)
    run = run_suite("fastapi", Options(options.workers, options.max_seconds, suite=suite))
    if run.problems:
        raise SystemExit("baseline run is not trustworthy:\n  " + "\n  ".join(run.problems))
    counts = collections.Counter(result.outcome for result in run.tests.values())
    passing = sorted(nodeid for nodeid, result in run.tests.items() if result.outcome == "passed")
    baseline = {
        "fastapi_version": VERSION,
        "python": platform.python_version(),
        "fingerprint": environment_fingerprint(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(run.seconds, 1),
        "counts": dict(sorted(counts.items())),
        "fastapi_imported_from": sorted(run.fastapi_files),
        "collection_errors": {nodeid: vars(failure) for nodeid, failure in run.collect_errors.items()},
        "passing": passing,
    }
    baseline_file(suite).write_text(json.dumps(baseline, indent=1) + "\n", encoding="utf-8")
    print(f"baseline: B = {len(passing)} passing on FastAPI ({dict(counts)}) in {run.seconds:.1f} s", flush=True)
    return baseline


def load_baseline(options: Options, force: bool = False) -> dict[str, Any]:
    """The cached baseline, rerun when forced, missing, or made with a different set of packages."""
    path = baseline_file(options.suite)
    if not force and path.is_file():
        baseline: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if baseline.get("fingerprint") == environment_fingerprint():
            return baseline
        print("baseline: installed packages changed since the cached baseline; rerunning", flush=True)
    return run_baseline(options)


# ---------------------------------------------------------------------------------------------- comparison


def suite_of(result: dict[str, Any]) -> Suite:
    """The suite a saved result is about (results saved before suites existed are the tutorial's)."""
    return SUITES[result.get("suite", TUTORIAL.name)]


def _covers(prefix: str, nodeid: str) -> bool:
    return nodeid == prefix or nodeid.startswith((prefix + "::", prefix + "/"))


def result_in_run(run: Run, nodeid: str) -> Outcome:
    """How a baseline test fared on vivace, including the ways it can fail without ever running."""
    if nodeid in run.tests:
        return run.tests[nodeid]
    for prefix, failure in [*run.collect_errors.items(), *run.broken_conftests.items()]:
        if _covers(prefix, nodeid):
            return failure
    return Outcome("not-run", "no result: the run was cut short, or the test was not collected")


def _test_entry(result: Outcome, in_baseline: bool) -> dict[str, Any]:
    entry: dict[str, Any] = {"outcome": result.outcome, "in_baseline": in_baseline}
    entry.update((key, value) for key, value in vars(result).items() if key != "outcome" and value)
    return entry


def compare(baseline: dict[str, Any], run: Run, options: Options) -> dict[str, Any]:
    """Everything `report`, `check` and `show` print, as one JSON-able dict (saved as last-run.json)."""
    section_of = options.suite.section_of
    in_scope = [i for i in baseline["passing"] if not options.sections or section_of(i) in options.sections]
    tests: dict[str, dict[str, Any]] = {}
    sections: dict[str, dict[str, int]] = {}
    for nodeid in in_scope:
        result = result_in_run(run, nodeid)
        tests[nodeid] = _test_entry(result, in_baseline=True)
        tally = sections.setdefault(section_of(nodeid), {"passed": 0, "total": 0})
        tally["total"] += 1
        tally["passed"] += result.outcome == "passed"
    for nodeid, result in run.tests.items():
        tests.setdefault(nodeid, _test_entry(result, in_baseline=False))
    return {
        "suite": options.suite.name,
        "fastapi_version": VERSION,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "seconds": round(run.seconds, 1),
        "baseline_seconds": baseline.get("seconds"),
        "sections_run": options.sections or None,
        "left_out": runnable_sections(options.suite, WORK_TREE)[1],
        "passed": sum(t["passed"] for t in sections.values()),
        "baseline": len(in_scope),
        "problems": run.problems,
        "log": str(run.log),
        "sections": dict(sorted(sections.items())),
        "collection_errors": {nodeid: vars(failure) for nodeid, failure in run.collect_errors.items()},
        "tests": dict(sorted(tests.items())),
    }


def run_vivace(options: Options) -> dict[str, Any]:
    """Baseline (cached), then vivace's run; saves and returns the comparison."""
    with exclusive_lock():
        baseline = load_baseline(options)
        print(f"running FastAPI {VERSION}'s {options.suite.title} on vivace ...", flush=True)
        run = run_suite("vivace", options)
        result = compare(baseline, run, options)
    last_run_file(options.suite).write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    return result


# ---------------------------------------------------------------------------------------------- printing


def print_summary(result: dict[str, Any]) -> None:
    passed, total = result["passed"], result["baseline"]
    scope = f" (sections: {', '.join(result['sections_run'])})" if result["sections_run"] else ""
    print(f"\nvivace on FastAPI {result['fastapi_version']}'s {suite_of(result).title}{scope}")
    print(f"{passed} passed of {total}")
    print(f"vivace run {result['seconds']} s; baseline run {result['baseline_seconds']} s (cached per machine)")
    for section, packages in result.get("left_out", {}).items():
        print(f"not run: {section} (needs {', '.join(packages)}, not installed here)")
    for problem in result["problems"]:
        print(f"WARNING: {problem}")


def print_sections(result: dict[str, Any]) -> None:
    def worst_first(item: tuple[str, dict[str, int]]) -> tuple[float, int, str]:
        name, tally = item
        return (tally["passed"] / tally["total"], tally["passed"] - tally["total"], name)

    sections = sorted(result["sections"].items(), key=worst_first)
    if suite_of(result).name != TUTORIAL.name:
        # NOTE: the core suite has ~240 one-module sections; only those with failures are worth a row.
        complete = [item for item in sections if item[1]["passed"] == item[1]["total"]]
        sections = [item for item in sections if item[1]["passed"] < item[1]["total"]]
        print(f"\n{len(complete)} sections pass in full")
    print(f"\n{'section':<48} {'passed':>7} / B")
    for name, tally in sections:
        share = 100 * tally["passed"] / tally["total"]
        print(f"{name:<48} {tally['passed']:>7} / {tally['total']:<5} {share:5.1f} %")


def failing(result: dict[str, Any], section: str = "all") -> list[tuple[str, dict[str, Any]]]:
    """Baseline tests that did not pass on vivace, optionally only in one section."""
    section_of = suite_of(result).section_of
    return [
        (nodeid, test)
        for nodeid, test in result["tests"].items()
        if test["in_baseline"] and test["outcome"] != "passed" and section in ("all", section_of(nodeid))
    ]


_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


def first_line(test: dict[str, Any]) -> str:
    """A failure's first line with object addresses blanked, so equal causes count together."""
    line = (test.get("message", "").splitlines() or [test["outcome"]])[0]
    return _ADDRESS.sub("0x...", line)[:150]


def print_causes(result: dict[str, Any], limit: int = 10) -> None:
    """The most frequent first lines among failures: the quickest way to see what to fix first."""
    causes = collections.Counter(first_line(test) for _, test in failing(result))
    if causes:
        print(f"\nmost common failure causes (of {sum(causes.values())} failing):")
        for cause, count in causes.most_common(limit):
            print(f"{count:>6}  {cause}")


def print_failures(result: dict[str, Any], section: str) -> None:
    failures = failing(result, section)
    print(f"\nfailing in {section}: {len(failures)}")
    for nodeid, test in failures:
        print(f"\n{nodeid}  [{test['outcome']}]")
        for line in test.get("message", "").splitlines()[:MESSAGE_LINES]:
            print(f"    {line}")
        if test.get("where"):
            print(f"    at {test['where']}")


def print_result(result: dict[str, Any], failures: list[str]) -> None:
    print_sections(result)
    print_causes(result)
    for section in failures:
        print_failures(result, section)
    print_summary(result)
    print(f"\nfull results: {last_run_file(suite_of(result))}   pytest output: {result['log']}")


# ---------------------------------------------------------------------------------------------- commands


def tested_wrong_fastapi(result: dict[str, Any]) -> bool:
    return any(LEAK in problem for problem in result["problems"])


def read_floor() -> int:
    return int(FLOOR_FILE.read_text(encoding="utf-8").split()[0])


def unknown_sections(suite: Suite, names: list[str]) -> list[str]:
    known = suite.sections(ensure_sdist())
    return [name for name in names if name not in known]


def cmd_report(args: argparse.Namespace, options: Options) -> int:
    unknown = unknown_sections(options.suite, options.sections)
    if unknown:
        where = SDIST_ROOT / options.suite.root
        print(f"no such section in the {options.suite.name} suite: {', '.join(unknown)} (see {where})")
        return 2
    result = run_vivace(options)
    print_result(result, args.failures)
    return 2 if tested_wrong_fastapi(result) else 0


def cmd_show(args: argparse.Namespace, options: Options) -> int:
    path = last_run_file(options.suite)
    if not path.is_file():
        print(f"no previous run of the {options.suite.name} suite: use `report` first", file=sys.stderr)
        return 2
    print_result(json.loads(path.read_text(encoding="utf-8")), args.failures)
    return 0


def cmd_check(args: argparse.Namespace, options: Options) -> int:
    result = run_vivace(options)
    print_result(result, [])
    passed, floor = result["passed"], read_floor()
    if tested_wrong_fastapi(result):
        print("conformance check ERROR: the run did not test vivace alone (see the warnings above)")
        return 2
    if passed < floor:
        print(f"conformance check FAILED: {passed} passed, below the floor of {floor} ({FLOOR_FILE.name})")
        return 1
    if passed > floor and args.raise_floor:
        FLOOR_FILE.write_text(f"{passed}\n", encoding="utf-8")
        print(f"conformance check ok: floor raised from {floor} to {passed}")
    elif passed > floor:
        print(f"conformance check ok: {passed} > floor {floor}; raise the floor with `check --raise`")
    else:
        print(f"conformance check ok: {passed} passed, floor {floor}")
    return 0


def cmd_baseline(args: argparse.Namespace, options: Options) -> int:
    with exclusive_lock():
        load_baseline(options, force=True)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (0: no xdist)")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="hard limit for one suite run")
    commands = parser.add_subparsers(dest="command", required=True)
    suite_help = "which tests: tutorial (default) or core (the rest of tests/)"
    report = commands.add_parser("report", help="run on vivace; print P of B and a per-section table")
    report.add_argument("--suite", choices=sorted(SUITES), default=TUTORIAL.name, help=suite_help)
    report.add_argument("--section", action="append", default=[], help="run only this section (repeatable)")
    report.add_argument("--failures", action="append", default=[], metavar="SECTION", help="list failures")
    show = commands.add_parser("show", help="print the last run again, without running anything")
    show.add_argument("--suite", choices=sorted(SUITES), default=TUTORIAL.name, help=suite_help)
    show.add_argument("--failures", action="append", default=[], metavar="SECTION", help="list failures")
    check = commands.add_parser("check", help="report, then fail if P is below the floor")
    check.add_argument("--raise", dest="raise_floor", action="store_true", help="write P as the new floor")
    baseline = commands.add_parser("baseline", help="rerun the suite on the real FastAPI and cache B")
    baseline.add_argument("--suite", choices=sorted(SUITES), default=TUTORIAL.name, help=suite_help)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # NOTE: `check` has no --suite: the floor is the tutorial suite's.
    suite = SUITES[getattr(args, "suite", TUTORIAL.name)]
    options = Options(args.workers, args.max_seconds, getattr(args, "section", []), suite)
    handlers = {"report": cmd_report, "show": cmd_show, "check": cmd_check, "baseline": cmd_baseline}
    return handlers[args.command](args, options)


if __name__ == "__main__":
    sys.exit(main())
