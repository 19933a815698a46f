"""A stored answer (`Entry`), its entity tag, `If-None-Match` matching, and its bytes form for shared stores."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

__all__ = ["Entry", "etag_for", "matches_etag"]

RawHeaders = tuple[tuple[bytes, bytes], ...]


@dataclass(frozen=True, slots=True)
class Entry:
    """One cached answer, ready to send.

    `headers` is the complete static header block of a full answer (content-length, content-type, the stored
    headers, ETag, Vary); `validators` is the block a 304 carries (ETag, Vary). Only Cache-Control, whose
    max-age shrinks as the entry ages, is added per request. `expires` is on the backend's clock.
    """

    status: int
    body: bytes
    headers: RawHeaders
    validators: RawHeaders
    etag: bytes
    expires: float

    @property
    def size(self) -> int:
        """Bytes the entry holds, as the memory backend counts them against its bound."""
        return len(self.body) + sum(len(name) + len(value) for name, value in self.headers) + 64

    def to_bytes(self) -> bytes:
        """A JSON header line and the raw body: no pickle, so a shared store never runs code it reads back."""
        meta = {
            "status": self.status,
            "headers": [[name.decode("latin-1"), value.decode("latin-1")] for name, value in self.headers],
            "validators": len(self.validators),
            "etag": self.etag.decode("latin-1"),
            "expires": self.expires,
        }
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + self.body

    @classmethod
    def from_bytes(cls, data: bytes) -> Entry:
        line, _, body = data.partition(b"\n")
        meta = json.loads(line)
        headers = tuple((name.encode("latin-1"), value.encode("latin-1")) for name, value in meta["headers"])
        # NOTE: the 304 block is the tail of the full block (ETag, then Vary when there is one)
        validators = headers[len(headers) - meta["validators"] :]
        return cls(meta["status"], body, headers, validators, meta["etag"].encode("latin-1"), meta["expires"])


def etag_for(body: bytes) -> bytes:
    """A strong entity tag from a hash of the body: the same bytes always get the same tag, on every worker."""
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def matches_etag(if_none_match: bytes, etag: bytes) -> bool:
    """RFC 9110 13.1.2: `*`, or any listed tag equal to `etag` under the weak comparison (W/ prefixes ignored)."""
    if if_none_match == etag or if_none_match.strip() == b"*":  # PERF: a client sends back the one tag it got
        return True
    opaque = etag.removeprefix(b"W/")
    # NOTE: entity tags cannot contain commas (RFC 9110 8.8.3), so splitting on them is exact
    return any(candidate.strip().removeprefix(b"W/") == opaque for candidate in if_none_match.split(b","))
