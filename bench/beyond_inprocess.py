"""The beyond-one-process routes timed in-process: what the rate limiter and the cache cost per request.

    python bench/beyond_inprocess.py [--requests 20000] [--runs 7] [--cases plain,limited-memory,...]
    python bench/beyond_inprocess.py --instructions [--requests 2000]

bench/beyond_app.py's routes are called straight as ASGI (synthetic scope, `receive` and `send`, as
bench/inprocess.py does, lifespan included), with a redis-server of its own for the Redis routes (as
bench/beyond.py starts one). Each case is timed in thread CPU time, the best of `--runs` runs of `--requests`
requests, so a loaded machine inflates the figures less than wall-clock rates; waiting for Redis is not CPU
and does not count.

`--instructions` runs the same under callgrind instead (load-independent): the script marks the start and
end of each case's measured loop with a call to `os.getppid`, which callgrind is told to dump before, so
every case gets its own dump; instructions per request = the loop's dump / requests. Valgrind slows Python
about 50x: keep `--requests` small (2,000 takes a few minutes for every case).
"""

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from beyond import redis_server
from inprocess import http_scope, run, startup
from scenarios import Scenario

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "results" / "callgrind-beyond"
_SUMMARY = re.compile(r"^summary:\s*(\d+)", re.MULTILINE)

Message = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    path: str
    revalidate: bool = False  # send If-None-Match with the route's ETag: every answer is a 304
    redis: bool = False


CASES = (
    Case("plain", "/plain"),
    Case("limited-memory", "/limited/memory"),
    Case("limited-redis", "/limited/redis", redis=True),
    Case("uncached", "/models"),
    Case("cached-memory-hit", "/cached/memory"),
    Case("cached-memory-304", "/cached/memory", revalidate=True),
    Case("cached-redis-hit", "/cached/redis", redis=True),
    Case("cached-redis-304", "/cached/redis", revalidate=True, redis=True),
)


class Caller:
    """One request per `await caller()`, checking the status so a broken case is never timed."""

    def __init__(self, app: Any, path: str, headers: tuple[tuple[str, str], ...], state: dict[str, Any]) -> None:
        self.app = app
        self.scenario = Scenario("beyond", "GET", path, "", headers=headers)
        self.state = state
        self.status = 0
        self.headers: dict[bytes, bytes] = {}

    async def _receive(self) -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def _send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = dict(message.get("headers", ()))

    async def __call__(self) -> None:
        scope = http_scope(self.scenario)
        scope["state"] = dict(self.state)
        await self.app(scope, self._receive, self._send)


async def prepared(app: Any, case: Case, state: dict[str, Any]) -> Caller:
    """The case's caller, after one checked request (which also fills the cache)."""
    caller = Caller(app, case.path, (), state)
    await caller()
    if caller.status != 200:
        raise SystemExit(f"{case.name}: GET {case.path} answered {caller.status}")
    if not case.revalidate:
        return caller
    etag = caller.headers.get(b"etag")
    if etag is None:
        raise SystemExit(f"{case.name}: GET {case.path} has no ETag")
    caller = Caller(app, case.path, (("if-none-match", etag.decode()),), state)
    await caller()
    if caller.status != 304:
        raise SystemExit(f"{case.name}: If-None-Match answered {caller.status}")
    return caller


async def loop(caller: Caller, requests: int) -> None:
    for _ in range(requests):
        await caller()


async def measure(cases: list[Case], requests: int, runs: int, mark: bool) -> dict[str, float]:
    """Microseconds of thread CPU per request for each case (best of `runs`); with `mark`, callgrind marks."""
    from beyond_app import app

    state, shutdown = await startup(app)
    found: dict[str, float] = {}
    try:
        for case in cases:
            caller = await prepared(app, case, state)
            await loop(caller, min(requests, 500))  # warm-up
            best = float("inf")
            for _ in range(1 if mark else runs):
                if mark:
                    os.getppid()  # NOTE: callgrind dumps before this call: the next dump is the loop alone
                started = time.thread_time()
                await loop(caller, requests)
                best = min(best, time.thread_time() - started)
                if mark:
                    os.getppid()
            found[case.name] = best / requests * 1e6
            print(f"{case.name:<18} {found[case.name]:7.2f} us/request", file=sys.stderr, flush=True)
    finally:
        await shutdown()
    return found


@contextlib.contextmanager
def redis_for(cases: list[Case]) -> Iterator[None]:
    """Set BENCH_REDIS_URL for beyond_app when a case needs Redis (starting a server unless one is set)."""
    if not any(case.redis for case in cases) or "BENCH_REDIS_URL" in os.environ:
        yield
        return
    with tempfile.TemporaryDirectory(prefix="vivace-bench-redis-") as directory, redis_server(Path(directory)) as url:
        if url is None:
            raise SystemExit("redis-server is not installed: leave out the Redis cases (--cases)")
        os.environ["BENCH_REDIS_URL"] = url
        try:
            yield
        finally:
            del os.environ["BENCH_REDIS_URL"]


def instructions(cases: list[Case], requests: int) -> dict[str, float]:
    """Instructions per request of each case, this script's timing loop run once under callgrind."""
    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (apt-get install -y valgrind)")
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("callgrind.out*"):
        old.unlink()
    out = OUT_DIR / "callgrind.out"
    command = [
        "valgrind", "--tool=callgrind", "--dump-before=os_getppid", f"--callgrind-out-file={out}",
        sys.executable, __file__, "--requests", str(requests), "--marked", "--cases",
        ",".join(case.name for case in cases),
    ]  # fmt: skip
    with redis_for(cases):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    # dump 1 ends at the first mark; then, per case, the loop (even dumps) and the setup of the next (odd)
    counts = {int(p.name.rsplit(".", 1)[1]): p for p in OUT_DIR.glob("callgrind.out.*")}
    found = {}
    for index, case in enumerate(cases):
        dump = counts[2 + 2 * index].read_text()
        match = _SUMMARY.search(dump)
        assert match is not None, f"no summary in {counts[2 + 2 * index]}"
        found[case.name] = int(match[1]) / requests
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=None, help="per run (20,000; 2,000 with --instructions)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per case; the best counts (7)")
    parser.add_argument("--cases", default="", help=f"comma-separated, of {', '.join(c.name for c in CASES)}")
    parser.add_argument("--instructions", action="store_true", help="count instructions under callgrind")
    parser.add_argument("--marked", action="store_true", help=argparse.SUPPRESS)  # the run under callgrind
    args = parser.parse_args(argv)
    names = [name for name in args.cases.split(",") if name]
    unknown = set(names) - {case.name for case in CASES}
    if unknown:
        raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
    cases = [case for case in CASES if not names or case.name in names]
    if args.instructions:
        for name, count in instructions(cases, args.requests or 2000).items():
            print(f"{name:<18} {count:>10,.0f} instructions/request")
        return 0
    with redis_for(cases):
        found = run(measure(cases, args.requests or 20_000, args.runs, args.marked))
    if not args.marked:
        for name, micros in found.items():
            print(f"{name:<18} {micros:7.2f} us/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
