"""Response classes: Starlette's, plus FastAPI's deprecated ORJSON/UJSON ones.

A declared return type or `response_model` is serialized straight to JSON bytes by Pydantic,
which is faster than either of the deprecated classes; they remain for existing code.
"""

import importlib
from types import ModuleType
from typing import Any

from starlette.responses import FileResponse as FileResponse
from starlette.responses import HTMLResponse as HTMLResponse
from starlette.responses import JSONResponse as JSONResponse
from starlette.responses import PlainTextResponse as PlainTextResponse
from starlette.responses import RedirectResponse as RedirectResponse
from starlette.responses import Response as Response
from starlette.responses import StreamingResponse as StreamingResponse
from typing_extensions import deprecated

from vivace.exceptions import FastAPIDeprecationWarning


def _optional_module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        return None


# The optional JSON libraries, or None when not installed (FastAPI exposes them under these names).
# PERF: `ujson` is imported when first read (see __getattr__ below) or used: loading it costs ~4 M instructions at
# `import vivace`, for a deprecated class. orjson is loaded anyway (vivace serializes with it).
ujson: ModuleType | None
orjson = _optional_module("orjson")


def _ujson() -> ModuleType | None:
    """The `ujson` module (None when not installed), imported on first use; an assigned value is kept."""
    namespace = globals()
    if "ujson" not in namespace:
        namespace["ujson"] = _optional_module("ujson")
    found: ModuleType | None = namespace["ujson"]
    return found

_USE_PYDANTIC = (
    "declare a return type or response_model instead: vivace then serializes with Pydantic "
    "straight to JSON bytes, which is faster and needs no extra package"
)


@deprecated(f"UJSONResponse is deprecated; {_USE_PYDANTIC}", category=FastAPIDeprecationWarning)
class UJSONResponse(JSONResponse):
    """A JSON response rendered by `ujson` (installed separately); deprecated."""

    def render(self, content: Any) -> bytes:
        json_module = _ujson()
        assert json_module is not None, "UJSONResponse needs the ujson package: pip install ujson"
        text: str = json_module.dumps(content, ensure_ascii=False)
        return text.encode("utf-8")


@deprecated(f"ORJSONResponse is deprecated; {_USE_PYDANTIC}", category=FastAPIDeprecationWarning)
class ORJSONResponse(JSONResponse):
    """A JSON response rendered by `orjson` (installed separately); deprecated.

    Non-string dict keys and numpy values are accepted, as orjson's options allow.
    """

    def render(self, content: Any) -> bytes:
        assert orjson is not None, "ORJSONResponse needs the orjson package: pip install orjson"
        rendered: bytes = orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)
        return rendered


def __getattr__(name: str) -> Any:
    # NOTE: FastAPI re-exports `EventSourceResponse` (defined in its `sse` module) here too. It is
    # looked up on first use because `vivace.sse` is written separately; once it exists, a plain
    # `from vivace.sse import EventSourceResponse as EventSourceResponse` should replace this.
    if name == "EventSourceResponse":
        return importlib.import_module("vivace.sse").EventSourceResponse
    if name == "ujson":
        return _ujson()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
