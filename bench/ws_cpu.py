"""Server CPU time and context switches per echoed WebSocket message: what callgrind cannot see.

    python bench/ws_cpu.py [--entries raw@granian-rsgi,vivace@granian-rsgi,fastapi] [--rounds 3] [--seconds 3]

Each entry is a framework, optionally `@server` (uvicorn by default, `granian-asgi`, `granian-rsgi`), served by
bench/serve.py pinned to CPU 0 as in `make bench`; bench/stream_client.py drives the `ws-echo` scenario from
CPU 1 (64 connections, one message in flight on each). Around each run the server's processes are read from
/proc: user + system CPU time and the voluntary + involuntary context switches of all their threads, divided by
the messages echoed. granian moves each message between its Rust I/O thread and the Python thread, which on
one CPU are context switches: this shows their cost, which instructions per message (bench/ws_instructions.py)
leave out. The figures hold up on a busy machine better than message rates do (printed too), but not perfectly.
"""

import argparse
import json
import os
import subprocess
import sys
from dataclasses import dataclass

import stream_client
from scenarios import WS_MESSAGE
from servers import BENCH_DIR, Server, taskset_prefix

_TICKS = os.sysconf("SC_CLK_TCK")
DEFAULT_ENTRIES = ("raw@granian-rsgi", "vivace@granian-rsgi", "raw@granian-asgi", "vivace@granian-asgi", "fastapi")


@dataclass(frozen=True, slots=True)
class Round:
    rate: float  # messages per second
    cpu_us: float  # server CPU time per message
    switches: float  # server context switches per message


def _group(pgid: int) -> list[int]:
    """The processes of the server's process group (granian's workers are children of its main process)."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid:
                found.append(int(entry))
    return found


def usage(pgid: int) -> tuple[float, int]:
    """(CPU seconds, context switches) of the server's processes so far, all threads included."""
    seconds, switches = 0.0, 0
    for pid in _group(pgid):
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            seconds += (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
            for thread in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{thread}/status") as status:
                    switches += sum(int(line.split()[1]) for line in status if "ctxt_switches" in line)
        except OSError:
            continue  # NOTE: a thread or process that ended meanwhile
    return seconds, switches


def measure(server: Server, seconds: float, connections: int) -> Round:
    url = "ws://" + server.url.partition("://")[2] + "/ws"
    command = [
        *taskset_prefix(1), sys.executable, str(BENCH_DIR / "stream_client.py"), "ws", url,
        f"--connections={connections}", f"--seconds={seconds}", f"--message={WS_MESSAGE}",
    ]  # fmt: skip
    assert server._proc is not None, "the server is not running"
    pgid = server._proc.pid  # NOTE: started in a new session, so its process id is its group's
    cpu_before, switches_before = usage(pgid)
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    cpu_after, switches_after = usage(pgid)
    summary = json.loads(output.split("BENCH_SUMMARY ", 1)[1])
    messages = max(summary["requests"], 1)
    return Round(
        rate=messages / summary["duration_us"] * 1e6,
        cpu_us=(cpu_after - cpu_before) / messages * 1e6,
        switches=(switches_after - switches_before) / messages,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--entries", default=",".join(DEFAULT_ENTRIES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=64)
    args = parser.parse_args(argv)
    servers: list[Server] = []
    try:
        for entry in args.entries.split(","):
            framework, _, name = entry.partition("@")
            server = Server(framework, cpu=0, server=name or "uvicorn", start_timeout=60)
            servers.append(server.__enter__())
        for server in servers:
            url = "ws://" + server.url.partition("://")[2] + "/ws"
            if stream_client.check_ws(url, WS_MESSAGE, timeout=60) != WS_MESSAGE:
                raise SystemExit(f"{server.label}: the echo differs from the message sent")
        rounds: dict[str, list[Round]] = {server.label: [] for server in servers}
        for _ in range(args.rounds):  # NOTE: the servers take turns, so a busy moment hits them alike
            for server in servers:
                rounds[server.label].append(measure(server, args.seconds, args.connections))
    finally:
        for server in servers:
            server.stop()
    print(f"{'ws-echo':<24} {'best msg/s':>10} {'CPU us/msg':>10} {'switches/msg':>12}  (the lowest of each)")
    for label, measured in rounds.items():
        best = max(r.rate for r in measured)
        cpu = min(r.cpu_us for r in measured)
        switches = min(r.switches for r in measured)
        print(f"{label:<24} {best:10,.0f} {cpu:10.1f} {switches:12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
