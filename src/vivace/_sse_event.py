"""`ServerSentEvent`, the model an SSE path operation may yield for full control of an event's fields.

Defined apart from `vivace.sse` and loaded on first use (`vivace.sse.ServerSentEvent` is a PEP 562 name): built
at `import vivace`, this Pydantic model cost 42 M instructions (most of it Pydantic's own first-model set-up, which
an app's models pay later anyway; 5 M of bench/startup_app.py's total).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, Field, model_validator

__all__ = ["ServerSentEvent"]


def _single_line(value: str | None, what: str) -> str | None:
    if value is not None and ("\r" in value or "\n" in value):
        raise ValueError(f"SSE '{what}' must be a single line")
    return value


def _valid_event(value: str | None) -> str | None:
    return _single_line(value, "event")


def _valid_id(value: str | None) -> str | None:
    if value is not None and "\0" in value:
        raise ValueError("SSE 'id' must not contain null characters")
    return _single_line(value, "id")


class ServerSentEvent(BaseModel):
    """One event with full control of its fields; `data` is JSON-encoded, `raw_data` is sent as it is."""

    data: Any = None
    raw_data: str | None = None
    event: Annotated[str | None, AfterValidator(_valid_event)] = None
    id: Annotated[str | None, AfterValidator(_valid_id)] = None
    retry: Annotated[int | None, Field(ge=0)] = None
    comment: str | None = None

    @model_validator(mode="after")
    def _one_payload(self) -> ServerSentEvent:
        if self.data is not None and self.raw_data is not None:
            raise ValueError("Cannot set both 'data' and 'raw_data': 'data' is JSON-encoded, 'raw_data' is sent as is.")
        return self
