"""A raw WebSocket client (RFC 6455) for tests against a real server: frames go out exactly as written — invalid
UTF-8 in a text frame, a message in fragments, a close frame with no code — and frames coming back are read one
by one, so a test sees the close code the server chose.
"""

from __future__ import annotations

import base64
import os
import struct

from socket_buffer import BufferedSocket

TIMEOUT = 30.0

TEXT, BINARY, CONTINUATION, CLOSE, PING, PONG = 0x1, 0x2, 0x0, 0x8, 0x9, 0xA

#: the close code a client reports when the connection ended without a close frame
ABNORMAL = 1006
#: the close code of a close frame that carries none
NO_STATUS = 1005


class HandshakeRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"handshake answered {status}")
        self.status = status


class RawWebSocket(BufferedSocket):
    """One client connection to ws://127.0.0.1:port/path."""

    # a server that neither answers nor closes in time counts as gone: the test then sees ABNORMAL
    ENDED_BY = (ConnectionResetError, TimeoutError)

    def __init__(self, port: int, path: str, timeout: float = TIMEOUT) -> None:
        super().__init__(port, timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {path} HTTP/1.1\r\nhost: test\r\nupgrade: websocket\r\nconnection: Upgrade\r\n"
            f"sec-websocket-key: {key}\r\nsec-websocket-version: 13\r\n\r\n"
        )
        self.sock.sendall(request.encode())
        head = self._until(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1]) if head else 0
        if status != 101:
            self.sock.close()
            raise HandshakeRefused(status)

    def __enter__(self) -> RawWebSocket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send_frame(self, opcode: int, payload: bytes, *, fin: bool = True) -> None:
        """One masked frame, as a client must send it."""
        first = (0x80 if fin else 0) | opcode
        size = len(payload)
        if size < 126:
            header = struct.pack("!BB", first, 0x80 | size)
        elif size < 1 << 16:
            header = struct.pack("!BBH", first, 0x80 | 126, size)
        else:
            header = struct.pack("!BBQ", first, 0x80 | 127, size)
        mask = os.urandom(4)
        masked = bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text: str) -> None:
        self.send_frame(TEXT, text.encode())

    def send_bytes(self, data: bytes) -> None:
        self.send_frame(BINARY, data)

    def close(self, code: int | None = 1000) -> None:
        self.send_frame(CLOSE, b"" if code is None else struct.pack("!H", code))

    def read_frame(self) -> tuple[int, bytes] | None:
        """(opcode, payload) of the next frame, or None when the connection ended without one."""
        head = self._take(2)
        if head is None:
            return None
        opcode, size = head[0] & 0x0F, head[1] & 0x7F
        if size == 126:
            extended = self._take(2)
            size = struct.unpack("!H", extended)[0] if extended else 0
        elif size == 127:
            extended = self._take(8)
            size = struct.unpack("!Q", extended)[0] if extended else 0
        payload = self._take(size)
        return None if payload is None else (opcode, payload)

    def messages_until_close(self) -> tuple[list[tuple[int, bytes]], int]:
        """Every data frame before the close, and the close code (ABNORMAL when no close frame came)."""
        frames: list[tuple[int, bytes]] = []
        while (frame := self.read_frame()) is not None:
            opcode, payload = frame
            if opcode == CLOSE:
                return frames, struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else NO_STATUS
            if opcode in (TEXT, BINARY, CONTINUATION):
                frames.append(frame)
        return frames, ABNORMAL

    def close_code(self) -> int:
        return self.messages_until_close()[1]
