"""Instructions per request on granian, counted by callgrind, for vivace over RSGI and over granian's ASGI
interface, and for the raw ASGI app: steady where requests per second on a shared machine are not.

    python bench/granian_instructions.py [--entries vivace:rsgi,vivace:asgi,raw:asgi] [--requests 300]

granian's server normally runs its workers as child processes, which callgrind would not follow; here it runs
embedded (granian.server.embed, uvloop) in the measured process itself, so its Rust threads are counted too.
Counting works as in bench/instructions.py (which measures uvicorn, for the reference figures): warm-up
requests, then instrumentation on for N keep-alive GET /hello requests, then the dump's total / N.
"""

import argparse
import contextlib
import http.client
import sys
import time
from pathlib import Path

from instructions import OUT_DIR, _control, _total, _wait_listening, launch, stop
from servers import HOST, free_port

BENCH_DIR = Path(__file__).resolve().parent


def serve(framework: str, interface: str, port: int) -> None:
    """The child: bench/app.py (or the raw app) on granian's embedded server."""
    import asyncio

    import uvloop
    from granian.constants import Interfaces
    from granian.server.embed import Server
    from serve import load_app

    kind = Interfaces.RSGI if interface == "rsgi" else Interfaces.ASGI
    app = load_app(framework, interface=interface)
    server = Server(app, address=HOST, port=port, interface=kind, log_level="warning")  # type: ignore[arg-type]
    uvloop.install()
    asyncio.run(server.serve())


def count(framework: str, interface: str, requests: int, warmup: int) -> float:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"granian-{framework}-{interface}.out"
    for old in OUT_DIR.glob(out.name + "*"):
        old.unlink()
    port = free_port()
    child = [sys.executable, "-W", "ignore", __file__, "--serve", f"{framework}:{interface}", "--port", str(port)]
    proc = launch(child, out)
    try:
        _wait_listening(port, proc, 300)
        time.sleep(5)  # NOTE: granian listens before its worker finished the app's startup
        with contextlib.closing(http.client.HTTPConnection(HOST, port, timeout=120)) as conn:
            for number in range(warmup + requests):
                if number == warmup:
                    _control(proc.pid, "-i", "on")
                conn.request("GET", "/hello")
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    raise SystemExit(f"{framework} over {interface}: HTTP {response.status}")
            _control(proc.pid, "-i", "off")
        _control(proc.pid, "-d")
    finally:
        stop(proc)
    return _total(out) / requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", default="vivace:rsgi,vivace:asgi,raw:asgi", help="framework:interface,...")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=300)
    parser.add_argument("--serve", help=argparse.SUPPRESS)  # the child's own invocation
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve:
        framework, _, interface = args.serve.partition(":")
        serve(framework, interface, args.port)
        return 0
    for entry in args.entries.split(","):
        framework, _, interface = entry.partition(":")
        per_request = count(framework, interface, args.requests, args.warmup)
        print(f"hello  {framework:<8} granian {interface:<5} {per_request / 1000:10,.1f}k instructions per request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
