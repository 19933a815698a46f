"""A streaming `multipart/form-data` tokenizer: body chunks in, part headers and part bytes out.

Each chunk is handed to `MultipartParser.feed` as it arrives; the parser calls `on_headers` when a part's header
block ends, `on_data` with the part's bytes (views into the received chunk where it can, so a file's bytes are
copied once, by whoever keeps them), and `on_end` when the part's closing delimiter is seen. The part body is
searched with `bytes.find` for the delimiter (`CRLF--boundary`), so a large file costs one C-level scan per chunk
instead of Python work per byte; a delimiter split across two chunks is found through the few bytes held back from
the end of the first.

The grammar accepted is the one python-multipart accepts (vivace used it before, and FastAPI still does), so
a body reads the same on both: blank lines before the first boundary, and then any bytes up to a dash, are
skipped; the first boundary must be followed by CRLF or `--`; header names are RFC 7230 tokens, a value starts
after the spaces that follow the colon and ends at CRLF; at most `MAX_HEADERS` headers of `MAX_HEADER_LINE` bytes
each per part; a delimiter in a part that is followed by neither CRLF nor `--` is part data, unless a space or a
tab follows it; everything after the closing `--` is ignored. Anything else raises `MultipartError`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from python_multipart.multipart import parse_options_header

__all__ = ["MAX_HEADERS", "MAX_HEADER_LINE", "MultipartError", "MultipartParser", "options_header"]

#: the most headers one part may carry, and the longest header line (name, colon and value), as python-multipart
MAX_HEADERS = 8
MAX_HEADER_LINE = 4224

Headers = list[tuple[bytes, bytes]]

_TOKEN = b"!#$%&'*+-.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ^_`abcdefghijklmnopqrstuvwxyz|~"
#: the shapes browsers and HTTP clients send, read without splitting (a quoted value with no quote, backslash,
#: semicolon or star in it: python-multipart reads such a value as it is)
_DISPOSITION = re.compile(rb'form-data; name="([^"\\;*]*)"(?:; filename="([^"\\;*]*)")?')
_MULTIPART_TYPE = re.compile(rb"multipart/form-data; boundary=([^\"\\;* \t]+)")
#: one header line: a token name, a colon, the spaces skipped, a value without CR
_HEADER_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+): *([^\r]*)")
_CR, _LF, _DASH, _SPACE, _TAB = 13, 10, 45, 32, 9

# states
_START = 0  # nothing read yet: the first byte must be a dash, CR or LF
_PREAMBLE = 1  # a blank line was seen: bytes up to the next dash are skipped
_BOUNDARY = 2  # the first `--boundary` and the two bytes after it
_HEADERS = 3
_DATA = 4
_AFTER_DELIMITER = 5  # a delimiter was seen inside a part: the next two bytes say what it was
_END = 6

_FINISHED = frozenset({_START, _PREAMBLE, _END})


class MultipartError(ValueError):
    """The body does not follow the multipart grammar."""


class MultipartParser:
    """One body's tokenizer; see the module docstring. `complete` says whether the body may end where it is."""

    __slots__ = (
        "_delimiter",
        "_headers",
        "_held",
        "_on_data",
        "_on_end",
        "_on_headers",
        "_opening",
        "_pending",
        "_state",
    )

    def __init__(
        self,
        boundary: bytes,
        on_headers: Callable[[Headers], None],
        on_data: Callable[[bytes | memoryview], None],
        on_end: Callable[[], None],
    ) -> None:
        self._opening = b"--" + boundary
        self._delimiter = b"\r\n--" + boundary
        self._on_headers = on_headers
        self._on_data = on_data
        self._on_end = on_end
        self._state = _START
        self._headers: Headers = []
        # bytes a state could not decide on yet (a header line, the bytes after a boundary): prepended to the next
        # chunk; bounded by the header limits, so a long header block cannot grow it without limit
        self._pending = b""
        # the end of the last chunk when it could be the start of a delimiter (part data only; < one delimiter)
        self._held = b""

    @property
    def complete(self) -> bool:
        """Nothing was started (an empty form) or the closing delimiter was seen."""
        return self._state in _FINISHED

    def feed(self, chunk: bytes) -> None:
        """Parse the next chunk of the body (it must not change while the part bytes handed out are in use)."""
        if self._state == _DATA:
            # PERF: the common case, a chunk in the middle of a file, never copies the chunk
            start = self._data_after_held(chunk) if self._held else 0
            if start < 0:
                return
            self._run(chunk, self._data(chunk, start))
            return
        if self._pending:
            # NOTE: a header block or a boundary cut by the chunk's end: one copy of this chunk, at most once each
            chunk = self._pending + chunk
            self._pending = b""
        self._run(chunk, 0)

    def _run(self, data: bytes, pos: int) -> None:
        """Go through `data` from `pos`, state after state, until it is used up or a state waits for more."""
        end = len(data)
        while 0 <= pos < end:
            pos = _STEPS[self._state](self, data, pos)
        if pos < 0 and self._state != _DATA:
            self._pending = data[-pos - 1 :]

    # Each state below takes (data, pos) and returns where the next state starts, or `-1 - pos` to wait for more
    # bytes from `pos` on (they are kept in `_pending`); the DATA state keeps its own tail in `_held`.

    def _preamble(self, data: bytes, pos: int) -> int:
        if self._state == _START:
            first = data[pos]
            if first == _DASH:
                self._state = _BOUNDARY
                return pos
            if first not in (_CR, _LF):
                raise MultipartError("the body does not start with its boundary")
            self._state = _PREAMBLE
        dash = data.find(b"-", pos)
        if dash < 0:
            return len(data)
        self._state = _BOUNDARY
        return dash

    def _boundary(self, data: bytes, pos: int) -> int:
        opening = self._opening
        size = len(opening)
        seen = data[pos : pos + size + 2]
        if not opening.startswith(seen[:size]):
            raise MultipartError("the first boundary is not the one declared")
        after = seen[size:]
        if after not in (b"", b"\r", b"-", b"\r\n", b"--"):
            raise MultipartError("the first boundary is followed by neither CRLF nor --")
        if len(after) < 2:
            return -1 - pos
        if after == b"--":
            self._state = _END
        else:
            self._state = _HEADERS
            self._headers = []
        return pos + size + 2

    def _header_lines(self, data: bytes, pos: int) -> int:
        headers = self._headers
        if not headers and data[pos : pos + 1] != b"\r":
            end = data.find(b"\r\n\r\n", pos)
            if end >= 0:  # PERF: the whole block is here (nearly always): one regex match a line
                return self._header_block(data[pos:end], end + 4)
        while True:
            eol = data.find(b"\r", pos)
            line = data[pos:] if eol < 0 else data[pos:eol]
            if line:
                _check_header_line(line, len(headers), complete=eol >= 0)
            if eol < 0 or eol + 1 == len(data):
                return -1 - pos
            if data[eol + 1] != _LF:
                raise MultipartError("a header line ends in CR without LF")
            if not line:
                self._state = _DATA
                self._on_headers(headers)
                return eol + 2
            name, _, value = line.partition(b":")
            headers.append((name.lower(), value.lstrip(b" ")))
            pos = eol + 2

    def _header_block(self, block: bytes, after: int) -> int:
        """A part's complete header block (without its blank line): the same rules as line by line."""
        headers = self._headers
        for line in block.split(b"\r\n"):
            match = _HEADER_LINE.fullmatch(line)
            if match is None or len(line) > MAX_HEADER_LINE or len(headers) == MAX_HEADERS:
                raise MultipartError("a malformed header line, or too many")
            headers.append((match[1].lower(), match[2]))
        self._state = _DATA
        self._on_headers(headers)
        return after

    def _data(self, data: bytes, pos: int) -> int:
        """Hand out part bytes up to the next delimiter; at the end of `data`, hold back a possible delimiter start."""
        delimiter = self._delimiter
        found = data.find(delimiter, pos)
        if found >= 0:
            if found > pos:
                self._on_data(memoryview(data)[pos:found])
            self._state = _AFTER_DELIMITER
            return found + len(delimiter)
        end = len(data)
        keep = _delimiter_start(data, max(pos, end - len(delimiter) + 1), delimiter)
        if keep > pos:
            self._on_data(data if pos == 0 and keep == end else memoryview(data)[pos:keep])
        if keep < end:
            self._held = data[keep:]
        return -1

    def _data_after_held(self, chunk: bytes) -> int:
        """Where part bytes resume in `chunk`, given the held tail of the last one; -1 once the chunk is used up."""
        held = self._held
        delimiter = self._delimiter
        window = held + chunk[: len(delimiter) - 1]
        self._held = b""
        found = window.find(delimiter)
        if 0 <= found < len(held):  # the delimiter starts in the held bytes
            if found:
                self._on_data(held[:found])
            self._state = _AFTER_DELIMITER
            self._run(chunk, found + len(delimiter) - len(held))
            return -1
        if len(window) < len(held) + len(delimiter) - 1:  # a short chunk: the window is all there is
            self._run(window, 0)
            return -1
        self._on_data(held)
        return 0

    def _after_delimiter(self, data: bytes, pos: int) -> int:
        first = data[pos]
        if first in (_SPACE, _TAB):
            raise MultipartError("a delimiter is followed by whitespace")
        if first not in (_CR, _DASH):
            return self._not_a_delimiter(b"", pos)
        if pos + 1 == len(data):
            return -1 - pos
        pair = data[pos : pos + 2]
        if pair == b"\r\n":
            self._on_end()
            self._state = _HEADERS
            self._headers = []
            return pos + 2
        if pair == b"--":
            self._on_end()
            self._state = _END
            return len(data)
        return self._not_a_delimiter(data[pos : pos + 1], pos + 1)

    def _not_a_delimiter(self, extra: bytes, pos: int) -> int:
        """The delimiter (and `extra`) turned out to be part data."""
        self._on_data(self._delimiter + extra)
        self._state = _DATA
        return pos

    def _epilogue(self, data: bytes, pos: int) -> int:
        return len(data)  # NOTE: whatever follows the closing delimiter is ignored


# PERF: the state's step, by state number: one index instead of a chain of comparisons per step
_STEPS: tuple[Callable[[MultipartParser, bytes, int], int], ...] = (
    MultipartParser._preamble,  # _START
    MultipartParser._preamble,  # _PREAMBLE
    MultipartParser._boundary,
    MultipartParser._header_lines,
    MultipartParser._data,
    MultipartParser._after_delimiter,
    MultipartParser._epilogue,  # _END
)


def _check_header_line(line: bytes, count: int, *, complete: bool) -> None:
    """Refuse a header line (or the start of one) as soon as it breaks a rule; a partial line may still end well."""
    if count >= MAX_HEADERS:
        raise MultipartError("too many headers in one part")
    if len(line) > MAX_HEADER_LINE:
        raise MultipartError("a header line is too long")
    colon = line.find(b":")
    if colon == 0 or (colon < 0 and complete):
        raise MultipartError("a header line without a name")
    name = line if colon < 0 else line[:colon]
    if name.translate(None, _TOKEN):
        raise MultipartError("a header name holds a character that is not a token character")


def _delimiter_start(data: bytes, pos: int, delimiter: bytes) -> int:
    """The first position at or after `pos` from which the rest of `data` could begin `delimiter` (else its end)."""
    cr = data.find(b"\r", pos)
    while cr >= 0:
        if delimiter.startswith(data[cr:]):
            return cr
        cr = data.find(b"\r", cr + 1)
    return len(data)


def options_header(value: bytes) -> tuple[bytes, dict[bytes, bytes]]:
    """A `Content-Type` or `Content-Disposition` value split into its lowercased main value and its options.

    PERF: python-multipart's `parse_options_header` costs ~10 us a call, three calls per upload; the plain shapes
    (`form-data; name="f"; filename="a.txt"`, `multipart/form-data; boundary=x`) are read here in ~1 us. Anything
    else (escapes, `filename*`, a quote or a semicolon inside a value, a bare or empty option, non-ASCII names)
    goes to python-multipart, so every value reads as it does there (checked by a hypothesis test).
    """
    plain = _DISPOSITION.fullmatch(value)
    if plain is not None:  # PERF: one match for the usual part header
        name, filename = plain.groups()
        return b"form-data", {b"name": name} if filename is None else {b"name": name, b"filename": filename}
    plain = _MULTIPART_TYPE.fullmatch(value)
    if plain is not None:
        return b"multipart/form-data", {b"boundary": plain[1]}
    if b"\\" in value or b"*" in value:
        return parse_options_header(value)
    main, semicolon, rest = value.partition(b";")
    options: dict[bytes, bytes] = {}
    if semicolon:
        for option in rest.split(b";"):
            key, equals, raw = option.partition(b"=")
            key = key.strip(b" \t")
            raw = raw.strip(b" \t")
            if not (equals and key and key.isascii()):
                return parse_options_header(value)
            if raw[:1] == b'"' and raw[-1:] == b'"' and len(raw) > 1:
                raw = raw[1:-1]
            if b'"' in raw:
                return parse_options_header(value)
            options[key.lower()] = raw
    main = main.strip(b" \t")
    if not main.isascii():
        return parse_options_header(value)
    return main.lower(), options
