"""Errors the CLI reports as a short message instead of a Python traceback."""

from __future__ import annotations

import os
import traceback
from pathlib import Path

__all__ = ["CLIError", "UserCodeError", "is_framework_frame", "user_traceback"]

_VIVACE_DIR = str(Path(__file__).resolve().parent.parent) + os.sep


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
        return str(Path(filename).resolve()).startswith(_VIVACE_DIR)
    except OSError:  # pragma: no cover - an unresolvable filename (e.g. "<string>") is the user's own
        return False


def _strip_frames(exc: traceback.TracebackException, seen: set[int]) -> None:
    if id(exc) in seen:
        return
    seen.add(id(exc))
    kept = [frame for frame in exc.stack if not is_framework_frame(frame.filename)]
    exc.stack = traceback.StackSummary.from_list(kept)
    for linked in (exc.__cause__, exc.__context__):
        if linked is not None:
            _strip_frames(linked, seen)


def user_traceback(exc: BaseException) -> str:
    """The traceback of `exc` with vivace's and importlib's frames removed (chained exceptions included)."""
    summary = traceback.TracebackException.from_exception(exc)
    _strip_frames(summary, set())
    return "".join(summary.format())
