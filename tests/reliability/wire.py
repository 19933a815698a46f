"""A raw HTTP/1.1 client for tests against a real server: bytes go out exactly as written, and what comes back is
parsed just enough to check it (status, headers, a body framed by Content-Length or chunked encoding).

`Connection.response()` returns None when the server closed the connection without answering, which is what a
dropped connection looks like from the client.
"""

from __future__ import annotations

import contextlib
import json
import threading
from dataclasses import dataclass
from typing import Any

from socket_buffer import BufferedSocket

TIMEOUT = 30.0

#: a route an app under test exposes so a test can read the server process's peak memory and open descriptors
STATS_ROUTE = """
@app.get("/stats")
async def stats():
    import os
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return {
        "peak_kib": int(status["VmHWM"].split()[0]),
        "rss_kib": int(status["VmRSS"].split()[0]),
        "fds": len(os.listdir("/proc/self/fd")),
    }
"""


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)


class Connection(BufferedSocket):
    """One keep-alive connection to 127.0.0.1:port."""

    def __init__(self, port: int, timeout: float = TIMEOUT) -> None:
        super().__init__(port, timeout)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_in_background(self, data: bytes) -> threading.Thread:
        """Send `data` from a thread, so the answer can be read while it goes out (a server may answer a bad body
        before reading all of it); sending stops quietly when the server closes first."""

        def send_all() -> None:
            with contextlib.suppress(OSError):
                self.sock.sendall(data)

        sender = threading.Thread(target=send_all, daemon=True)
        sender.start()
        return sender

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
    ) -> Answer | None:
        """Send one request (with a Content-Length when there is a body) and read its answer."""
        lines = [f"{method} {path} HTTP/1.1", "host: test"]
        fields = dict(headers or {})
        if body and "content-length" not in {name.lower() for name in fields}:
            fields["content-length"] = str(len(body))
        lines += [f"{name}: {value}" for name, value in fields.items()]
        sender = self.send_in_background(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        try:
            return self.response()
        finally:
            sender.join(TIMEOUT)

    def response(self) -> Answer | None:
        head = self._until(b"\r\n\r\n")
        if head is None:
            return None
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        headers = []
        for line in header_lines:
            name, _, value = line.partition(":")
            headers.append((name.strip().lower(), value.strip()))
        answer = Answer(int(status_line.split()[1]), headers, b"")
        length = answer.header("content-length")
        if length is not None:
            answer.body = self._exactly(int(length))
        elif (answer.header("transfer-encoding") or "").lower() == "chunked":
            answer.body = self._chunked()
        elif answer.status >= 200 and answer.status not in (204, 304):
            answer.body = self._rest()
        return answer

    def closed_by_server(self) -> bool:
        """Whether the server has closed its side (read returns end of file), waiting up to the timeout."""
        try:
            return not self.buffer and self.sock.recv(1) == b""
        except OSError:
            return True

    def _exactly(self, size: int) -> bytes:
        data = self._take(size)
        if data is None:
            raise ConnectionError(f"closed after {len(self.buffer)} of {size} body bytes")
        return data

    def _chunked(self) -> bytes:
        body = b""
        while True:
            size_line = self._until(b"\r\n")
            if size_line is None:
                raise ConnectionError("closed inside a chunked body")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                self._until(b"\r\n")
                return body
            body += self._exactly(size)
            self._exactly(2)

    def _rest(self) -> bytes:
        while self._fill():
            pass
        data, self.buffer = self.buffer, b""
        return data


def get(port: int, path: str) -> Answer | None:
    """One GET on a fresh connection."""
    with Connection(port) as connection:
        return connection.request("GET", path)


def healthy(port: int) -> bool:
    """The app's `/health` route answers 200 on a fresh connection."""
    answer = get(port, "/health")
    return answer is not None and answer.status == 200
