"""Helpers for the OpenAPI differential tests: one builder, two frameworks, one JSON text.

A builder takes a framework's namespace (`fw.FastAPI`, `fw.Form`, `fw.responses`, ...) and returns an app; the
documents of the vivace app and of the FastAPI 0.165 app must be the same JSON text (key order included), and
building them must emit the same warnings.
"""

from __future__ import annotations

import importlib
import json
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

FRAMEWORKS = ("vivace", "fastapi")
_TOP = (
    "APIRouter", "Body", "Cookie", "Depends", "FastAPI", "File", "Form", "Header", "Path", "Query", "Security",
    "UploadFile",
)
_MODULES = ("responses", "security", "exceptions")

Build = Callable[[SimpleNamespace], Any]


def namespace(name: str) -> SimpleNamespace:
    """A framework's public names as attributes; submodules under their last name (`fw.responses`)."""
    package = importlib.import_module(name)
    ns = SimpleNamespace(name=name, **{attr: getattr(package, attr) for attr in _TOP})
    for module in _MODULES:
        setattr(ns, module, importlib.import_module(f"{name}.{module}"))
    return ns


def document_and_warnings(build: Build, name: str) -> tuple[str, list[tuple[str, str]]]:
    """The app's document as JSON text, and the (category, message) of each warning building it emitted."""
    app = build(namespace(name))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        document = app.openapi()
    return json.dumps(document), [(w.category.__name__, str(w.message)) for w in caught]


def first_difference(ours: Any, theirs: Any, where: str = "") -> str:
    """Where two JSON values first differ (key order included), with both values there."""
    if isinstance(ours, dict) and isinstance(theirs, dict):
        if list(ours) != list(theirs):
            return f"{where or '/'}: keys vivace {list(ours)} != fastapi {list(theirs)}"
        for key in ours:
            if ours[key] != theirs[key] or json.dumps(ours[key]) != json.dumps(theirs[key]):
                return first_difference(ours[key], theirs[key], f"{where}/{key}")
    if isinstance(ours, list) and isinstance(theirs, list) and len(ours) == len(theirs):
        for index, (mine, other) in enumerate(zip(ours, theirs, strict=True)):
            if json.dumps(mine) != json.dumps(other):
                return first_difference(mine, other, f"{where}/{index}")
    return f"{where or '/'}: vivace {json.dumps(ours)} != fastapi {json.dumps(theirs)}"


def assert_same_document(build: Build) -> dict[str, Any]:
    """Both frameworks give the same document text and the same warnings; returns the document."""
    ours, our_warnings = document_and_warnings(build, "vivace")
    theirs, their_warnings = document_and_warnings(build, "fastapi")
    assert ours == theirs, first_difference(json.loads(ours), json.loads(theirs))
    assert our_warnings == their_warnings, f"warnings: vivace {our_warnings} != fastapi {their_warnings}"
    document: dict[str, Any] = json.loads(ours)
    return document
