"""Instructions per request, counted by callgrind: steady where requests per second are not (a shared machine).

    python bench/instructions.py --frameworks vivace,fastapi --scenarios app-me,hello [--requests 300]

For each framework and scenario: the server (bench/serve.py under uvicorn, as in `make bench`) starts under
`valgrind --tool=callgrind` with instrumentation off; 300 warm-up requests (not counted) go through it, then
callgrind_control switches instrumentation on, N keep-alive requests are sent one at a time, and the counts are
dumped. Instructions per request = the dump's total / N: uvicorn, the framework, the application and the
libraries it calls (SQLAlchemy, aiosqlite's thread, pyjwt...) together, from the first byte read to the last
byte written. The `sse` scenario counts whole streams read to their end and reports per event as well (the
stream's total / its events). The dumps stay in bench/results/callgrind/ for `callgrind_annotate`.

Needs valgrind (`apt-get install -y valgrind`). A server under callgrind runs ~50x slower: expect a minute
or two per framework and scenario.
"""

import argparse
import contextlib
import http.client
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from peers import PEERS, ensure_venv
from realistic import REALISTIC
from scenarios import SCENARIOS, SSE_EVENTS_PER_STREAM, Scenario
from servers import HOST, free_port

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "results" / "callgrind"
_TOTALS = re.compile(r"^totals:\s*(\d+)", re.MULTILINE)


def _send(conn: http.client.HTTPConnection, scenario: Scenario) -> None:
    conn.request(scenario.method, scenario.path, body=scenario.body or None, headers=dict(scenario.headers))
    response = conn.getresponse()
    response.read()
    if response.status != scenario.expected_status:
        raise SystemExit(f"{scenario.name}: HTTP {response.status}, expected {scenario.expected_status}")


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server under callgrind exited with {proc.returncode}")
        with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1):
            return
        time.sleep(0.5)
    raise SystemExit(f"the server under callgrind did not listen within {timeout:.0f} s")


def _control(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True, timeout=120)


def count(framework: str, scenario: Scenario, requests: int, warmup: int) -> float:
    """Instructions per request of `scenario` served by `framework` (see the module docstring)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{framework}-{scenario.name}.out"
    out.unlink(missing_ok=True)
    port = free_port()
    # NOTE: the peers run in their own virtualenv (bench/peers.py), as in `make bench PEERS=1`
    python = str(ensure_venv()) if framework in PEERS else sys.executable
    serve = [python, str(BENCH_DIR / "serve.py"), "--framework", framework, "--app", scenario.app]
    proc = launch([*serve, "--host", HOST, "--port", str(port)], out)
    try:
        _wait_listening(port, proc, 300)
        with contextlib.closing(http.client.HTTPConnection(HOST, port, timeout=120)) as conn:
            for _ in range(warmup):
                _send(conn, scenario)
            _control(proc.pid, "-i", "on")
            for _ in range(requests):
                _send(conn, scenario)
            _control(proc.pid, "-i", "off")
        _control(proc.pid, "-d")
    finally:
        stop(proc)
    return _total(out) / requests


def launch(command: list[str], out: Path, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    """Start `command` under callgrind, counting nothing until `_control(pid, "-i", "on")`; dumps go to `out`."""
    valgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}"]
    return subprocess.Popen(
        [*valgrind, *command], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a server under callgrind the way a user would (SIGINT), waiting for its final dump; kill if it hangs."""
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _total(out: Path) -> int:
    """The instructions in the dump(s) of `out`: callgrind_control -d writes `<out>.<n>` files beside it."""
    total = 0
    for dump in sorted(out.parent.glob(out.name + "*")):
        found = _TOTALS.search(dump.read_text(errors="replace"))
        total += int(found.group(1)) if found else 0
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frameworks", default="vivace,fastapi")
    parser.add_argument("--scenarios", default="app-me")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=300)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    # NOTE: an event stream is one request read to its end, like any other here (WebSocket echo is not)
    known = {s.name: s for s in (*SCENARIOS, *REALISTIC) if s.kind in ("http", "sse")}
    for name in args.scenarios.split(","):
        for framework in args.frameworks.split(","):
            if name not in known:
                raise SystemExit(f"unknown HTTP scenario {name!r}; known: {sorted(known)}")
            per_request = count(framework, known[name], args.requests, args.warmup)
            line = f"{name:<12} {framework:<8} {per_request / 1000:10,.1f}k instructions per request"
            if known[name].kind == "sse":
                line += f" ({per_request / SSE_EVENTS_PER_STREAM / 1000:,.1f}k per event)"
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
