"""Errors the CLI reports as a short message instead of a Python traceback."""

from __future__ import annotations

import importlib
import os
import sysconfig
import traceback
from pathlib import Path

__all__ = ["CLIError", "UserCodeError", "is_framework_frame", "user_traceback"]

_VIVACE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep
# `importlib.import_module` itself, a Python frame above the frozen bootstrap frames
_IMPORTLIB_DIR = str(Path(importlib.__file__).resolve().parent) + os.sep
_LIBRARY_DIRS = tuple(
    {str(Path(sysconfig.get_path(name)).resolve()) + os.sep for name in ("stdlib", "platstdlib", "purelib", "platlib")}
)


class CLIError(Exception):
    """A problem the user can fix: `main` prints the message and the hint, then exits with status 2."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UserCodeError(CLIError):
    """The user's code raised: keeps the original exception and shows the traceback of *their* frames."""

    def __init__(self, message: str, exc: BaseException, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.exc = exc
        self.details = user_traceback(exc)


def is_framework_frame(filename: str) -> bool:
    """Frames of vivace itself and of the import machinery, which say nothing about the user's bug."""
    if filename.startswith("<frozen importlib"):
        return True
    try:
        return str(Path(filename).resolve()).startswith((_VIVACE_DIR, _IMPORTLIB_DIR))
    except OSError:  # pragma: no cover - an unresolvable filename (e.g. "<string>") is the user's own
        return False


def _is_user_frame(filename: str) -> bool:
    """A frame of the user's own code: neither vivace, nor the standard library, nor an installed package."""
    if filename.startswith("<"):
        return not filename.startswith("<frozen")
    return not str(Path(filename).resolve()).startswith((_VIVACE_DIR, _IMPORTLIB_DIR, *_LIBRARY_DIRS))


def _strip_frames(exc: traceback.TracebackException, seen: set[int]) -> None:
    if id(exc) in seen:
        return
    seen.add(id(exc))
    if exc.stack and is_framework_frame(exc.stack[-1].filename):
        # NOTE: vivace raised this one on purpose (an invalid declaration, say) and its message says what is
        # wrong; the exception it was translated from is an implementation detail (Pydantic's internals).
        exc.__cause__ = exc.__context__ = None
    kept = [frame for frame in exc.stack if not is_framework_frame(frame.filename)]
    if not any(_is_user_frame(frame.filename) for frame in kept):
        kept = []  # NOTE: only library internals (Pydantic building a schema, say): the message is what helps
    exc.stack = traceback.StackSummary.from_list(kept)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            _strip_frames(linked, seen)


def user_traceback(exc: BaseException) -> str:
    """The traceback of `exc` with vivace's and importlib's frames removed (chained exceptions included)."""
    summary = traceback.TracebackException.from_exception(exc)
    _strip_frames(summary, set())
    return "".join(summary.format())
