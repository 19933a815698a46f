"""Soak test: mixed valid and invalid traffic against a real uvicorn for a few minutes, memory sampled throughout.

    make soak                      # 2 minutes
    python bench/soak.py --minutes 10 --clients 16 --json bench/results/soak.json

The server runs bench/soak_app.py (one route of each kind: JSON, forms, uploads, `yield` dependencies, sync
routes, JSON Lines, Server-Sent Events, WebSockets) in its own process. Client threads send a fixed mix of
requests: valid ones and hostile ones (malformed JSON, cut-off multipart bodies, oversized uploads, clients that
leave mid-body and mid-stream, WebSocket messages of the wrong kind, bytes that are not HTTP). Every answer is
checked against the status it must have.

The run passes when: no answer was unexpected; resident memory grew by less than 5 % from the end of the warm-up
to the end of the run; once traffic stops, the server holds no more descriptors, asyncio tasks or `yield`
dependency resources than it did idle before the run; and its log shows no unhandled exception.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
LOG_DIR = BENCH_DIR / "results" / "logs"
HOST = "127.0.0.1"
MAX_GROWTH = 0.05


# -- a raw HTTP/1.1 and WebSocket client -------------------------------------------------------------------


class Connection:
    """One connection; requests and frames are written exactly as given."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, path: str, body: bytes = b"", content_type: str | None = None) -> int | None:
        """Send a request and read the whole answer; its status, or None when the connection was dropped."""
        head = f"{method} {path} HTTP/1.1\r\nhost: soak\r\n"
        if content_type:
            head += f"content-type: {content_type}\r\n"
        if body:
            head += f"content-length: {len(body)}\r\n"
        self.send(head.encode() + b"\r\n" + body)
        return self.response()

    def response(self) -> int | None:
        head = self.until(b"\r\n\r\n")
        if head is None:
            return None
        lines = head.decode("latin-1").split("\r\n")
        headers = dict(line.lower().split(":", 1) for line in lines[1:])
        if "content-length" in headers:
            self.exactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").strip() == "chunked":
            while (size := int(self.until(b"\r\n") or b"0", 16)) > 0:
                self.exactly(size + 2)
            self.until(b"\r\n")
        return int(lines[0].split()[1])

    def fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except OSError:
            chunk = b""
        self.buffer += chunk
        return bool(chunk)

    def until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self.fill():
                return None
        data, _, self.buffer = self.buffer.partition(marker)
        return data

    def exactly(self, size: int) -> bytes | None:
        while len(self.buffer) < size:
            if not self.fill():
                return None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    # WebSocket (RFC 6455): the handshake, masked frames out, frames in
    def upgrade(self, path: str) -> int | None:
        key = base64.b64encode(os.urandom(16)).decode()
        self.send(
            f"GET {path} HTTP/1.1\r\nhost: soak\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            f"sec-websocket-key: {key}\r\nsec-websocket-version: 13\r\n\r\n".encode()
        )
        head = self.until(b"\r\n\r\n")
        return None if head is None else int(head.split()[1])

    def send_frame(self, opcode: int, payload: bytes) -> None:
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.send(struct.pack("!BB", 0x80 | opcode, 0x80 | len(payload)) + mask + masked)

    def read_frame(self) -> tuple[int, bytes] | None:
        head = self.exactly(2)
        if head is None:
            return None
        payload = self.exactly(head[1] & 0x7F)  # NOTE: the soak app's frames are all under 126 bytes
        return None if payload is None else (head[0] & 0x0F, payload)


# -- the traffic -----------------------------------------------------------------------------------------------

BOUNDARY = "soakboundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
TEXT, BINARY, CLOSE = 0x1, 0x2, 0x8


def multipart(file_size: int, *, closed: bool = True) -> bytes:
    body = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="note"\r\n\r\nsoak\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="f.bin"\r\n\r\n'
    ).encode() + os.urandom(file_size)
    return body + (f"\r\n--{BOUNDARY}--\r\n".encode() if closed else b"")


def expect(status: int | None, wanted: int) -> str:
    return "ok" if status == wanted else f"got {status}, wanted {wanted}"


def one_request(method: str, path: str, wanted: int, body: bytes = b"", content_type: str | None = None) -> Scenario:
    def run(port: int) -> str:
        connection = Connection(port)
        try:
            return expect(connection.request(method, path, body, content_type), wanted)
        finally:
            connection.close()

    return run


def leave_mid_body(port: int) -> str:
    """Declare a JSON body, send half of it, and go away."""
    connection = Connection(port)
    connection.send(
        b'POST /items HTTP/1.1\r\nhost: soak\r\ncontent-type: application/json\r\ncontent-length: 64\r\n\r\n{"na'
    )
    connection.close()
    return "ok"


def leave_mid_stream(port: int) -> str:
    """Start an endless event stream, read its first events, and go away."""
    connection = Connection(port)
    try:
        connection.send(b"GET /forever HTTP/1.1\r\nhost: soak\r\n\r\n")
        head = connection.until(b"\r\n\r\n")
        return "ok" if head is not None and head.startswith(b"HTTP/1.1 200") else f"stream did not start: {head!r}"
    finally:
        connection.close()


def oversized_upload(port: int) -> str:
    """Declare a body over the route's limit: answered 413 before any of it is sent."""
    connection = Connection(port)
    try:
        connection.send(
            f"POST /upload HTTP/1.1\r\nhost: soak\r\ncontent-type: {MULTIPART}\r\ncontent-length: {2 << 20}\r\n\r\n"
            .encode()
        )  # fmt: skip
        return expect(connection.response(), 413)
    finally:
        connection.close()


def not_http(port: int) -> str:
    """Bytes that are not an HTTP request: the server answers 400 or closes; it must not crash."""
    connection = Connection(port)
    try:
        connection.send(b"\x16\x03\x01 definitely not HTTP\r\n\r\n")
        status = connection.response()
        return "ok" if status in (400, None) else f"got {status}"
    finally:
        connection.close()


def websocket(message: bytes, opcode: int, wanted: list[tuple[int, bytes]]) -> Scenario:
    """Send one message and read frames up to the close: they must be `wanted` (the last one the close)."""

    def run(port: int) -> str:
        connection = Connection(port)
        try:
            if (status := connection.upgrade("/echo")) != 101:
                return f"handshake answered {status}"
            connection.send_frame(opcode, message)
            frames = []
            if opcode == TEXT:
                frames.append(connection.read_frame())
                connection.send_frame(CLOSE, struct.pack("!H", 1000))
            frames.append(connection.read_frame())
            return "ok" if frames == wanted else f"frames {frames!r}"
        finally:
            connection.close()

    return run


Scenario = Callable[[int], str]

ITEM = json.dumps({"name": "soak", "price": 1.5, "tags": ["a", "b"]}).encode()
JSON = "application/json"

#: name -> (weight, scenario); valid traffic first, then the hostile kinds
TRAFFIC: dict[str, tuple[int, Scenario]] = {
    "get item": (10, one_request("GET", "/items/7?q=soak", 200)),
    "post item": (10, one_request("POST", "/items", 200, ITEM, JSON)),
    "form": (5, one_request("POST", "/form", 200, b"name=soak&age=3", "application/x-www-form-urlencoded")),
    "upload 64 KiB": (3, one_request("POST", "/upload", 200, multipart(64 * 1024), MULTIPART)),
    "yield dependency": (5, one_request("GET", "/with-resource", 200)),
    "sync route": (5, one_request("GET", "/sync?n=3", 200)),
    "JSON Lines": (3, one_request("GET", "/lines", 200)),
    "SSE": (3, one_request("GET", "/events", 200)),
    "WebSocket echo": (3, websocket(b"hello", TEXT, [(TEXT, b"hello"), (CLOSE, struct.pack("!H", 1000))])),
    "malformed JSON": (5, one_request("POST", "/items", 422, b'{"name": "x", "price":', JSON)),
    "wrong types": (5, one_request("POST", "/items", 422, b'{"name": 1, "price": "x"}', JSON)),
    "bad path parameter": (5, one_request("GET", "/items/abc", 422)),
    "unknown path": (5, one_request("GET", "/no/such/path", 404)),
    "cut-off multipart": (3, one_request("POST", "/upload", 400, multipart(1000, closed=False), MULTIPART)),
    "oversized upload": (2, oversized_upload),
    "HTTPException": (3, one_request("GET", "/teapot", 418)),
    "invalid response header": (2, one_request("GET", "/bad-header", 500)),
    "leave mid-body": (3, leave_mid_body),
    "leave mid-stream": (2, leave_mid_stream),
    "WebSocket wrong kind": (2, websocket(b"\x00", BINARY, [(CLOSE, struct.pack("!H", 1003) + b"Expected a text message")])),  # noqa: E501
    "not HTTP": (2, not_http),
}  # fmt: skip


# -- the server ------------------------------------------------------------------------------------------------


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @classmethod
    def start(cls) -> Server:
        with socket.socket() as sock:
            sock.bind((HOST, 0))
            port = sock.getsockname()[1]
        LOG_DIR.mkdir(parents=True, exist_ok=True)
        log = LOG_DIR / f"soak-{port}.log"
        command = [
            sys.executable, "-m", "uvicorn", "soak_app:app", "--host", HOST, "--port", str(port),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT / "src")])}
        with log.open("wb") as out:
            process = subprocess.Popen(command, cwd=BENCH_DIR, env=env, stdout=out, stderr=subprocess.STDOUT)
        server = cls(process, port, log)
        server.wait_ready()
        return server

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited:\n{self.log.read_text()}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not start within 30 s") from None
                time.sleep(0.05)

    def stats(self) -> dict[str, int]:
        connection = Connection(self.port)
        try:
            connection.send(b"GET /_soak/stats HTTP/1.1\r\nhost: soak\r\n\r\n")
            head = connection.until(b"\r\n\r\n") or b""
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            result: dict[str, int] = json.loads(connection.exactly(length) or b"{}")
            return result
        finally:
            connection.close()

    def stop(self) -> bool:
        """SIGTERM; whether the server shut down by itself in time (uvicorn ends by re-raising the signal)."""
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30) in (0, -signal.SIGTERM)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return False


# -- the run ---------------------------------------------------------------------------------------------------


@dataclass
class Run:
    minutes: float
    clients: int
    warmup: float
    interval: float
    outcomes: Counter[str] = field(default_factory=Counter)
    unexpected: Counter[str] = field(default_factory=Counter)
    samples: list[tuple[float, dict[str, int]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def drive(self, port: int, deadline: float, seed: int) -> None:
        """One client: scenarios picked by weight until the deadline, each outcome recorded."""
        rng = random.Random(seed)
        names = list(TRAFFIC)
        weights = [TRAFFIC[name][0] for name in names]
        while time.monotonic() < deadline:
            name = rng.choices(names, weights)[0]
            try:
                outcome = TRAFFIC[name][1](port)
            except OSError as exc:
                outcome = f"{type(exc).__name__}: {exc}"
            with self.lock:
                self.outcomes[name] += 1
                if outcome != "ok":
                    self.unexpected[f"{name}: {outcome}"] += 1

    def sample(self, server: Server, started: float, deadline: float) -> None:
        while time.monotonic() < deadline:
            self.samples.append((time.monotonic() - started, server.stats()))
            time.sleep(self.interval)


def settle(server: Server, baseline: dict[str, int], seconds: float = 15) -> dict[str, int]:
    """Stats once the server is idle again: polled until they are back to the baseline, or `seconds` passed."""
    deadline = time.monotonic() + seconds
    while True:
        now = server.stats()
        back = all(now[key] <= baseline[key] for key in ("fds", "tasks", "open_resources"))
        if back or time.monotonic() > deadline:
            return now
        time.sleep(0.25)


def growth(run: Run) -> tuple[int, int, float]:
    """RSS (KiB) just after the warm-up and at the end (medians of three samples each), and the relative growth."""
    after_warmup = [stats["rss_kib"] for at, stats in run.samples if at >= run.warmup]
    if len(after_warmup) < 6:
        raise SystemExit("too few samples after the warm-up: run longer or sample more often")
    start, end = statistics.median(after_warmup[:3]), statistics.median(after_warmup[-3:])
    return int(start), int(end), (end - start) / start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES", 2)))
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads (default 8)")
    parser.add_argument(
        "--warmup", type=float, default=None, help="seconds (default: a quarter of the run, at most 60)"
    )
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between memory samples")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    duration = args.minutes * 60
    warmup = args.warmup if args.warmup is not None else min(60.0, duration / 4)
    run = Run(args.minutes, args.clients, warmup, args.interval)

    server = Server.start()
    try:
        idle_before = server.stats()
        started = time.monotonic()
        deadline = started + duration
        threads = [
            threading.Thread(target=run.drive, args=(server.port, deadline, seed)) for seed in range(run.clients)
        ]
        threads.append(threading.Thread(target=run.sample, args=(server, started, deadline)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        idle_after = settle(server, idle_before)
    finally:
        stopped = server.stop()
    log = server.log.read_text(errors="replace")
    return report(run, idle_before, idle_after, stopped, log, args.json)


def report(
    run: Run, before: dict[str, int], after: dict[str, int], stopped: bool, log: str, json_path: Path | None
) -> int:
    rss_start, rss_end, rss_growth = growth(run)
    total = sum(run.outcomes.values())
    elapsed = run.samples[-1][0] if run.samples else 0.0
    checks = {
        "every answer as expected": not run.unexpected,
        f"RSS growth after warm-up < {MAX_GROWTH:.0%}": rss_growth < MAX_GROWTH,
        "no leaked file descriptors": after["fds"] <= before["fds"],
        "no leaked asyncio tasks": after["tasks"] <= before["tasks"],
        "every yield dependency exited": after["open_resources"] == 0,
        "no unhandled exception in the server log": "Traceback" not in log,
        "graceful stop on SIGTERM within 30 s": stopped,
    }
    print(f"soak: {run.minutes:g} min, {run.clients} clients, {total} exchanges ({total / max(elapsed, 1):.0f}/s)")
    for name, (weight, _) in TRAFFIC.items():
        print(f"  {name:<26} weight {weight:>2}  {run.outcomes[name]:>7}")
    print(f"RSS after warm-up ({run.warmup:.0f} s): {rss_start / 1024:.1f} MiB; at the end: {rss_end / 1024:.1f} MiB "
          f"({rss_growth:+.1%}); peak {max(s['rss_kib'] for _, s in run.samples) / 1024:.1f} MiB")  # fmt: skip
    print(f"idle before / after: fds {before['fds']} / {after['fds']}, tasks {before['tasks']} / {after['tasks']}, "
          f"threads {before['threads']} / {after['threads']}, open resources {after['open_resources']}")  # fmt: skip
    for problem, count in run.unexpected.most_common(10):
        print(f"  UNEXPECTED x{count}: {problem}")
    for name, passed in checks.items():
        print(f"  [{'pass' if passed else 'FAIL'}] {name}")
    if json_path is not None:
        figures = {
            "minutes": run.minutes, "clients": run.clients, "exchanges": dict(run.outcomes),
            "unexpected": dict(run.unexpected), "idle_before": before,
            "rss_kib": {"after_warmup": rss_start, "end": rss_end, "growth": rss_growth},
            "idle_after": after, "samples": run.samples, "checks": checks,
        }  # fmt: skip
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(figures, indent=1))
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
