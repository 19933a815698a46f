"""Instructions per echoed WebSocket message, counted by callgrind: the `ws-echo` scenario on uvicorn.

    python bench/ws_instructions.py [--frameworks raw,fastapi,vivace] [--messages 2000] [--warmup 500]

For each framework, bench/serve.py (uvicorn, as in `make bench`) runs under `valgrind --tool=callgrind` with
instrumentation off; one client connects to /ws, echoes `--warmup` messages uncounted, then instrumentation is
switched on for `--messages` round trips sent one at a time (send, wait for the echo), and the counts are
dumped. Instructions per message = the dump's total / messages: uvicorn's WebSocket protocol, the event loop,
the framework and the endpoint together. The ratios compare these counts as `make bench` compares message
rates (a server's rate is roughly inverse to its cost per message), steady where rates on a loaded machine
are not.
"""

import argparse
import shutil
import sys

from instructions import BENCH_DIR, OUT_DIR, _control, _total, _wait_listening, launch, stop
from scenarios import WS_MESSAGE
from servers import HOST, free_port
from websockets.sync.client import connect


def count(framework: str, messages: int, warmup: int) -> float:
    """Instructions per echoed message of `framework` under uvicorn (see the module docstring)."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{framework}-ws-echo.out"
    for old in OUT_DIR.glob(out.name + "*"):
        old.unlink()
    port = free_port()
    serve = [sys.executable, str(BENCH_DIR / "serve.py"), "--framework", framework]
    proc = launch([*serve, "--host", HOST, "--port", str(port)], out)
    try:
        _wait_listening(port, proc, 300)
        with connect(f"ws://{HOST}:{port}/ws", open_timeout=120, close_timeout=120) as ws:
            for _ in range(warmup):
                ws.send(WS_MESSAGE)
                ws.recv(timeout=120)
            _control(proc.pid, "-i", "on")
            for _ in range(messages):
                ws.send(WS_MESSAGE)
                if ws.recv(timeout=120) != WS_MESSAGE:
                    raise SystemExit(f"{framework}: the echo differs from the message sent")
            _control(proc.pid, "-i", "off")
        _control(proc.pid, "-d")
    finally:
        stop(proc)
    return _total(out) / messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--frameworks", default="raw,fastapi,vivace")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=500)
    args = parser.parse_args(argv)
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is not installed: apt-get install -y valgrind")
    counts = {name: count(name, args.messages, args.warmup) for name in args.frameworks.split(",")}
    for name, per_message in counts.items():
        ratios = "  ".join(
            f"{per_message / counts[other]:.2f}x {other}'s cost" for other in ("raw", "fastapi") if other in counts
        )
        print(f"ws-echo {name:<8} {per_message / 1000:8,.1f}k instructions per message  {ratios}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
