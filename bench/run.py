"""Benchmark vivace against FastAPI and a raw ASGI app in one run: `make bench` or `python bench/run.py -h`.

Each framework serves bench/app.py under uvicorn (uvloop, httptools, 1 worker, no access log) pinned to one
CPU; the load generator (wrk, or bench/stream_client.py for WebSocket and SSE) runs on another. Per scenario:
one checked request, a warm-up, then a timed measurement. Rounds alternate the frameworks so slow drift on
the machine affects all of them alike; the best round counts.

Five suites (`--suites`): "http" (bench/app.py's scenarios), "app" (the realistic application,
bench/realistic_app.py, vivace against FastAPI per route), "startup" (bench/startup.py: import, a 200-route
app and its first requests, in fresh processes) and "beyond" (bench/beyond.py: rate limiting, response caching
and channel fan-out, memory and Redis, vivace only, against vivace's own routes without them) and "tasks"
(bench/tasks_bench.py: durable tasks enqueued from an endpoint, and one worker's tasks per second) and "granian"
(bench/granian_suite.py: bench/app.py on granian, vivace over RSGI and ASGI, against FastAPI and the raw app on
granian and on uvicorn; `--scenarios` narrows it too). `--peers` (or
PEERS=1) adds BlackSheep, Litestar and a hand-written Starlette app to the "http" suite, from their own
virtualenv (bench/peers.py).
Every option can also be set through the environment variable named in its help.
"""

import argparse
import contextlib
import os
import platform
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from types import FrameType
from typing import Any

import beyond
import granian_suite
import peers
import startup
from load import DRIVERS, LoadError, LoadSettings
from realistic import REALISTIC
from report import (
    PEER_NUMERIC,
    REALISTIC_NUMERIC,
    error_lines,
    markdown_table,
    peer_rows,
    realistic_rows,
    table_rows,
    write_chart,
    write_json,
)
from results import Results
from scenarios import ALL_FRAMEWORKS, SCENARIOS, Scenario
from servers import LOG_DIR, Server, ServerError, taskset_prefix

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
FRAMEWORK_ORDER = ("vivace", "fastapi", "raw", *peers.PEERS)
SUITES = ("http", "app", "startup", "beyond", "tasks", "granian")


@dataclass(frozen=True, slots=True)
class Config:
    frameworks: tuple[str, ...]
    scenarios: tuple[Scenario, ...]  # the "http" suite's, then the "app" suite's
    granian_scenarios: tuple[Scenario, ...]  # the "granian" suite's
    suites: tuple[str, ...]
    startup_runs: int
    peers: bool
    duration: int
    warmup: int
    rounds: int
    load: LoadSettings
    server_cpu: int | None
    json_path: Path
    chart_path: Path | None
    quick: bool


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- command line -------------------------------------------------------------------------------------------


def _env(name: str, default: str) -> str:
    return os.environ.get(name) or default


def _flag(name: str) -> bool:
    return os.environ.get(name, "") not in {"", "0"}


def _cpu(value: str) -> int | None:
    return None if value.lower() in {"", "none", "-1"} else int(value)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add = p.add_argument
    add("--frameworks", default=_env("BENCH_FRAMEWORKS", "vivace,fastapi,raw"), help="BENCH_FRAMEWORKS")
    add(
        "--scenarios",
        default=_env("BENCH_SCENARIOS", ""),
        help="comma-separated; all when empty. BENCH_SCENARIOS",
    )
    add("--suites", default=_env("BENCH_SUITES", ",".join(SUITES)), help=f"{','.join(SUITES)}. BENCH_SUITES")
    add(
        "--peers",
        action="store_true",
        default=_flag("PEERS") or _flag("BENCH_PEERS"),
        help="add BlackSheep, Litestar and Starlette to the http suite (own venv). PEERS=1",
    )
    add("--startup-runs", type=int, default=None, help="startup runs per framework (7). BENCH_STARTUP_RUNS")
    add("--duration", type=int, default=None, help="seconds measured per scenario (5). BENCH_DURATION")
    add(
        "--warmup",
        type=int,
        default=None,
        help="seconds of warm-up before each measurement (3). BENCH_WARMUP",
    )
    add("--rounds", type=int, default=None, help="rounds; the best counts (2). BENCH_ROUNDS")
    add("--connections", type=int, default=int(_env("BENCH_CONNECTIONS", "64")), help="BENCH_CONNECTIONS")
    add("--threads", type=int, default=int(_env("BENCH_THREADS", "1")), help="wrk threads. BENCH_THREADS")
    add("--server-cpu", type=_cpu, default=_cpu(_env("BENCH_SERVER_CPU", "0")), help="'none' = unpinned")
    add("--client-cpu", type=_cpu, default=_cpu(_env("BENCH_CLIENT_CPU", "1")), help="'none' = unpinned")
    add("--json", type=Path, default=BENCH_DIR / "results" / "latest.json", help="where to write the JSON")
    add("--chart", type=Path, default=None, help="chart PNG (default docs/img/bench.png; not with --quick)")
    add("--no-chart", action="store_true", help="do not render the chart")
    add(
        "--quick",
        action="store_true",
        default=_flag("BENCH_QUICK"),
        help="smoke run: 1 s warm-up, 1 s measurement, 1 round. BENCH_QUICK=1",
    )
    return p


def _timing(flag: int | None, env: str, quick: int, normal: int, is_quick: bool) -> int:
    """A flag wins over the environment, which wins over the --quick or normal default."""
    if flag is not None:
        return flag
    return int(os.environ.get(env) or (quick if is_quick else normal))


def select_scenarios(names: list[str], suites: tuple[str, ...]) -> tuple[Scenario, ...]:
    """The scenarios of the chosen suites, filtered by name when names are given; unknown names raise."""
    known = {s.name for s in (*SCENARIOS, *REALISTIC)}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise ValueError(f"unknown scenario(s) {unknown}; known: {sorted(known)}")
    pool = (*(SCENARIOS if "http" in suites else ()), *(REALISTIC if "app" in suites else ()))
    return tuple(s for s in pool if not names or s.name in names)


def parse_config(argv: list[str] | None = None) -> Config:
    args = _parser().parse_args(argv)
    asked = set(args.frameworks.split(",")) | (set(peers.PEERS) if args.peers else set())
    frameworks = tuple(fw for fw in FRAMEWORK_ORDER if fw in asked)
    unknown = asked - ALL_FRAMEWORKS
    if unknown or not frameworks:
        raise SystemExit(f"--frameworks: choose from {', '.join(FRAMEWORK_ORDER)} (got {args.frameworks!r})")
    suites = tuple(name for name in SUITES if name in args.suites.split(","))
    if not suites or set(args.suites.split(",")) - set(SUITES):
        raise SystemExit(f"--suites: choose from {', '.join(SUITES)} (got {args.suites!r})")
    names = [name for name in args.scenarios.split(",") if name]
    try:
        scenarios = select_scenarios(names, suites)
    except ValueError as exc:
        raise SystemExit(f"--scenarios: {exc}") from exc
    granian = granian_suite.scenarios(names) if "granian" in suites else ()
    chart = None if args.no_chart else args.chart
    if chart is None and not args.no_chart and not args.quick:
        chart = ROOT / "docs" / "img" / "bench.png"
    return Config(
        frameworks=frameworks,
        scenarios=scenarios,
        granian_scenarios=granian,
        suites=suites,
        startup_runs=_timing(args.startup_runs, "BENCH_STARTUP_RUNS", 3, 7, args.quick),
        peers=any(fw in peers.PEERS for fw in frameworks),
        duration=_timing(args.duration, "BENCH_DURATION", 1, 5, args.quick),
        warmup=_timing(args.warmup, "BENCH_WARMUP", 1, 3, args.quick),
        rounds=max(1, _timing(args.rounds, "BENCH_ROUNDS", 1, 2, args.quick)),
        load=LoadSettings(connections=args.connections, threads=args.threads, cpu=args.client_cpu),
        server_cpu=args.server_cpu,
        json_path=args.json,
        chart_path=chart,
        quick=args.quick,
    )


# --- measuring ----------------------------------------------------------------------------------------------


def measure_round(server: Server, scenario: Scenario, config: Config, results: Results, round_number: int) -> None:
    """One round of one scenario on one server; the first round checks the answer and warms up first.

    A wrong answer or a load failure becomes the scenario's reported error; a dead server raises ServerError.
    """
    framework, name = server.label, scenario.name
    driver = DRIVERS.get(scenario.kind)
    if driver is None:
        results.fail(framework, name, f"no load driver for kind {scenario.kind!r}")
        return
    try:
        if round_number == 1:
            results.outcome(framework, name).answer = driver.check(server.url, scenario)
            if config.warmup:
                driver.measure(server.url, scenario, config.warmup, config.load)
        m = driver.measure(server.url, scenario, config.duration, config.load)
    except LoadError as exc:
        server.check_alive()
        results.fail(framework, name, str(exc))
        log(f"  {framework:<8} ERROR {exc}")
        return
    server.check_alive()
    results.outcome(framework, name).rounds.append(m)
    latency = f"mean {m.latency_ms_mean:.2f} ms, p99 {m.latency_ms_p99:.2f} ms"
    if m.socket_errors:
        latency += f", {m.socket_errors} socket errors"
    log(f"  {framework:<8} round {round_number}  {m.requests_per_s:>10,.0f} {scenario.unit}  {latency}")


def start_servers(
    config: Config, results: Results, stack: contextlib.ExitStack, scenarios: tuple[Scenario, ...], app: str
) -> dict[str, Server]:
    """A server of `app` for every framework that serves one of `scenarios`, all pinned to the server CPU;
    one that fails to start (or whose peers' virtualenv could not be made) fails its scenarios."""
    servers: dict[str, Server] = {}
    for framework in config.frameworks:
        if not any(framework in s.frameworks for s in scenarios):
            continue
        try:
            python = peers.ensure_venv(log) if framework in peers.PEERS else None
            server = Server(framework, cpu=config.server_cpu, app=app, python=python)
            servers[framework] = stack.enter_context(server)
        except (ServerError, peers.PeerSetupError) as exc:
            log(f"{framework}: ERROR {exc}")
            for scenario in scenarios:
                results.fail(framework, scenario.name, getattr(exc, "reason", str(exc).splitlines()[0]))
    return servers


def run_scenario(scenario: Scenario, servers: dict[str, Server], config: Config, results: Results) -> None:
    """All rounds of one scenario, the frameworks taking turns; a server that dies is dropped from the run."""
    log(f"{scenario.name}: {scenario.description}")
    for round_number in range(1, config.rounds + 1):
        # NOTE: every other round runs the frameworks in reverse, so none is always measured first (or last).
        order = list(servers.items()) if round_number % 2 else list(servers.items())[::-1]
        for framework, server in order:  # NOTE: keyed by Server.label: "vivace", or "vivace@granian-rsgi"
            if server.framework not in scenario.frameworks or results.failed(framework, scenario.name):
                continue
            try:
                measure_round(server, scenario, config, results, round_number)
            except ServerError as exc:
                log(f"  {framework:<8} ERROR {exc}")
                results.fail(framework, scenario.name, exc.reason)
                server.stop()
                del servers[framework]


def run(config: Config) -> Results:
    # NOTE: all servers run for the whole run and take turns per scenario and round, so a vivace number and
    # its FastAPI counterpart are measured seconds apart: drift on a shared machine then skews both alike.
    # An idle uvicorn only wakes for its once-a-second timer, so the waiting servers cost the measured one
    # nothing measurable.
    results = Results(config.frameworks, tuple(s.name for s in config.scenarios))
    for app in ("bench", "realistic"):  # NOTE: one app's servers at a time; each suite starts and stops its own
        scenarios = tuple(s for s in config.scenarios if s.app == app)
        if scenarios:
            run_suite(config, results, scenarios, app)
    compare_answers(results, config.scenarios)
    note_server_errors(results, config.frameworks, {s.app for s in config.scenarios})
    return results


def run_suite(config: Config, results: Results, scenarios: tuple[Scenario, ...], app: str) -> None:
    with contextlib.ExitStack() as stack:
        servers = start_servers(config, results, stack, scenarios, app)
        started = set(servers)
        for scenario in scenarios:
            run_scenario(scenario, servers, config, results)
        for framework in started - set(servers):  # it died: what it had not measured yet is an error too
            for scenario in scenarios:
                if framework in scenario.frameworks and not results.outcome(framework, scenario.name).rounds:
                    results.fail(framework, scenario.name, "server died earlier in the run")


def note_server_errors(results: Results, frameworks: tuple[str, ...], apps: set[str]) -> None:
    """A server that logged errors (say, on client disconnects) is noted: its numbers may hide failures."""
    for framework in frameworks:
        for app in sorted(apps):
            name = f"{framework}.log" if app == "bench" else f"{framework}-{app}.log"
            _note_log_errors(results, framework, LOG_DIR / name)


def _note_log_errors(results: Results, framework: str, path: Path) -> None:
    if path.exists():
        with contextlib.suppress(OSError):
            errors = sum(line.startswith("ERROR:") for line in path.read_text(errors="replace").splitlines())
            if errors:
                results.notes.append(f"{framework}: the server logged {errors} errors (see {path})")


def compare_answers(results: Results, scenarios: tuple[Scenario, ...]) -> None:
    """Note any scenario where vivace answered differently from FastAPI: a fast wrong answer is no result."""
    for s in scenarios:
        if not s.same_answer:
            continue
        ours, theirs = results.outcomes.get(("vivace", s.name)), results.outcomes.get(("fastapi", s.name))
        if ours and theirs and ours.answer is not None and theirs.answer is not None and ours.answer != theirs.answer:
            results.notes.append(f"{s.name}: vivace's response differs from FastAPI's")


# --- the run ------------------------------------------------------------------------------------------------


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _command_output(command: list[str]) -> str | None:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False, cwd=ROOT)
    except OSError:
        return None
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode in (0, 1) else None


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), "unknown")


def metadata_for(config: Config) -> dict[str, Any]:
    packages = (
        "vivace",
        "fastapi",
        "starlette",
        "pydantic",
        "pydantic-core",
        "uvicorn",
        "uvloop",
        "httptools",
        "websockets",
        "python-multipart",
        "granian",
    )
    peer_pins = [line for line in peers.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    return {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": _command_output(["git", "rev-parse", "--short", "HEAD"]),
        "machine": {
            "cpu": _cpu_model(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "versions": {name: _version(name) for name in packages} | {"wrk": _command_output(["wrk", "-v"])},
        "peer_versions": peer_pins if config.peers else None,
        "settings": {
            "frameworks": list(config.frameworks),
            "suites": list(config.suites),
            "startup_runs": config.startup_runs,
            "duration_s": config.duration,
            "warmup_s": config.warmup,
            "rounds": config.rounds,
            "connections": config.load.connections,
            "wrk_threads": config.load.threads,
            "server_cpu": config.server_cpu,
            "client_cpu": config.load.cpu,
            "quick": config.quick,
            "server": "uvicorn --loop uvloop --http httptools --ws websockets-sansio --no-access-log, 1 worker",
        },
    }


def preflight(config: Config) -> None:
    if any(s.kind == "http" for s in config.scenarios) and shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get update && apt-get install -y wrk")
    if config.peers and any(s.app == "bench" for s in config.scenarios):
        try:  # NOTE: before any measurement, so installing the peers (once) cannot disturb one
            peers.ensure_venv(log)
        except peers.PeerSetupError as exc:
            log(f"warning: {exc}")
    for role, cpu in (("server", config.server_cpu), ("load generator", config.load.cpu)):
        if cpu is not None and not taskset_prefix(cpu):
            log(f"warning: cannot pin the {role} to CPU {cpu} (no taskset or no such CPU); running unpinned")
    busy = os.getloadavg()[0]
    if busy > 0.5:
        log(f"warning: the machine is busy (1-minute load average {busy:.2f}); numbers will be noisy")
    if config.server_cpu is not None and config.server_cpu == config.load.cpu:
        log("warning: server and load generator share a CPU; numbers will be low and noisy")


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # NOTE: turning SIGTERM into SystemExit runs the `with Server(...)` exits, so no server outlives the run.
    raise SystemExit(128 + signum)


def run_startup(config: Config) -> dict[str, Any] | None:
    """The startup suite (bench/startup.py), after the load suites; None when it is not asked for or fails."""
    if "startup" not in config.suites or not {"vivace", "fastapi"} <= set(config.frameworks):
        return None
    log(f"startup: import + 200-route app + first requests, {config.startup_runs} fresh processes per framework")
    try:
        return startup.measure(config.startup_runs, taskset_prefix(config.server_cpu), log=log)
    except (RuntimeError, subprocess.TimeoutExpired) as exc:
        log(f"startup: ERROR {exc}")
        return None


def run_beyond(config: Config) -> dict[str, beyond.Outcome] | None:
    """The beyond-one-process suite (bench/beyond.py), after the others; None when it is not asked for."""
    if "beyond" not in config.suites or "vivace" not in config.frameworks:
        return None
    log("beyond: rate limiting, response caching and channel fan-out (vivace only, memory and Redis)")
    settings = beyond.Settings(config.duration, config.warmup, config.rounds, config.load, config.server_cpu)
    try:
        return beyond.measure(settings)
    except ServerError as exc:
        log(f"beyond: ERROR {exc}")
        return None


def run_tasks(config: Config) -> bool:
    """The durable-tasks suite (bench/tasks_bench.py, its own servers and Redis), printed as it reports."""
    if "tasks" not in config.suites or "vivace" not in config.frameworks:
        return False
    log("tasks: enqueue from an endpoint (memory, Redis) and one worker end to end (vivace only)")
    command = [
        sys.executable, str(BENCH_DIR / "tasks_bench.py"), "--seconds", str(config.duration),
        "--rounds", str(config.rounds), "--server-cpu", config.server_cpu or "0",
    ]  # fmt: skip
    finished = subprocess.run(command, capture_output=True, text=True, check=False)
    if finished.returncode != 0:
        log(f"tasks: ERROR {finished.stderr.strip().splitlines()[-1:] or finished.returncode}")
        return False
    print(f"\nDurable tasks (vivace only):\n\n```\n{finished.stdout.strip()}\n```")
    return True


def run_granian(config: Config) -> Results | None:
    """The granian suite (bench/granian_suite.py): one server per (framework, server) pair, taking turns."""
    if not config.granian_scenarios or "vivace" not in config.frameworks:
        return None
    chosen = config.granian_scenarios
    log(f"granian: {', '.join(s.name for s in chosen)} on granian (RSGI, ASGI) and uvicorn")
    results = Results(granian_suite.LABEL_ORDER, tuple(s.name for s in chosen))
    with contextlib.ExitStack() as stack:
        servers: dict[str, Server] = {}
        for framework, server_name in granian_suite.ENTRIES:
            server = Server(framework, cpu=config.server_cpu, server=server_name)
            try:
                servers[server.label] = stack.enter_context(server)
            except ServerError as exc:
                log(f"{server.label}: ERROR {exc}")
                for scenario in chosen:
                    results.fail(server.label, scenario.name, exc.reason)
        for scenario in chosen:
            run_scenario(scenario, servers, config, results)
    return results


def print_granian(config: Config, results: Results | None) -> None:
    if results is None:
        return
    rows = granian_suite.table_rows(results, config.granian_scenarios)
    print(f"\n\ngranian suite:\n\n{markdown_table(rows, granian_suite.NUMERIC_COLUMNS)}")
    for line in [*granian_suite.target_lines(results), *error_lines(results)]:
        print(f"- {line}")


def print_tables(
    config: Config,
    results: Results,
    found_startup: dict[str, Any] | None,
    found_beyond: dict[str, beyond.Outcome] | None = None,
) -> None:
    """The Markdown tables of the suites that ran, then the errors and notes."""
    http = tuple(s for s in config.scenarios if s.app == "bench")
    app = tuple(s for s in config.scenarios if s.app == "realistic")
    blocks = []
    if http:
        blocks.append(markdown_table(table_rows(results, http)))
    if http and config.peers:
        blocks.append(markdown_table(peer_rows(results, http), PEER_NUMERIC))
    if app:
        blocks.append(markdown_table(realistic_rows(results, app), REALISTIC_NUMERIC))
    if found_startup is not None:
        blocks.append(markdown_table(startup.table_rows(found_startup), startup.NUMERIC_COLUMNS))
    if found_beyond is not None:
        blocks.append(markdown_table(beyond.table_rows(found_beyond), beyond.NUMERIC_COLUMNS))
    print("\n\n".join(blocks))
    for line in [*error_lines(results), *results.notes, *(beyond.notes(found_beyond) if found_beyond else [])]:
        print(f"- {line}")


def main(argv: list[str] | None = None) -> int:
    config = parse_config(argv)
    preflight(config)
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    per_round = sum(len([fw for fw in config.frameworks if fw in s.frameworks]) for s in config.scenarios)
    estimate = per_round * (config.warmup + config.rounds * config.duration)  # warm-up in round 1 only
    log(f"scenarios: {', '.join(s.name for s in config.scenarios)}; about {estimate} s of load")
    started = time.monotonic()
    meta = metadata_for(config)  # before the run, so the load average is the machine's, not ours
    results = run(config)
    found_startup = run_startup(config)
    found_beyond = run_beyond(config)
    found_granian = run_granian(config)
    print_tables(config, results, found_startup, found_beyond)
    print_granian(config, found_granian)
    measured_tasks = run_tasks(config)
    beyond_json = None if found_beyond is None else beyond.as_dict(found_beyond)
    granian_json = None if found_granian is None else granian_suite.as_dict(found_granian, config.granian_scenarios)
    extra = {"startup": found_startup, "beyond": beyond_json, "granian": granian_json}
    write_json(config.json_path, results, meta, config.scenarios, extra)
    log(f"JSON written to {config.json_path}; {time.monotonic() - started:.0f} s in all")
    http = tuple(s for s in config.scenarios if s.app == "bench")
    if config.chart_path is not None and http:
        log(write_chart(config.chart_path, results, http))
    # A framework failing a scenario is a reported result, not a failed run; measuring nothing at all is.
    measured_beyond = found_beyond is not None and any(o.best for o in found_beyond.values())
    measured_http = any(o.best for o in results.outcomes.values())
    measured_granian = found_granian is not None and any(o.best for o in found_granian.outcomes.values())
    return 0 if found_startup or measured_beyond or measured_tasks or measured_http or measured_granian else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # the `with Server(...)` exits have already stopped the servers
        log("interrupted")
        sys.exit(130)
