"""Where one request's CPU goes, by package: the framework's own code against the database driver, the ORM,
JWT, Pydantic and the event loop.

    python bench/profile_request.py --framework vivace --scenario app-me [--requests 2000] [--top 25]

The scenario's request is replayed into the ASGI app in-process (as bench/inprocess.py does, lifespan
included), after a warm-up, twice: once plain, timing the wall clock, the CPU of the event loop's thread and
the CPU of every other thread (aiosqlite runs SQLite in a thread of its own; sync dependencies run in the
thread pool); then under cProfile counting the loop thread's CPU (`time.thread_time`), so waiting for another
thread costs nothing there. Each function's own time is credited to the package its file belongs to, and the
shares split the plain run's loop-thread CPU; standard-library and built-in functions count for the package
that calls them. Last, the framework's most expensive functions with file:line
(a coroutine is "called" again each time it resumes). cProfile slows pure-Python code more than C, so the
shares are indicative; bench/instructions.py counts the totals, server included.
"""

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from inprocess import http_runner, startup
from realistic import REALISTIC
from scenarios import SCENARIOS
from serve import load_app

# (bucket, fragments): the first bucket with a fragment in a function's file name (or, for built-in functions,
# in its name) gets the function's own time. greenlet is SQLAlchemy's bridge between async and its sync core.
BUCKETS = (
    ("framework: vivace", ("/src/vivace/", "<vivace")),
    ("framework: fastapi", ("/fastapi/",)),
    ("starlette", ("/starlette/",)),
    ("sqlalchemy (ORM + core, greenlet)", ("/sqlalchemy/", "greenlet")),
    ("aiosqlite + sqlite3 (driver, loop side)", ("/aiosqlite/", "/sqlite3/", "_sqlite3", "SimpleQueue")),
    ("pyjwt", ("/jwt/",)),
    ("pydantic", ("/pydantic/", "pydantic_core")),
    ("application (bench/)", ("/bench/",)),
    ("event loop", ("/asyncio/", "/selectors.py", "select.epoll", "uvloop", "_contextvars")),
)
OTHER = "other (stdlib, builtins)"


def bucket_of(filename: str, name: str = "") -> str:
    target = name if filename == "~" else filename
    for bucket, fragments in BUCKETS:
        if any(fragment in target for fragment in fragments):
            return bucket
    return OTHER


def credited_bucket(stats: dict[Any, Any], key: tuple[str, int, str], depth: int = 4) -> str:
    """The function's bucket; a standard-library or built-in function is credited to its main caller's (so
    `json.loads` called by pyjwt counts as pyjwt), walking up to `depth` callers."""
    bucket = bucket_of(key[0], key[2])
    while bucket == OTHER and depth:
        callers = stats[key][4]
        if not callers:
            break
        key = max(callers, key=lambda caller: callers[caller][3])  # the caller spending most time in it
        bucket, depth = bucket_of(key[0], key[2]), depth - 1
    return bucket


@dataclass(frozen=True, slots=True)
class Clocks:
    """Per request, in µs: wall clock, the event loop thread's CPU and every other thread's CPU."""

    wall: float
    loop_cpu: float
    other_cpu: float


async def _measure(app: Any, scenario: Any, requests: int, warmup: int) -> tuple[Clocks, cProfile.Profile]:
    state, shutdown = await startup(app)
    run_once = http_runner(app, scenario, state)
    try:
        for _ in range(warmup):
            await run_once()
        wall, process, thread = time.perf_counter(), time.process_time(), time.thread_time()
        for _ in range(requests):
            await run_once()
        loop_cpu = time.thread_time() - thread
        other_cpu = time.process_time() - process - loop_cpu
        clocks = Clocks(
            (time.perf_counter() - wall) / requests * 1e6, loop_cpu / requests * 1e6, other_cpu / requests * 1e6
        )
        profiler = cProfile.Profile(time.thread_time)
        profiler.enable()
        for _ in range(requests):
            await run_once()
        profiler.disable()
        return clocks, profiler
    finally:
        await shutdown()


def report(clocks: Clocks, profiler: cProfile.Profile, framework: str, requests: int, top: int) -> str:
    stats: Any = pstats.Stats(profiler).stats  # {(file, line, name): (cc, nc, tottime, cumtime, callers)}
    by_bucket: dict[str, float] = defaultdict(float)
    own: list[tuple[float, str]] = []
    for (filename, line, name), (_, calls, tottime, _, _) in stats.items():
        bucket = credited_bucket(stats, (filename, line, name))
        by_bucket[bucket] += tottime
        if bucket.startswith("framework"):
            where = filename.split("/src/")[-1] if "/src/" in filename else filename.split("site-packages/")[-1]
            own.append((tottime, f"{where}:{line} {name} ({calls / requests:.1f} calls per request)"))
    total = sum(by_bucket.values())
    lines = [
        f"{framework}, per request: {clocks.wall:,.1f} µs wall, {clocks.loop_cpu:,.1f} µs CPU in the event loop's"
        f" thread, {clocks.other_cpu:,.1f} µs CPU in other threads (the SQLite thread, the thread pool)",
        "",
        "| event loop thread's CPU | share | µs per request |",
        "|---|---:|---:|",
    ]
    for bucket, seconds in sorted(by_bucket.items(), key=lambda item: -item[1]):
        lines.append(f"| {bucket} | {seconds / total:.1%} | {seconds / total * clocks.loop_cpu:,.1f} |")
    lines += ["", f"The framework's {top} most expensive functions (own time under cProfile):"]
    for seconds, label in sorted(own, reverse=True)[:top]:
        lines.append(f"  {seconds / total:6.1%}  {label}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--framework", choices=("vivace", "fastapi"), default="vivace")
    parser.add_argument("--scenario", default="app-me")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    known = {s.name: s for s in (*SCENARIOS, *REALISTIC) if s.kind == "http"}
    if args.scenario not in known:
        raise SystemExit(f"unknown HTTP scenario {args.scenario!r}; known: {sorted(known)}")
    scenario = known[args.scenario]
    app = load_app(args.framework, scenario.app)
    clocks, profiler = asyncio.run(_measure(app, scenario, args.requests, args.warmup))
    print(report(clocks, profiler, args.framework, args.requests, args.top))
    return 0


if __name__ == "__main__":
    sys.exit(main())
