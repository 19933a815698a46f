"""Instructions per request of the beyond-one-process routes served by uvicorn, counted by callgrind.

    python bench/beyond_instructions.py [--requests 300] [--warmup 300] [--cases plain,limited-memory,...]

What bench/beyond.py measures in requests per second, counted instead (steady on a loaded machine, where wrk's
rates are noise): bench/beyond_app.py under uvicorn (uvloop, httptools, as bench/beyond.py serves it) runs
under `valgrind --tool=callgrind` with instrumentation off; for each case, `--warmup` requests go through it
uncounted, then instrumentation is switched on for `--requests` keep-alive requests sent one at a time, and
the counts are dumped. Instructions per request = the case's dump / requests: uvicorn, the event loop, vivace
and redis-py together, from the first byte read to the last byte written; the kernel (sockets) and the Redis
server are not counted. The ratios compare these counts as bench/beyond.py compares rates (a route's rate
is roughly inverse to its cost). The Redis cases get a redis-server of their own, as bench/beyond.py starts.
"""

import argparse
import contextlib
import http.client
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from beyond import CASES as WIRE_CASES
from beyond import Case, http_scenario, redis_server
from instructions import _TOTALS, _control, _send, _wait_listening, launch, stop
from servers import HOST, free_port

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "results" / "callgrind-beyond-server"
HTTP_CASES = tuple(case for case in WIRE_CASES if case.kind == "http")


def count(url: str, pid: int, case: Case, requests: int, warmup: int) -> None:
    """Send the case's requests: `warmup` uncounted, `requests` counted, then dump the counts."""
    scenario = http_scenario(case, url)
    host, _, port = url.removeprefix("http://").partition(":")
    with contextlib.closing(http.client.HTTPConnection(host, int(port), timeout=120)) as conn:
        for _ in range(warmup):
            _send(conn, scenario)
        _control(pid, "-i", "on")
        for _ in range(requests):
            _send(conn, scenario)
        _control(pid, "-i", "off")
    _control(pid, "-d")


def measure(cases: list[Case], requests: int, warmup: int, redis_url: str | None) -> dict[str, float]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for old in OUT_DIR.glob("callgrind.out*"):
        old.unlink()
    out = OUT_DIR / "callgrind.out"
    port = free_port()
    serve = [
        sys.executable, "-m", "uvicorn", "beyond_app:app", "--app-dir", str(BENCH_DIR), "--host", HOST,
        "--port", str(port), "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    env = {**os.environ, **({"BENCH_REDIS_URL": redis_url} if redis_url else {})}
    proc = launch(serve, out, env)
    found: dict[str, float] = {}
    try:
        _wait_listening(port, proc, 300)
        for case in cases:
            before = set(OUT_DIR.glob("callgrind.out*"))
            count(f"http://{HOST}:{port}", proc.pid, case, requests, warmup)
            deadline = time.monotonic() + 60
            while not (dumps := set(OUT_DIR.glob("callgrind.out*")) - before) and time.monotonic() < deadline:
                time.sleep(0.2)
            found[case.name] = sum(_total_of(dump) for dump in dumps) / requests
            print(f"{case.name:<18} {found[case.name] / 1000:8,.1f}k instructions/request", file=sys.stderr, flush=True)
    finally:
        stop(proc)
    return found


def _total_of(dump: Path) -> int:
    found = _TOTALS.search(dump.read_text(errors="replace"))
    return int(found.group(1)) if found else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--cases", default="", help=f"comma-separated, of {', '.join(c.name for c in HTTP_CASES)}")
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    names = [name for name in args.cases.split(",") if name]
    unknown = set(names) - {case.name for case in HTTP_CASES}
    if unknown:
        raise SystemExit(f"unknown cases: {', '.join(sorted(unknown))}")
    cases = [case for case in HTTP_CASES if not names or case.name in names]
    with contextlib.ExitStack() as stack:
        redis_url = None
        if any(case.redis for case in cases):
            directory = stack.enter_context(tempfile.TemporaryDirectory(prefix="vivace-bench-redis-"))
            redis_url = stack.enter_context(redis_server(Path(directory)))
            if redis_url is None:
                cases = [case for case in cases if not case.redis]
        found = measure(cases, args.requests, args.warmup, redis_url)
    for case in cases:
        per = found[case.name]
        base = found.get(case.baseline or "")
        ratio = f"  {base / per:5.2f}x {case.baseline}" if base else ""
        print(f"{case.name:<18} {per / 1000:8,.1f}k instructions/request{ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
