"""The read side shared by the raw HTTP and WebSocket test clients: a socket with a buffer, read up to a marker or
by an exact size, where a connection the server closed (or reset) shows up as None instead of an exception.
"""

from __future__ import annotations

import socket


class BufferedSocket:
    """A client connection to 127.0.0.1:port whose bytes are read through a buffer."""

    #: read errors that mean "the server is gone" rather than a failure of the test
    ENDED_BY: tuple[type[OSError], ...] = (ConnectionResetError,)

    def __init__(self, port: int, timeout: float) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def _fill(self) -> bool:
        try:
            chunk = self.sock.recv(65536)
        except self.ENDED_BY:
            chunk = b""
        self.buffer += chunk
        return bool(chunk)

    def _until(self, marker: bytes) -> bytes | None:
        while marker not in self.buffer:
            if not self._fill():
                return None
        data, _, self.buffer = self.buffer.partition(marker)
        return data

    def _take(self, size: int) -> bytes | None:
        """Exactly `size` bytes, or None when the connection ends first."""
        while len(self.buffer) < size:
            if not self._fill():
                return None
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data
