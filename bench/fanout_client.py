"""Load client for channel fan-out: many SSE subscribers, one burst of published messages, deliveries per second.

    python bench/fanout_client.py --feed http://127.0.0.1:8000/feed/memory --subscribers 1000 \
        --publish http://127.0.0.1:8000/publish/memory --messages 100

It opens `--subscribers` event streams (spread evenly over every `--feed` URL given, one per worker), waits
until each has answered (the server subscribes before it answers), then asks `--publish` to publish
`--messages` messages at once and counts, on every stream, the events that carry data until each stream has
received them all. It prints one line, `FANOUT_SUMMARY {...}`: subscribers, messages, deliveries counted, the
seconds from the publish request to the last delivery, and the streams that broke or came up short.

Streams are read with a bare `asyncio.Protocol` that only counts `data:` lines: with a thousand streams the
client must stay cheaper than the server it measures (see bench/stream_client.py for the same reasoning).
"""

import argparse
import asyncio
import json
import time
from urllib.parse import urlsplit

_MARK = b"\ndata:"  # an event's data line; keep-alive pings are comments and have none


class Stream(asyncio.Protocol):
    """One event stream: counts data lines once the response head is in."""

    def __init__(self, tally: "Tally") -> None:
        self.tally = tally
        self.head = b""
        self.answered = asyncio.get_running_loop().create_future()
        self.tail = b""
        self.events = 0
        self.closed = False

    def data_received(self, data: bytes) -> None:
        if not self.answered.done():
            self.head += data
            end = self.head.find(b"\r\n\r\n")
            if end < 0:
                return
            status = self.head.split(b" ", 2)[1] if self.head.startswith(b"HTTP/1.1 ") else b"?"
            self.answered.set_result(status == b"200")
            data = self.head[end + 2 :]  # NOTE: from the last CRLF, so a first event's data line is found
        chunk = self.tail + data
        found = chunk.count(_MARK)
        self.tail = chunk[-(len(_MARK) - 1) :]
        if found and self.tally.counting:
            self.events += found
            self.tally.delivered(found)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.answered.done():
            self.answered.set_result(False)


class Tally:
    """Deliveries of the measured burst, and the moment the last expected one arrived."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.count = 0
        self.counting = False
        self.finished = asyncio.get_running_loop().create_future()

    def delivered(self, count: int) -> None:
        self.count += count
        if self.count >= self.expected and not self.finished.done():
            self.finished.set_result(time.perf_counter())


async def open_stream(url: str, tally: Tally) -> tuple[asyncio.Transport, Stream]:
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    transport, stream = await loop.create_connection(lambda: Stream(tally), host, port)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAccept: text/event-stream\r\n\r\n"
    transport.write(request.encode())
    return transport, stream


async def post(url: str) -> int:
    """A bare POST; returns the status code."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname or "127.0.0.1", parts.port or 80)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    writer.write(f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: 0\r\n\r\n".encode())
    status = int((await reader.readline()).split()[1])
    writer.close()
    return status


async def run(feeds: list[str], subscribers: int, publish: str, messages: int, timeout: float) -> dict[str, object]:
    tally = Tally(subscribers * messages)
    # NOTE: one at a time: a thousand simultaneous connects overflow the listen backlog on a loaded machine
    opened = [await open_stream(feeds[n % len(feeds)], tally) for n in range(subscribers)]
    answered = await asyncio.wait_for(asyncio.gather(*(stream.answered for _, stream in opened)), timeout)
    refused = answered.count(False)
    tally.counting = True
    started = time.perf_counter()
    status = await post(publish)
    try:
        ended = await asyncio.wait_for(asyncio.shield(tally.finished), timeout)
    except TimeoutError:
        ended = time.perf_counter()
    short = sum(1 for _, stream in opened if stream.events < messages)
    broken = sum(1 for _, stream in opened if stream.closed)
    for transport, _ in opened:
        transport.close()
    return {
        "subscribers": subscribers,
        "messages": messages,
        "publish_status": status,
        "delivered": tally.count,
        "seconds": round(ended - started, 6),
        "refused": refused,
        "short": short,
        "broken": broken,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feed", action="append", required=True, help="an event stream URL (repeat per worker)")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--publish", required=True, help="the URL that publishes the burst (POST)")
    parser.add_argument("--messages", type=int, default=100)
    parser.add_argument("--timeout", type=float, default=60.0)
    args = parser.parse_args()
    summary = asyncio.run(run(args.feed, args.subscribers, args.publish, args.messages, args.timeout))
    print("FANOUT_SUMMARY " + json.dumps(summary, separators=(",", ":")), flush=True)


if __name__ == "__main__":
    main()
