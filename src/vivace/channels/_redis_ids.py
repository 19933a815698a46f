"""Redis Streams ids (`<milliseconds>-<sequence>`) as sort keys, and what an entry of a channel stream holds."""

from __future__ import annotations

from vivace.channels._errors import InvalidMessageId
from vivace.channels._message import Kind

__all__ = ["FIELDS", "MAX_PART", "entry_payload", "id_order", "id_text"]

MAX_PART = 2**64 - 1

#: The one field of an entry, by message kind (short: it is stored with every message).
FIELDS: dict[Kind, bytes] = {"json": b"j", "bytes": b"b"}
_KINDS: dict[bytes, Kind] = {field: kind for kind, field in FIELDS.items()}


def id_order(message_id: str) -> tuple[int, int]:
    """`"1700000000000-3"` -> (1700000000000, 3); a bare `"1700000000000"` means sequence 0."""
    milliseconds, _, sequence = message_id.partition("-")
    parts = (milliseconds, sequence or "0")
    if not all(part.isascii() and part.isdigit() and len(part) <= 20 for part in parts):
        raise InvalidMessageId(message_id)
    key = int(parts[0]), int(parts[1])
    if max(key) > MAX_PART:
        raise InvalidMessageId(message_id)
    return key


def id_text(key: tuple[int, int]) -> str:
    return f"{key[0]}-{key[1]}"


def entry_payload(fields: dict[bytes, bytes]) -> tuple[Kind, bytes] | None:
    """(kind, payload) of an entry written by `publish`; None for an entry some other writer added."""
    for field, payload in fields.items():
        kind = _KINDS.get(field)
        if kind is not None:
            return kind, payload
    return None
