"""Instructions per echoed WebSocket message, counted by callgrind: the `ws-echo` scenario on uvicorn and granian.

    python bench/ws_instructions.py [--frameworks raw,fastapi,vivace,vivace@granian-rsgi,...] [--messages 2000]

Each entry is a framework, optionally `@server`: uvicorn (the default), `granian-asgi` or `granian-rsgi` (vivace's
RSGI entry, or for `raw` the hand-written RSGI app of bench/raw_rsgi.py). On uvicorn, bench/serve.py (as in
`make bench`) runs under `valgrind --tool=callgrind`; on granian, granian's embedded server runs in the measured
process itself (bench/granian_instructions.py), so its Rust threads are counted too. Instrumentation starts
off; one client connects to /ws, echoes `--warmup` messages uncounted, then instrumentation is switched on for
`--messages` round trips sent one at a time (send, wait for the echo), and the counts are dumped. Instructions
per message = the dump's total / messages: the server's WebSocket protocol, the event loop, the framework and
the endpoint together. The ratios compare these counts as `make bench` compares message rates (a server's rate
is roughly inverse to its cost per message), steady where rates on a loaded machine are not.

NOTE: granian zeroes a large read buffer per message (glibc's memset, `rep stosb`), which callgrind counts as
one instruction per byte: ~80k of granian's ~125k per message, a few hundred cycles on the CPU. The second
column leaves memset out; it is the one to compare servers by. Neither counts the kernel, nor the context switches
between granian's Rust threads and the Python thread (on one CPU, what bounds granian's rate: see
docs/guide/granian.md).
"""

import argparse
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from granian_instructions import serve as serve_on_granian
from instructions import BENCH_DIR, OUT_DIR, _control, _total, _wait_listening, launch, stop
from scenarios import WS_MESSAGE
from servers import HOST, free_port
from websockets.sync.client import connect


def _command(framework: str, server: str, port: int) -> list[str]:
    if server == "uvicorn":
        serve = [sys.executable, str(BENCH_DIR / "serve.py"), "--framework", framework]
        return [*serve, "--host", HOST, "--port", str(port)]
    interface = server.removeprefix("granian-")
    return [sys.executable, "-W", "ignore", __file__, "--serve", f"{framework}:{interface}", "--port", str(port)]


#: a function's own cost in callgrind_annotate's listing: "1,234,567 (12.34%)  file:function [object]"
_SELF_COST = re.compile(r"^\s*([\d,]+) \([^)]*\)\s+\S*memset", re.MULTILINE)


def _memset(out: Path) -> int:
    """The instructions spent in memset in the dump(s) of `out` (see the module docstring)."""
    total = 0
    for dump in sorted(out.parent.glob(out.name + "*")):
        # NOTE: check=False: the dump written at exit, with instrumentation off, can be empty, which it refuses
        listing = subprocess.run(["callgrind_annotate", str(dump)], capture_output=True, text=True, check=False).stdout
        total += sum(int(found.replace(",", "")) for found in _SELF_COST.findall(listing))
    return total


def count(entry: str, messages: int, warmup: int) -> tuple[float, float]:
    """Instructions per echoed message of `entry` (framework[@server], see the module docstring): all of them,
    and those outside memset."""
    framework, _, server = entry.partition("@")
    server = server or "uvicorn"
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{framework}-{server}-ws-echo.out"
    for old in OUT_DIR.glob(out.name + "*"):
        old.unlink()
    port = free_port()
    proc = launch(_command(framework, server, port), out)
    try:
        _wait_listening(port, proc, 300)
        if server != "uvicorn":
            time.sleep(5)  # NOTE: granian listens before its worker finished the app's startup
        with connect(f"ws://{HOST}:{port}/ws", open_timeout=120, close_timeout=120) as ws:
            for _ in range(warmup):
                ws.send(WS_MESSAGE)
                ws.recv(timeout=120)
            _control(proc.pid, "-i", "on")
            for _ in range(messages):
                ws.send(WS_MESSAGE)
                if ws.recv(timeout=120) != WS_MESSAGE:
                    raise SystemExit(f"{entry}: the echo differs from the message sent")
            _control(proc.pid, "-i", "off")
        _control(proc.pid, "-d")
    finally:
        stop(proc)
    total = _total(out)
    return total / messages, (total - _memset(out)) / messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frameworks", default="raw,fastapi,vivace")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=500)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the granian child's own invocation
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        framework, _, interface = args.serve.partition(":")
        serve_on_granian(framework, interface, args.port)
        return 0
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    counts = {name: count(name, args.messages, args.warmup) for name in args.frameworks.split(",")}
    print(f"{'ws-echo':<28} {'per message':>11} {'no memset':>10}  (ratios: without memset)")
    for name, (per_message, outside) in counts.items():
        ratios = "  ".join(
            f"{outside / counts[other][1]:.2f}x {other}'s" for other in ("raw", "fastapi") if other in counts
        )
        print(f"{name:<28} {per_message / 1000:10,.1f}k {outside / 1000:9,.1f}k  {ratios}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
