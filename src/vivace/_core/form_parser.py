"""Form bodies parsed as they stream in, every limit checked on the way (multipart.py tokenises multipart bodies).

Nothing waits for the whole body: each chunk goes to the parser as it arrives, text fields are bounded one by one
and in total, and file bytes go to a `SpooledTemporaryFile` that moves to disk past `SPOOL_SIZE`. When anything
fails (a limit, bad data, a client that disconnects) every file opened so far is closed before the error leaves.
The 400 messages are the ones FastAPI sends (Starlette's), so clients see the same errors.
"""

from __future__ import annotations

import codecs
from collections.abc import Awaitable, Callable
from io import BytesIO
from tempfile import SpooledTemporaryFile
from typing import Any
from urllib.parse import unquote_plus

from python_multipart import QuerystringParser
from starlette import formparsers
from starlette.datastructures import FormData, Headers
from starlette.datastructures import UploadFile as StarletteUploadFile
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

from vivace._core import limits
from vivace._core.limits import FormLimits
from vivace._core.multipart import MultipartError, MultipartParser, options_header
from vivace.datastructures import UploadFile
from vivace.exceptions import HTTPException

__all__ = ["parse_form"]

FormItems = list[tuple[str, str | StarletteUploadFile]]


#: vivace's own 400 (FastAPI hands the parts before the cut to the endpoint)
UNFINISHED_MULTIPART = "Multipart body ended before its closing boundary."


def _bad_form(message: str) -> HTTPException:
    return HTTPException(status_code=400, detail=message)


def _field_too_large(max_part_size: int) -> HTTPException:
    return _bad_form(f"Field exceeded maximum size of {int(max_part_size / 1024)}KB.")


def _too_many_fields(max_fields: int) -> HTTPException:
    return _bad_form(f"Too many fields. Maximum number of fields is {max_fields}.")


def _content_type(scope: Scope) -> bytes:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return bytes(value)
    return b""


async def parse_form(scope: Scope, receive: Receive, form_limits: FormLimits) -> FormData:
    """The request's form: multipart or urlencoded; any other content type is an empty form (as in FastAPI)."""
    raw_type = _content_type(scope)
    if raw_type == b"application/x-www-form-urlencoded":  # PERF: the common case needs no options parsed
        return await _UrlencodedReader(form_limits).read(scope, receive)
    content_type, options = options_header(raw_type)
    if content_type == b"multipart/form-data":
        return await _MultipartReader(options, form_limits).read(scope, receive)
    if content_type == b"application/x-www-form-urlencoded":
        return await _UrlencodedReader(form_limits).read(scope, receive)
    return FormData()


async def _stream(
    scope: Scope,
    receive: Receive,
    limit: int,
    error: Callable[[int], HTTPException],
    consume: Callable[[bytes], Awaitable[None]],
) -> None:
    """Hand each body chunk to `consume`; the declared length is checked first, the running total on the way."""
    declared = limits.content_length(scope)
    if declared is not None and declared > limit:
        raise error(limit)
    seen = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunk = message.get("body", b"")
        more = message.get("more_body", False)
        seen += len(chunk)
        if seen > limit:
            raise error(limit)
        if chunk:
            await consume(chunk)


def _decode(data: bytes | bytearray, charset: str) -> str:
    try:
        return data.decode(charset)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")


class _Part:
    __slots__ = ("chunks", "data", "file", "headers", "name", "pending")

    def __init__(self) -> None:
        self.name = ""
        self.headers: list[tuple[bytes, bytes]] = []
        self.data = bytearray()
        self.file: UploadFile | None = None
        # a file's bytes not yet written to its spool, and how many
        self.chunks: list[bytes | memoryview] = []
        self.pending = 0

    async def write_pending(self) -> None:
        """Hand the file's received bytes to its spool in one write (it moves to disk past SPOOL_SIZE)."""
        if self.file is None or not self.chunks:
            return
        chunks = self.chunks
        data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        self.chunks = []
        self.pending = 0
        if isinstance(data, memoryview):
            data = bytes(data)
        if self.file.size == 0 and _hand_over(self.file.file, data):
            self.file.size = len(data)
            return
        await self.file.write(data)


def _hand_over(spool: Any, data: bytes) -> bool:
    """Make an empty in-memory spool hold `data` itself: no copy now, none when the endpoint reads it whole.

    PERF: `BytesIO(data)` shares `data` until written to, and reading all of it returns `data`; a write would
    copy 1 MiB once more. Only the standard library's spool is filled this way, by its own field and rule (its
    buffer is `_file` until it rolls over past `_max_size`); a class swapped in by other code is written to.
    """
    if type(spool) is not SpooledTemporaryFile:
        return False
    held: Any = spool  # its private fields are not in the type stubs
    if held._rolled or len(data) > held._max_size or held.tell():
        return False
    held._file = BytesIO(data)
    return True


class _MultipartReader:
    """One multipart body: the tokenizer calls the `_on_*` methods; file writes are awaited between chunks."""

    def __init__(self, options: dict[bytes, bytes], form_limits: FormLimits) -> None:
        self._boundary = options.get(b"boundary")
        self._charset = _charset(options.get(b"charset", b"utf-8"))
        self._limits = form_limits
        self._items: FormItems = []
        self._files: list[UploadFile] = []
        self._part = _Part()
        self._fields = 0
        self._text_bytes = 0
        self._file_bytes = 0
        # NOTE: the parser's callbacks are synchronous; file bytes queue in their part and are written (in a
        # thread once the spool is on disk) after a chunk, so the event loop never blocks on disk I/O.
        # PERF: a file that fits in SPOOL_SIZE is written once, when its part ends: one copy into the spool
        # instead of a growing buffer per received chunk.
        self._finished: list[_Part] = []

    async def read(self, scope: Scope, receive: Receive) -> FormData:
        if self._boundary is None:
            raise _bad_form("Missing boundary in multipart.")
        parser = MultipartParser(self._boundary, self._on_headers, self._on_part_data, self._on_part_end)

        async def consume(chunk: bytes) -> None:
            # NOTE: file parts keep views of the chunk until it is written, so it must not change under them
            parser.feed(chunk if type(chunk) is bytes else bytes(chunk))
            await self._flush()

        try:
            await _stream(scope, receive, self._limits.max_body, self._limits.body_error, consume)
            if not parser.complete:  # NOTE: a cut-off body must not pass for a shorter complete form
                raise _bad_form(UNFINISHED_MULTIPART)
            await self._flush()
        except BaseException as exc:
            for upload in self._files:
                upload.file.close()
            if isinstance(exc, MultipartError):
                raise _bad_form("Invalid multipart data.") from exc
            raise
        return FormData(self._items)

    async def _flush(self) -> None:
        for part in self._finished:
            await part.write_pending()
            await part.file.seek(0)  # type: ignore[union-attr]  # only file parts are queued
        self._finished.clear()
        part = self._part
        if part.file is not None and part.pending and (part.file.size or 0) + part.pending > limits.SPOOL_SIZE:
            await part.write_pending()

    def _on_headers(self, headers: list[tuple[bytes, bytes]]) -> None:
        self._part = part = _Part()
        part.headers = headers
        disposition = next((value for name, value in part.headers if name == b"content-disposition"), b"")
        _, options = options_header(disposition)
        if b"name" not in options:
            raise _bad_form('The Content-Disposition header field "name" must be provided.')
        part.name = _decode(options[b"name"], self._charset)
        if b"filename" in options:
            self._open_file(part, _decode(options[b"filename"], self._charset))
            return
        self._fields += 1
        if self._fields > self._limits.max_fields:
            raise _bad_form(f"Too many fields. Maximum number of fields is {self._limits.max_fields}.")

    def _open_file(self, part: _Part, filename: str) -> None:
        if len(self._files) >= self._limits.max_files:
            raise _bad_form(f"Too many files. Maximum number of files is {self._limits.max_files}.")
        self._file_bytes = 0
        # NOTE: closed by close_form after the response, or by read() when the parse fails.
        spool = _spool_class()(max_size=limits.SPOOL_SIZE)
        upload_file: Any = spool  # a SpooledTemporaryFile is the binary file UploadFile expects
        part.file = UploadFile(file=upload_file, size=0, filename=filename, headers=Headers(raw=part.headers))
        self._files.append(part.file)

    def _on_part_data(self, data: bytes | memoryview) -> None:
        part = self._part
        size = len(data)
        if part.file is not None:
            self._file_bytes += size
            max_file_size = self._limits.max_file_size
            if max_file_size is not None and self._file_bytes > max_file_size:
                raise limits.file_too_large(part.name, max_file_size)
            # PERF: a view, not a copy: the bytes are copied once, into the spool
            part.chunks.append(data)
            part.pending += size
            return
        if len(part.data) + size > self._limits.max_part_size:
            raise _bad_form(f"Part exceeded maximum size of {int(self._limits.max_part_size / 1024)}KB.")
        self._text_bytes += size
        if self._text_bytes > self._limits.max_memory:
            raise self._memory_error()
        part.data += data

    def _memory_error(self) -> HTTPException:
        if self._limits.explicit_body:
            return self._limits.body_error(self._limits.max_memory)
        return limits.fields_too_large(self._limits.max_memory)

    def _on_part_end(self) -> None:
        part = self._part
        if part.file is None:
            self._items.append((part.name, _decode(part.data, self._charset)))
        else:
            self._items.append((part.name, part.file))
            self._finished.append(part)


_TEMPFILE_SPOOL = SpooledTemporaryFile  # the class Starlette's parser uses until someone swaps it


def _spool_class() -> Any:
    """The class upload spools are made of: this module's, unless code swapped the one Starlette's parser uses.

    NOTE: FastAPI parses forms with Starlette's parser, so code that replaces `starlette.formparsers`'
    `SpooledTemporaryFile` (to track uploads, or to spool elsewhere) expects every upload to use its class.
    """
    starlette_class = formparsers.SpooledTemporaryFile  # type: ignore[attr-defined]  # Starlette imports it
    return SpooledTemporaryFile if starlette_class is _TEMPFILE_SPOOL else starlette_class


def _charset(value: bytes | str) -> str:
    name = value.decode("latin-1") if isinstance(value, bytes) else value
    try:
        return codecs.lookup(name).name
    except LookupError:
        return "latin-1"


class _UrlencodedReader:
    """An `application/x-www-form-urlencoded` body: fields are counted and bounded as they are parsed."""

    def __init__(self, form_limits: FormLimits) -> None:
        self._limits = form_limits
        self._items: FormItems = []
        self._name = bytearray()
        self._value = bytearray()
        self._size = 0

    async def read(self, scope: Scope, receive: Receive) -> FormData:
        # PERF: a form small enough to arrive in one message (nearly every one) is split in one pass; a body in
        # several messages streams through python-multipart, so its limits are still checked as it arrives.
        declared = limits.content_length(scope)
        if declared is not None and declared > self._limits.max_memory:
            raise self._limits.body_error(self._limits.max_memory)
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        body = message.get("body", b"")
        if not message.get("more_body", False):
            if len(body) > self._limits.max_memory:
                raise self._limits.body_error(self._limits.max_memory)
            return FormData(_split_urlencoded(body, self._limits))
        return await self._stream(scope, _replay(message, receive))

    async def _stream(self, scope: Scope, receive: Receive) -> FormData:
        parser = QuerystringParser(
            {
                "on_field_start": self._on_field_start,
                "on_field_name": self._on_field_name,
                "on_field_data": self._on_field_data,
                "on_field_end": self._on_field_end,
            }
        )

        async def consume(chunk: bytes) -> None:
            parser.write(chunk)

        await _stream(scope, receive, self._limits.max_memory, self._limits.body_error, consume)
        parser.finalize()
        return FormData(self._items)

    def _on_field_start(self) -> None:
        self._name = bytearray()
        self._value = bytearray()
        self._size = 0

    def _grow(self, size: int) -> None:
        self._size += size
        if self._size > self._limits.max_part_size:
            raise _field_too_large(self._limits.max_part_size)

    def _on_field_name(self, data: bytes, start: int, end: int) -> None:
        self._grow(end - start)
        self._name += data[start:end]

    def _on_field_data(self, data: bytes, start: int, end: int) -> None:
        self._grow(end - start)
        self._value += data[start:end]

    def _on_field_end(self) -> None:
        if len(self._items) >= self._limits.max_fields:
            raise _too_many_fields(self._limits.max_fields)
        self._items.append((unquote_plus(self._name.decode("latin-1")), unquote_plus(self._value.decode("latin-1"))))


def _replay(first: Message, receive: Receive) -> Receive:
    """`receive` that answers `first` once more before asking the server again."""
    pending: list[Message] = [first]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed


def _unquote(data: bytes) -> str:
    text = data.decode("latin-1")
    # PERF: most names and values hold neither escapes nor spaces, and unquote_plus would return them unchanged
    return unquote_plus(text) if b"%" in data or b"+" in data else text


def _split_urlencoded(body: bytes, form_limits: FormLimits) -> FormItems:
    """A whole urlencoded body, read as python-multipart's streaming parser reads it (differential tests check).

    Fields are separated by `&` only; an empty field is skipped, a field without `=` is a name with an empty value;
    one field's name and value together are bounded by max_part_size, checked before the field is counted.
    """
    items: FormItems = []
    max_part_size = form_limits.max_part_size
    max_fields = form_limits.max_fields
    if b"%" not in body and b"+" not in body:
        # PERF: nothing to unquote (most forms): split the decoded text, one string per name and value
        for text in body.decode("latin-1").split("&"):
            if not text:
                continue
            name_text, equals_text, value_text = text.partition("=")
            if len(text) - len(equals_text) > max_part_size:
                raise _field_too_large(max_part_size)
            if len(items) >= max_fields:
                raise _too_many_fields(max_fields)
            items.append((name_text, value_text))
        return items
    for field in body.split(b"&"):
        if not field:
            continue
        name, equals, value = field.partition(b"=")
        if len(field) - len(equals) > max_part_size:
            raise _field_too_large(max_part_size)
        if len(items) >= max_fields:
            raise _too_many_fields(max_fields)
        items.append((_unquote(name), _unquote(value)))
    return items
