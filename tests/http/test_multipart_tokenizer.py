"""vivace's multipart tokenizer: the grammar python-multipart accepts, read the same whatever the chunking."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from python_multipart.multipart import parse_options_header

from vivace._core.multipart import MAX_HEADER_LINE, MAX_HEADERS, MultipartError, MultipartParser, options_header

BOUNDARY = b"b0undary"
OPEN = b"--" + BOUNDARY
DELIMITER = b"\r\n--" + BOUNDARY
DISPOSITION = b'Content-Disposition: form-data; name="a"'


def _tokens(body: bytes, cuts: list[int]) -> Any:
    """Events of `body` fed in pieces cut at `cuts`: parts as (headers, data), whether complete, or the error."""
    parts: list[Any] = []

    def on_headers(headers: list[tuple[bytes, bytes]]) -> None:
        parts.append([list(headers), b"", False])

    def on_data(data: bytes | memoryview) -> None:
        parts[-1][1] += bytes(data)

    def on_end() -> None:
        parts[-1][2] = True

    parser = MultipartParser(BOUNDARY, on_headers, on_data, on_end)
    edges = [0, *sorted(cut % (len(body) + 1) for cut in cuts), len(body)]
    try:
        for start, stop in itertools.pairwise(edges):
            if stop > start:
                parser.feed(body[start:stop])
    except MultipartError:
        return ("error", parts)
    return ("complete" if parser.complete else "unfinished", parts)


def _body(*parts: tuple[bytes, bytes], close: bytes = b"--\r\n") -> bytes:
    return b"".join(OPEN + b"\r\n" + head + b"\r\n\r\n" + data + b"\r\n" for head, data in parts) + OPEN + close


PIECES = [OPEN, DELIMITER, b"\r\n", b"\r", b"\n", b"-", b"--", b" ", b"\t", b"x", b"b0und", DISPOSITION, b"X:", b":"]
BODIES = st.lists(st.sampled_from(PIECES) | st.binary(max_size=3), max_size=30).map(b"".join)
VALID = st.lists(st.tuples(st.sampled_from([DISPOSITION, b"X-A: 1"]), st.binary(max_size=40)), max_size=4).map(
    lambda parts: _body(*parts)
)


@settings(max_examples=400, deadline=None)
@given(VALID | BODIES, st.lists(st.integers(min_value=0), max_size=8))
def test_any_chunking_reads_the_same(body: bytes, cuts: list[int]) -> None:
    """Headers, part bytes, the end of each part, completeness and errors do not depend on where chunks end."""
    if body.lstrip(b"\r\n") != body and body.lstrip(b"\r\n")[:1] not in (b"-", b""):
        cuts = []  # NOTE: python-multipart reads such a preamble differently by chunking; vivace as one chunk
    assert _tokens(body, cuts) == _tokens(body, [])


@pytest.mark.parametrize("cut", range(len(DELIMITER) + 3))
def test_a_delimiter_cut_anywhere_is_found(cut: int) -> None:
    """A chunk may end inside the delimiter (or the two bytes after it): the part ends at the same place."""
    body = _body((DISPOSITION, b"xy\r\n--b0und"), (DISPOSITION, b""))
    at = body.index(DELIMITER, len(OPEN)) + cut
    assert _tokens(body, [at]) == (
        "complete",
        [
            [[(b"content-disposition", b'form-data; name="a"')], b"xy\r\n--b0und", True],
            [[(b"content-disposition", b'form-data; name="a"')], b"", True],
        ],
    )


def test_file_bytes_come_as_the_received_chunk() -> None:
    """A chunk in the middle of a part is handed on as it is: no copy is made of a file's bytes."""
    seen: list[Any] = []
    parser = MultipartParser(BOUNDARY, lambda headers: None, seen.append, lambda: None)
    parser.feed(OPEN + b"\r\n" + DISPOSITION + b"\r\n\r\nstart")
    middle = bytes(range(256)) * 4
    parser.feed(middle)
    assert seen[-1] is middle


@pytest.mark.parametrize(
    ("body", "reading"),
    [
        (b"", "complete"),
        (b"\r\n\r\n", "complete"),
        (b"\r\nany preamble after a blank line\r\n" + _body((DISPOSITION, b"1")), "complete"),
        (b"preamble" + _body((DISPOSITION, b"1")), "error"),
        (OPEN + b"--", "complete"),
        (OPEN + b"--anything", "complete"),
        (OPEN + b"  \r\n", "error"),
        (OPEN + b"\n", "error"),
        (b"--other\r\n", "error"),
        (_body((DISPOSITION, b"1")) + b"epilogue " + OPEN + b"\r\n", "complete"),
        (_body((DISPOSITION, b"1"), close=b"--"), "complete"),
        (_body((DISPOSITION, b"1"), close=b""), "unfinished"),
        (_body((DISPOSITION, b"1"), close=b"-"), "unfinished"),
        (OPEN + b"\r\n" + DISPOSITION + b"\r\n\r\nno closing delimiter", "unfinished"),
        (OPEN + b"\r\nno colon\r\n\r\n", "error"),
        (OPEN + b"\r\n: no name\r\n\r\n", "error"),
        (OPEN + b"\r\nsp ace: 1\r\n\r\n", "error"),
        (OPEN + b"\r\nX: a\rb\r\n\r\n", "error"),
        (OPEN + b"\r\nX: 1\r\n\nY: 2\r\n\r\n", "error"),
        (OPEN + b"\r\n" + b"X: 1\r\n" * MAX_HEADERS + b"\r\n", "unfinished"),
        (OPEN + b"\r\n" + b"X: 1\r\n" * MAX_HEADERS + b"Y", "error"),
        (OPEN + b"\r\nX:" + b"v" * (MAX_HEADER_LINE - 2) + b"\r\n\r\n", "unfinished"),
        (OPEN + b"\r\nX:" + b"v" * (MAX_HEADER_LINE - 1), "error"),
        (_body((DISPOSITION, b"1")).replace(DELIMITER + b"--", DELIMITER + b" --"), "error"),
        (_body((DISPOSITION, b"1")).replace(DELIMITER + b"--", DELIMITER + b"\t--"), "error"),
    ],
)
def test_grammar(body: bytes, reading: str) -> None:
    """Preamble, boundaries, header rules and limits, delimiters and the epilogue, as python-multipart reads them."""
    assert _tokens(body, [])[0] == reading
    assert _tokens(body, list(range(len(body))))[0] == reading  # one byte at a time


def test_header_values_and_names() -> None:
    """Names are lowercased; a value loses the spaces after the colon only; LF inside a value is kept."""
    head = b"Content-Type:  text/plain \r\nX-Tab:\t v\r\nX-Lf: a\nb\r\nX-Colon:a:b\r\nX-Empty:"
    assert _tokens(_body((head, b"data")), [])[1][0][0] == [
        (b"content-type", b"text/plain "),
        (b"x-tab", b"\t v"),
        (b"x-lf", b"a\nb"),
        (b"x-colon", b"a:b"),
        (b"x-empty", b""),
    ]


@pytest.mark.parametrize("after", [b"X", b"-X", b"\rX", b"\r\r\n"])
def test_a_delimiter_followed_by_other_bytes_is_part_data(after: bytes) -> None:
    """Only CRLF or `--` make a delimiter; anything else (but a space or tab) stays in the part."""
    body = _body((DISPOSITION, b"x" + DELIMITER + after + b"y"))
    assert _tokens(body, [])[1][0][1] == b"x" + DELIMITER + after + b"y"


def test_an_empty_boundary_still_parses() -> None:
    """`boundary=` (empty) makes `--` the opening and `CRLF--` the delimiter."""
    seen: list[Any] = []
    parser = MultipartParser(
        b"", lambda headers: seen.append(headers), lambda data: seen.append(bytes(data)), lambda: None
    )
    parser.feed(b"--\r\n" + DISPOSITION + b"\r\n\r\nx\r\n----")
    assert parser.complete
    assert seen == [[(b"content-disposition", b'form-data; name="a"')], b"x"]


OPTION_PIECES = [b"form-data", b"multipart/Form-Data", b";", b" ", b"\t", b"\r", b"\x0b", b"=", b'"', b"\\", b"*"]
OPTION_PIECES += [b"name", b"NAME", b"filename", b"boundary", b"a", b"b.txt", b"%C3", b"\xc3\xa9", b"\xc9", b"'"]
PLAIN_OPTION = st.tuples(
    st.sampled_from([b"name", b"Filename", b"boundary"]), st.sampled_from([b"=", b" = "]), st.binary(max_size=6)
).map(lambda option: option[0] + option[1] + b'"' + option[2] + b'"')


@settings(max_examples=500, deadline=None)
@given(
    st.lists(st.sampled_from(OPTION_PIECES) | st.binary(max_size=2), max_size=16).map(b"".join)
    | st.lists(PLAIN_OPTION, max_size=3).map(lambda options: b"; ".join([b"form-data", *options]))
    | st.binary(max_size=8).map(lambda boundary: b"multipart/form-data; boundary=" + boundary)
)
def test_options_read_as_python_multipart_reads_them(value: bytes) -> None:
    """Content-Type and Content-Disposition options: the fast reading equals python-multipart's on any value."""
    assert options_header(value) == parse_options_header(value)
