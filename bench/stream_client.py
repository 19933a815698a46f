"""Load generator for what wrk cannot drive: WebSocket echo round trips and Server-Sent Event streams.

    python bench/stream_client.py ws  ws://127.0.0.1:8000/ws --connections 64 --seconds 5 --message '...'
    python bench/stream_client.py sse 'http://127.0.0.1:8000/events?count=1000' --connections 4 --seconds 5

It prints one `BENCH_SUMMARY {...}` line in the same format as bench/request.lua, so bench/load.py parses
both alike: "requests" are echoed messages (ws) or received events (sse). bench/load.py runs it in its own
process pinned to the client CPU, as it does wrk. The `check_*` functions send the one checked request that
comes before any measurement (the WebSocket one through the `websockets` library).

The client must stay cheaper than the cheapest server, or every framework measures the same: on this
machine it uses about half of its CPU against the raw ASGI app (WebSocket echo) and all of it only for raw
SSE streams, whose ceiling it therefore understates.
"""

import argparse
import asyncio
import base64
import contextlib
import hashlib
import http.client
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from websockets.sync.client import connect as ws_connect_sync


@dataclass(slots=True)
class Tally:
    """What the workers counted inside the measured window."""

    done: int = 0
    received_bytes: int = 0
    connect_errors: int = 0
    read_errors: int = 0
    status_errors: int = 0
    latencies_us: list[float] = field(default_factory=list)

    def summary(self, seconds: float) -> str:
        lat = sorted(self.latencies_us) or [0.0]

        def pct(p: float) -> int:
            return int(lat[min(len(lat) - 1, int(len(lat) * p / 100))])

        data = {
            "requests": self.done,
            "duration_us": int(seconds * 1e6),
            "bytes": self.received_bytes,
            "errors": {
                "connect": self.connect_errors,
                "read": self.read_errors,
                "write": 0,
                "status": self.status_errors,
                "timeout": 0,
            },
            "latency_us": {"mean": sum(lat) / len(lat), "p50": pct(50), "p99": pct(99), "max": int(lat[-1])},
        }
        return "BENCH_SUMMARY " + json.dumps(data, separators=(",", ":"))


# --- WebSocket echo -----------------------------------------------------------------------------------------


# NOTE: the measuring client writes its frames by hand. Driven through the websockets library, the client
# spent ~25 us of its own CPU per echo and saturated its core at ~35k messages/s, the same for raw ASGI,
# vivace and FastAPI; prebuilt frames and a plain asyncio.Protocol cost a few us. The websockets library
# still sends the checked message (`check_ws`), so a server that speaks the protocol wrongly is caught there.
_KEY = base64.b64encode(b"vivace-bench-key").decode()
_ACCEPT = base64.b64encode(hashlib.sha1((_KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
_MASK = b"\x37\xfa\x21\x3d"


def client_frame(payload: bytes, opcode: int = 0x1) -> bytes:
    """A final, masked client frame (RFC 6455 5.2) carrying `payload`."""
    size = len(payload)
    if size < 126:
        length = bytes([0x80 | size])
    elif size < 1 << 16:
        length = bytes([0x80 | 126]) + size.to_bytes(2, "big")
    else:
        length = bytes([0x80 | 127]) + size.to_bytes(8, "big")
    masked = bytes(b ^ _MASK[i % 4] for i, b in enumerate(payload))
    return bytes([0x80 | opcode]) + length + _MASK + masked


def server_frame(buffer: bytes | bytearray) -> tuple[int, bytes, int] | None:
    """(opcode, payload, frame size) of the unmasked server frame at the start of `buffer`; None if incomplete."""
    if len(buffer) < 2:
        return None
    size, offset = buffer[1] & 0x7F, 2
    if size == 126:
        size, offset = int.from_bytes(buffer[2:4], "big"), 4
    elif size == 127:
        size, offset = int.from_bytes(buffer[2:10], "big"), 10
    if len(buffer) < offset + size:
        return None
    return buffer[0] & 0x0F, bytes(buffer[offset : offset + size]), offset + size


class EchoClient(asyncio.Protocol):
    """One connection: the upgrade, then one message in flight, re-sent as soon as its echo arrives."""

    def __init__(self, target: str, host: str, message: bytes, deadline: float, tally: Tally) -> None:
        self.request = (
            f"GET {target} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {_KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
        self.message, self.frame = message, client_frame(message)
        self.deadline, self.tally = deadline, tally
        self.buffer = bytearray()
        self.upgraded = False
        self.sent = 0.0
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # NOTE: uvloop's transports do not subclass it
        self.transport.write(self.request)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded and not self._upgrade():
            return
        while (frame := server_frame(self.buffer)) is not None:
            opcode, payload, size = frame
            del self.buffer[:size]
            if opcode != 0x1 or payload != self.message:
                self.tally.status_errors += 1
                self.finish()
                return
            self._echoed()

    def _upgrade(self) -> bool:
        head, found, rest = bytes(self.buffer).partition(b"\r\n\r\n")
        if not found:
            return False
        if not head.startswith(b"HTTP/1.1 101") or _ACCEPT not in head:
            self.tally.connect_errors += 1
            self.finish()
            return False
        self.upgraded = True
        self.buffer = bytearray(rest)
        self._send()
        return True

    def _send(self) -> None:
        assert self.transport is not None
        self.sent = time.perf_counter()
        self.transport.write(self.frame)

    def _echoed(self) -> None:
        now = time.perf_counter()
        if now > self.deadline:
            self.finish()
            return
        self.tally.done += 1
        self.tally.latencies_us.append((now - self.sent) * 1e6)
        self._send()

    def finish(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(client_frame((1000).to_bytes(2, "big"), opcode=0x8))  # a normal close
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None or (self.upgraded and time.perf_counter() < self.deadline):
            self.tally.read_errors += 1
        if not self.closed.done():
            self.closed.set_result(None)


async def ws_worker(url: str, message: str, deadline: float, tally: Tally) -> None:
    """One connection echoing `message` until the deadline."""
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    loop = asyncio.get_running_loop()
    try:
        _, client = await loop.create_connection(
            lambda: EchoClient(target, f"{host}:{port}", message.encode(), deadline, tally), host, port
        )
    except OSError:
        tally.connect_errors += 1
        return
    remaining = deadline - time.perf_counter()
    try:
        await asyncio.wait_for(asyncio.shield(client.closed), timeout=max(remaining, 0) + 10)
    except TimeoutError:
        tally.read_errors += 1
        client.finish()


def check_ws(url: str, message: str, timeout: float = 10.0) -> str:
    """Send one message over a fresh connection and return the echo."""
    with ws_connect_sync(url, compression=None, open_timeout=timeout, close_timeout=timeout) as websocket:
        websocket.send(message)
        echoed = websocket.recv(timeout=timeout)
    return echoed if isinstance(echoed, str) else echoed.decode()


# --- Server-Sent Events -------------------------------------------------------------------------------------


def _request_bytes(url: str) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or "127.0.0.1"
    port = parts.port or 80
    # NOTE: `Connection: close` ends each stream at EOF, so counting needs no chunked-encoding decoder: the
    # reader only counts the blank lines that end events (one event never spans two chunks on any server).
    request = f"GET {target} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"
    return host, port, request.encode()


async def sse_stream(host: str, port: int, request: bytes, deadline: float, tally: Tally) -> None:
    """Read one whole stream, counting the events that arrive before the deadline."""
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        tally.connect_errors += 1
        return
    started = time.perf_counter()
    try:
        writer.write(request)
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
            tally.status_errors += 1
            return
        await _count_events(reader, deadline, started, tally)
    except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        tally.read_errors += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def count_event_ends(tail: bytes, block: bytes) -> int:
    """Events arriving in `block`, counted by their `data:` line (every benchmark event has exactly one).

    NOTE: not by blank lines: servers end events with `\n\n` or `\r\n\r\n` (Litestar), and a `\r\n` of the
    chunked framing right after the latter would look like a second blank line. `tail` is the end of the
    previous block (5 bytes), so a `data:` split across two reads counts once.
    """
    return (tail[-5:] + block).count(b"\ndata:")


async def _count_events(reader: asyncio.StreamReader, deadline: float, started: float, tally: Tally) -> None:
    clock, tail, first = time.perf_counter, b"", True
    while block := await reader.read(65536):
        if clock() > deadline:
            return
        events = count_event_ends(tail, block)
        if first and events:
            tally.latencies_us.append((clock() - started) * 1e6)  # time to the first event
            first = False
        tally.done += events
        tally.received_bytes += len(block)
        tail = (tail + block)[-5:]


async def sse_worker(url: str, deadline: float, tally: Tally) -> None:
    host, port, request = _request_bytes(url)
    while time.perf_counter() < deadline:
        errors = tally.connect_errors + tally.read_errors + tally.status_errors
        await sse_stream(host, port, request, deadline, tally)
        if tally.connect_errors + tally.read_errors + tally.status_errors > errors:
            return


def check_sse(url: str, timeout: float = 10.0) -> list[Any]:
    """Read one whole stream (chunked encoding decoded by http.client) and return each event's JSON data."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""))
        response = conn.getresponse()
        text = response.read().decode()
    finally:
        conn.close()
    if response.status != 200 or not response.getheader("content-type", "").startswith("text/event-stream"):
        raise ValueError(f"HTTP {response.status} {response.getheader('content-type')}: {text[:200]!r}")
    return [json.loads(line[5:]) for line in text.splitlines() if line.startswith("data:")]


# --- running ------------------------------------------------------------------------------------------------


async def measure(kind: str, url: str, connections: int, seconds: float, message: str) -> str:
    tally = Tally()
    started = time.perf_counter()
    deadline = started + seconds
    work: Callable[[], Awaitable[None]]
    if kind == "ws":

        def work() -> Awaitable[None]:
            return ws_worker(url, message, deadline, tally)
    else:

        def work() -> Awaitable[None]:
            return sse_worker(url, deadline, tally)

    await asyncio.gather(*(work() for _ in range(connections)))
    return tally.summary(min(seconds, time.perf_counter() - started))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("kind", choices=("ws", "sse"))
    parser.add_argument("url")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--message", default="hello")
    args = parser.parse_args(argv)
    coroutine = measure(args.kind, args.url, args.connections, args.seconds, args.message)
    try:
        import uvloop  # NOTE: the loop the servers use too; the client's own cost per message matters (see top)
    except ImportError:
        print(asyncio.run(coroutine), flush=True)
    else:
        print(uvloop.run(coroutine), flush=True)


if __name__ == "__main__":
    main()
