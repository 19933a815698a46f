"""Beyond one process (issue 13): rate limiting, response caching and channel fan-out, vivace only.

    python bench/beyond.py [--duration 5] [--rounds 2]      (also the "beyond" suite of bench/run.py)

bench/beyond_app.py is served by uvicorn as bench/run.py serves its apps (uvloop, httptools, no access log),
pinned to the server CPU, with its own redis-server on a free port (unpinned, no persistence) for the Redis
routes; without redis-server on the PATH the Redis rows are left out. FastAPI has none of these features, so
each figure is compared with vivace's own route doing the same work without the feature:

- a route behind a memory or Redis `RateLimit` that never refuses, against the same route unlimited (the
  goal: a memory limiter costs at most 10 % of the route's throughput);
- a cached route, memory or Redis, as a hit and as a 304 (`If-None-Match`), against the same route uncached
  (100 Pydantic models through `response_model`; the goal: a 304 at 1.5x the uncached route or more);
- a burst of messages published to a channel with 1,000 SSE subscribers, counted as deliveries per second:
  the memory backend in one process, and Redis with the subscribers split over two worker processes (both
  pinned to the server CPU, so both fan-outs get the same CPU) and the burst published through one of them.

HTTP load comes from wrk (bench/load.py), fan-out load from bench/fanout_client.py, both pinned to the client
CPU. Rounds run the cases in turn, every other round in reverse; the best round counts.
"""

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from load import LoadError, LoadSettings, run_wrk
from scenarios import Scenario
from servers import HOST, LOG_DIR, ServerError, free_port, taskset_prefix

BENCH_DIR = Path(__file__).resolve().parent
FANOUT_CLIENT = BENCH_DIR / "fanout_client.py"
SUBSCRIBERS = 1000
BURST = 100  # messages per fan-out round: 100,000 deliveries to 1,000 subscribers
START_TIMEOUT = 30.0
NUMERIC_COLUMNS = frozenset({1, 4})  # right-aligned in the table: the rate and the ratio


@dataclass(frozen=True, slots=True)
class Case:
    """One measured route; `baseline` names the case it is compared with, `target` the ratio it must reach."""

    name: str
    path: str
    description: str
    baseline: str | None = None
    target: float | None = None
    revalidate: bool = False  # send If-None-Match with the route's current ETag: every answer is a 304
    redis: bool = False
    kind: str = "http"  # or "fanout"


CASES = (
    Case("plain", "/plain", "a small dict, no dependency (baseline)"),
    Case("ratelimit-memory", "/limited/memory", "the same behind a memory RateLimit", "plain", 0.90),
    Case("ratelimit-redis", "/limited/redis", "the same behind a Redis RateLimit", "plain", redis=True),
    Case("uncached", "/models", "100 Pydantic models through response_model (baseline)"),
    Case("cache-memory-hit", "/cached/memory", "the same, memory cache hit", "uncached"),
    Case("cache-memory-304", "/cached/memory", "memory cache, If-None-Match: 304", "uncached", 1.5, True),
    Case("cache-redis-hit", "/cached/redis", "the same, Redis cache hit", "uncached", redis=True),
    Case("cache-redis-304", "/cached/redis", "Redis cache, If-None-Match: 304", "uncached", 1.5, True, True),
    Case("fanout-memory", "memory", f"{SUBSCRIBERS:,} SSE subscribers, one process", kind="fanout"),
    Case(
        "fanout-redis",
        "redis",
        f"{SUBSCRIBERS:,} SSE subscribers over 2 workers, Redis",
        "fanout-memory",
        redis=True,
        kind="fanout",
    ),
)


@dataclass(slots=True)
class Outcome:
    rates: list[float] = field(default_factory=list)
    error: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> float | None:
        return None if self.error is not None or not self.rates else max(self.rates)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- processes ----------------------------------------------------------------------------------------------


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _listening(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=0.5).close()
        return True
    except OSError:
        return False


@contextlib.contextmanager
def redis_server(directory: Path) -> Iterator[str | None]:
    """A throwaway redis-server, or None when there is none to start."""
    binary = shutil.which("redis-server")
    if binary is None:
        log("beyond: redis-server is not installed (apt-get install redis-server): Redis rows left out")
        yield None
        return
    port = free_port()
    command = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no", "--dir", str(directory)]
    with (directory / "redis.log").open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerError("redis-server did not start", (directory / "redis.log").read_text())
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        _stop(process)


@contextlib.contextmanager
def worker(name: str, cpu: int | None, redis_url: str | None) -> Iterator[str]:
    """bench/beyond_app.py under uvicorn, configured as bench/serve.py configures the other apps; yields its URL."""
    port = free_port()
    command = [
        *taskset_prefix(cpu), sys.executable, "-m", "uvicorn", "beyond_app:app", "--app-dir", str(BENCH_DIR),
        "--host", HOST, "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log",
        "--log-level", "warning", "--timeout-graceful-shutdown", "2",
    ]  # fmt: skip
    env = {**os.environ, **({"BENCH_REDIS_URL": redis_url} if redis_url else {})}
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    log_path = LOG_DIR / f"beyond-{name}.log"
    with log_path.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise ServerError(f"beyond worker {name} did not start (log: {log_path})", log_path.read_text())
            time.sleep(0.05)
        yield f"http://{HOST}:{port}"
    finally:
        _stop(process)


# --- one case -----------------------------------------------------------------------------------------------


def _get(url: str, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    host, _, port = url.removeprefix("http://").partition(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def http_scenario(case: Case, url: str) -> Scenario:
    """The wrk scenario of a case, after one checked request (and, for a 304 case, with the current ETag)."""
    status, headers, body = _get(url, case.path)
    if status != 200 or not body.startswith((b"{", b"[")):
        raise LoadError(f"GET {case.path}: HTTP {status} {body[:100]!r}")
    sent: tuple[tuple[str, str], ...] = ()
    if case.revalidate:
        if "etag" not in headers:
            raise LoadError(f"GET {case.path} has no ETag")
        sent = (("if-none-match", headers["etag"]),)
        status, _, body = _get(url, case.path, dict(sent))
        if (status, body) != (304, b""):
            raise LoadError(f"GET {case.path} with If-None-Match: HTTP {status} {body[:100]!r}")
    return Scenario(case.name, "GET", case.path, case.description, headers=sent, expected_status=304 if sent else 200)


def fanout(case: Case, feeds: list[str], publisher: str, cpu: int | None) -> tuple[float, list[str]]:
    """One burst to `SUBSCRIBERS` streams over `feeds`; deliveries per second, and what went wrong if anything."""
    command = [
        *taskset_prefix(cpu), sys.executable, str(FANOUT_CLIENT), "--subscribers", str(SUBSCRIBERS),
        "--messages", str(BURST), "--publish", f"{publisher}/publish/{case.path}?count={BURST}",
        *(arg for feed in feeds for arg in ("--feed", f"{feed}/feed/{case.path}")),
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    line = next((x for x in done.stdout.splitlines() if x.startswith("FANOUT_SUMMARY ")), None)
    if done.returncode != 0 or line is None:
        raise LoadError(f"fanout_client failed: {(done.stderr or done.stdout).strip()[-300:]}")
    summary = json.loads(line.removeprefix("FANOUT_SUMMARY "))
    problems = [f"{summary[k]} streams {k}" for k in ("refused", "short", "broken") if summary[k]]
    if summary["publish_status"] != 200:
        problems.append(f"publish answered {summary['publish_status']}")
    return summary["delivered"] / summary["seconds"], problems


# --- the run ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    duration: int = 5
    warmup: int = 3
    rounds: int = 2
    load: LoadSettings = field(default_factory=lambda: LoadSettings(connections=64, threads=1, cpu=1))
    server_cpu: int | None = 0
    cases: tuple[str, ...] = ()  # names of the cases to run; all when empty


def _measure(case: Case, urls: list[str], settings: Settings, first: bool, outcome: Outcome) -> None:
    if case.kind == "fanout":
        feeds = urls if case.redis else urls[:1]
        if first:  # NOTE: one unmeasured burst first, as the HTTP cases warm up
            fanout(case, feeds, urls[0], settings.load.cpu)
        rate, problems = fanout(case, feeds, urls[0], settings.load.cpu)
        outcome.notes.extend(problems)
        outcome.rates.append(rate)
        unit = "deliveries/s"
    else:
        scenario = http_scenario(case, urls[0])
        if first and settings.warmup:
            run_wrk(urls[0], scenario, settings.warmup, settings.load)
        measured = run_wrk(urls[0], scenario, settings.duration, settings.load)
        outcome.rates.append(measured.requests_per_s)
        rate, unit = measured.requests_per_s, "req/s"
    log(f"  {case.name:<18} {rate:>10,.0f} {unit}")


def measure(settings: Settings) -> dict[str, Outcome]:
    """Every case, `settings.rounds` times; a case that fails reports its error instead of a rate."""
    outcomes = {case.name: Outcome() for case in CASES}
    with tempfile.TemporaryDirectory(prefix="vivace-bench-redis-") as directory, contextlib.ExitStack() as stack:
        redis_url = stack.enter_context(redis_server(Path(directory)))
        urls = [stack.enter_context(worker("a", settings.server_cpu, redis_url))]
        if redis_url is not None:
            urls.append(stack.enter_context(worker("b", settings.server_cpu, redis_url)))
        chosen = [case for case in CASES if not settings.cases or case.name in settings.cases]
        cases = [case for case in chosen if redis_url is not None or not case.redis]
        for case in CASES:
            if case not in chosen:
                outcomes[case.name].error = "not run (--cases)"
            elif case not in cases:
                outcomes[case.name].error = "no redis-server"
        for number in range(1, settings.rounds + 1):
            log(f"beyond: round {number} of {settings.rounds}")
            for case in cases if number % 2 else cases[::-1]:
                outcome = outcomes[case.name]
                if outcome.error is not None:
                    continue
                try:
                    _measure(case, urls, settings, number == 1, outcome)
                except (LoadError, OSError, subprocess.TimeoutExpired) as exc:
                    outcome.error = str(exc)
                    log(f"  {case.name:<18} ERROR {exc}")
    return outcomes


def ratio(outcomes: dict[str, Outcome], case: Case) -> float | None:
    if case.baseline is None:
        return None
    top, bottom = outcomes[case.name].best, outcomes[case.baseline].best
    return None if top is None or bottom is None else top / bottom


def table_rows(outcomes: dict[str, Outcome]) -> list[list[str]]:
    rows = [["beyond one process (vivace only)", "rate", "unit", "vs", "ratio", "target", "met"]]
    for case in CASES:
        outcome = outcomes[case.name]
        best, value = outcome.best, ratio(outcomes, case)
        met = "" if case.target is None or value is None else ("yes" if value >= case.target else "**no**")
        rows.append([
            f"{case.name}: {case.description}",
            "n/a" if best is None else f"{best:,.0f}",
            "deliveries/s" if case.kind == "fanout" else "req/s",
            case.baseline or "",
            "" if value is None else f"{value:.2f}x",
            "" if case.target is None else f">= {case.target:.2f}x",
            met,
        ])  # fmt: skip
    return rows


def notes(outcomes: dict[str, Outcome]) -> list[str]:
    found = [f"{name}: {o.error}" for name, o in outcomes.items() if o.error is not None]
    found += [f"{name}: {note}" for name, o in outcomes.items() for note in dict.fromkeys(o.notes)]
    return found


def as_dict(outcomes: dict[str, Outcome]) -> dict[str, Any]:
    return {
        case.name: {
            "description": case.description,
            "unit": "deliveries/s" if case.kind == "fanout" else "req/s",
            "best": outcomes[case.name].best,
            "rounds": outcomes[case.name].rates,
            "baseline": case.baseline,
            "ratio": ratio(outcomes, case),
            "target": case.target,
            "error": outcomes[case.name].error,
            "notes": list(dict.fromkeys(outcomes[case.name].notes)),
        }
        for case in CASES
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds measured per HTTP case (5)")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up before the first round (3)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds; the best counts (2)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--cases", default="", help="comma-separated case names (all); a ratio needs its baseline")
    args = parser.parse_args(argv)
    names = tuple(name for name in args.cases.split(",") if name)
    unknown = set(names) - {case.name for case in CASES}
    if unknown:
        parser.error(f"unknown cases: {', '.join(sorted(unknown))}")
    from report import markdown_table

    outcomes = measure(Settings(duration=args.duration, warmup=args.warmup, rounds=args.rounds, cases=names))
    print(markdown_table(table_rows(outcomes), NUMERIC_COLUMNS))
    for line in notes(outcomes):
        print(f"- {line}")
    if args.json is not None:
        args.json.write_text(json.dumps(as_dict(outcomes), indent=2) + "\n")
    return 0 if any(o.best for o in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
