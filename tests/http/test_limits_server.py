"""Limits against a real uvicorn server over raw sockets: bad clients get a 4xx or a clean close, memory stays
bounded, and the server keeps answering the next request."""

import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest

SERVER = textwrap.dedent(
    '''
    import os, socket, sys
    from typing import Annotated, Any
    import uvicorn
    from vivace import FastAPI, Form, UploadFile

    app = FastAPI()

    @app.get("/ping")
    async def ping() -> Any:
        return "pong"

    @app.get("/stats")
    async def stats() -> Any:
        status = dict(line.split(":", 1) for line in open("/proc/self/status"))
        return {"peak_kib": int(status["VmHWM"].split()[0]), "fds": len(os.listdir("/proc/self/fd"))}

    @app.post("/json")
    async def json_body(item: dict[str, Any]) -> Any:
        return len(item)

    @app.post("/limited", max_body_size=1000)
    async def limited(item: dict[str, Any]) -> Any:
        return len(item)

    @app.post("/upload")
    async def upload(file: UploadFile) -> Any:
        return {"size": file.size}

    @app.post("/form", form_limits={"max_fields": 5, "max_part_size": 1024})
    async def form(a: Annotated[str, Form()]) -> Any:
        return len(a)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    print(sock.getsockname()[1], flush=True)
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])
    '''
)

BOUNDARY = "vivaceboundary"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A vivace app served by uvicorn in its own process; yields its port."""
    script = tmp_path_factory.mktemp("server") / "serve.py"
    script.write_text(SERVER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        wait_until_up(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def wait_until_up(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if exchange(port, "GET", "/ping")[0] == 200:
                return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("the server did not start")


def read_response(sock: socket.socket) -> tuple[int, bytes]:
    """(status, body) of one HTTP/1.1 response with Content-Length (all vivace's responses here have one)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in lines[1:])}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(lines[0].split()[1]), body[:length]


def exchange(
    port: int, method: str, path: str, body: Iterable[bytes] = (), headers: dict[str, str] | None = None,
    *, pause: float = 0.0,
) -> tuple[int, bytes]:
    """Send a request (the body chunk by chunk, from a thread) while reading the response on this one.

    The body is sent chunked unless `headers` carry a Content-Length. Sending stops quietly when the server
    closes the connection first (it answered before reading the whole body).
    """
    headers = dict(headers or {})
    is_chunked = "content-length" not in {name.lower() for name in headers}
    if is_chunked and method == "POST":
        headers["transfer-encoding"] = "chunked"
    head = f"{method} {path} HTTP/1.1\r\nhost: test\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)

    def send_all() -> None:
        try:
            sock.sendall(head.encode() + b"\r\n")
            for chunk in body:
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk) if is_chunked else chunk)
                if pause:
                    time.sleep(pause)
            if is_chunked and method == "POST":
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the whole body was sent

    sender = threading.Thread(target=send_all)
    sender.start()
    try:
        return read_response(sock)
    finally:
        sender.join(timeout=30)
        sock.close()


def stats(port: int) -> dict[str, Any]:
    import json

    status, body = exchange(port, "GET", "/stats")
    assert status == 200
    return dict(json.loads(body))


def pieces(total: int, size: int = 256 * 1024, fill: bytes = b"x") -> Iterator[bytes]:
    """`total` bytes in `size` pieces, generated as they are sent (the client holds no big buffer either)."""
    block = fill * size
    sent = 0
    while sent < total:
        step = min(size, total - sent)
        yield block[:step]
        sent += step


def multipart_file(total: int) -> tuple[Iterator[bytes], int, dict[str, str]]:
    """A one-file multipart body of `total` file bytes: (pieces, body length, headers)."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def generate() -> Iterator[bytes]:
        yield head
        yield from pieces(total)
        yield tail

    return generate(), len(head) + total + len(tail), {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def multipart_fields(fields: dict[str, str]) -> bytes:
    parts = "".join(
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in fields.items()
    )
    return f"{parts}--{BOUNDARY}--\r\n".encode()


def still_serving(port: int) -> bool:
    return exchange(port, "GET", "/ping") == (200, b'"pong"')


def test_oversized_content_length_is_refused_without_reading(server: int) -> None:
    """A declared 1 GiB JSON body gets 413 at once; nothing of it has to be sent."""
    started = time.monotonic()
    status, body = exchange(
        server, "POST", "/json", headers={"content-type": "application/json", "content-length": str(1 << 30)}
    )
    detail = b"Request body is larger than the 16 MiB limit (set max_body_size to change it)"
    assert (status, body) == (413, b'{"detail":"' + detail + b'"}')
    assert time.monotonic() - started < 5
    assert still_serving(server)


def test_oversized_chunked_body_is_cut_off(server: int) -> None:
    """A chunked body over the route's max_body_size gets FastAPI's 413 after the first chunks."""
    status, body = exchange(
        server, "POST", "/limited", pieces(10 * 1024 * 1024, 100), {"content-type": "application/json"}
    )
    assert (status, body) == (413, b'{"detail":"Content Too Large"}')
    assert still_serving(server)


def test_too_many_form_parts(server: int) -> None:
    """More fields than form_limits allows: FastAPI's 400."""
    body = multipart_fields({f"f{n}": "v" for n in range(10)})
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-length": str(len(body))}
    status, answer = exchange(server, "POST", "/form", [body], headers)
    assert (status, answer) == (400, b'{"detail":"Too many fields. Maximum number of fields is 5."}')
    assert still_serving(server)


def test_too_large_form_part(server: int) -> None:
    """A text field over max_part_size: FastAPI's 400."""
    body = multipart_fields({"a": "x" * 2000})
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}", "content-length": str(len(body))}
    status, answer = exchange(server, "POST", "/form", [body], headers)
    assert (status, answer) == (400, b'{"detail":"Part exceeded maximum size of 1KB."}')
    assert still_serving(server)


def test_slow_client_does_not_block_others(server: int) -> None:
    """While one client trickles its upload, other requests are answered at once; the upload then succeeds."""
    parts, length, headers = multipart_file(2000)
    result: list[tuple[int, bytes]] = []
    slow = threading.Thread(
        target=lambda: result.append(
            exchange(server, "POST", "/upload", parts, {**headers, "content-length": str(length)}, pause=0.2)
        )
    )
    slow.start()
    time.sleep(0.3)
    started = time.monotonic()
    assert still_serving(server)
    assert time.monotonic() - started < 0.5
    slow.join(timeout=30)
    assert result == [(200, b'{"size":2000}')]


def test_client_disconnecting_mid_upload_leaves_nothing_open(server: int) -> None:
    """A client that vanishes halfway through an upload leaves no spool file open; the server carries on."""
    before = stats(server)["fds"]
    parts, length, headers = multipart_file(8 * 1024 * 1024)
    head = f"POST /upload HTTP/1.1\r\nhost: test\r\ncontent-length: {length}\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    sock = socket.create_connection(("127.0.0.1", server))
    sock.sendall(head.encode() + b"\r\n")
    for _ in range(12):  # about 3 MiB: past the spool threshold, so a temporary file exists on disk
        sock.sendall(next(parts))
    time.sleep(0.2)
    sock.close()
    time.sleep(0.5)
    assert still_serving(server)
    assert stats(server)["fds"] <= before


def test_memory_stays_bounded_for_a_50_mb_upload(server: int) -> None:
    """A 50 MB file streams to disk: the server's peak memory grows by far less than the file."""
    before = stats(server)["peak_kib"]
    parts, length, headers = multipart_file(50 * 1024 * 1024)
    status, body = exchange(server, "POST", "/upload", parts, {**headers, "content-length": str(length)})
    assert (status, body) == (200, b'{"size":52428800}')
    growth_mib = (stats(server)["peak_kib"] - before) / 1024
    assert growth_mib < 12, f"peak memory grew by {growth_mib:.1f} MiB"


def test_memory_stays_bounded_for_a_50_mb_chunked_json_body(server: int) -> None:
    """A 50 MB chunked JSON body is cut off at the 16 MiB default instead of being buffered whole."""
    before = stats(server)["peak_kib"]
    status, _ = exchange(server, "POST", "/json", pieces(50 * 1024 * 1024), {"content-type": "application/json"})
    assert status == 413
    growth_mib = (stats(server)["peak_kib"] - before) / 1024
    assert growth_mib < 32, f"peak memory grew by {growth_mib:.1f} MiB"
    assert still_serving(server)
